"""The TUI's screens: rack (home), plan and confirmation, certificates, settings, host audit."""
