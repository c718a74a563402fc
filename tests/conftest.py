"""Shared pytest fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.store.datadir import DataDir


@pytest.fixture
def datadir(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data", "option").ensure()


@pytest.fixture
def disk_dir() -> Iterator[Path]:
    """A directory on a real disk-backed filesystem (O_DIRECT works), not tmpfs."""
    base = Path(os.environ.get("STATION_TEST_DISK_DIR", "/var/tmp"))
    path = Path(tempfile.mkdtemp(prefix="station-test-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)



@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    """`station.cli.main` chooses the process language; a test calling it must not change the next test's."""
    from station import i18n

    saved = i18n._current, i18n._language
    yield
    i18n._current, i18n._language = saved
