"""Fixtures of the virtual wipe rack: the cached guest image (session) and one fresh guest per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Rack
from rack_build import GuestImage, ensure_guest, skip_reason
from rack_images import make_data_disk


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.rack)


@pytest.fixture(scope="session")
def rack_guest() -> GuestImage:
    reason = skip_reason()
    if reason:
        pytest.skip(f"virtual wipe rack unavailable: {reason}")
    return ensure_guest()


@pytest.fixture
def data_disk(tmp_path: Path) -> Path:
    path = tmp_path / "data.img"
    make_data_disk(path)
    return path


@pytest.fixture
def rack(rack_guest: GuestImage, tmp_path: Path, data_disk: Path) -> Iterator[Rack]:
    """An unbooted rack for this test; always stopped afterwards, console tail printed for failures."""
    machine = Rack(rack_guest, tmp_path / "run", data_disk)
    try:
        yield machine
    finally:
        machine.close()
        print(f"rack timings: {machine.timing_report()}")
        print(f"guest console log: {machine.serial_log}\n{machine.console_tail()}")
