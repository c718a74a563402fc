"""Shared pytest fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from station.store.datadir import DataDir

# Property tests: a modest number of examples and no per-example deadline, so the whole property suite
# runs in well under a minute on a loaded 2-core machine. CI (HYPOTHESIS_PROFILE=ci, set by .ci/run)
# derandomizes them, so a CI failure replays identically from the same commit.
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("deep", max_examples=400, deadline=None)  # bug hunting: HYPOTHESIS_PROFILE=deep
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
