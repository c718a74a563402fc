"""CLI subcommands, one module per action; each exposes `register(subparsers)`."""
