"""Purge through the drive's own commands, in the order they run: capabilities, choice, runner, commands."""
