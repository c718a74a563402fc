"""Station: audit, sanitize (NIST SP 800-88) and certify donated computers and drives."""

__version__ = "0.1.0"
TOOL_NAME = "Station"
