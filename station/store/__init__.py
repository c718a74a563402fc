"""Storage: the data directory and its mount, atomic writes, settings, the outbox and the upload."""
