"""Skip markers shared by test modules (conftest.py is not importable by name: several exist)."""

from __future__ import annotations

import os

import pytest


def needs_root() -> pytest.MarkDecorator:
    return pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create loop devices (CI runs as root)")
