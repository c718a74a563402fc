"""The registry: where every station's certificates and audits land, verified, on PostgreSQL, witnessed by a log.

Apps by audience, as Django projects do: `core` (models and management commands), `api` (stations),
`records` (the checks and the ingest), `log` (the transparency log). `python -m registry.server` starts it.
"""
