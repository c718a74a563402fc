"""Skip markers shared by test modules (conftest.py is not importable by name: several exist)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def needs_root() -> Callable[[T], T]:
    """The `root` tier marker (so `-m root` runs it alone and `-m "not root"` leaves it out) and the skip
    with its reason when not root: one decorator, so no root test can carry one without the other."""

    def mark(test: T) -> T:
        marked: T = pytest.mark.root(pytest.mark.skipif(
            os.geteuid() != 0, reason="needs root to create loop devices (CI runs as root)")(test))
        return marked

    return mark
