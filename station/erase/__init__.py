"""Erasure: the plan, the overwrite engine, block I/O, patterns, the job journal, hidden areas, markers."""
