"""Certification: signed certificate records, keys, the hash chain, PDF rendering, checks, lot reports."""
