"""Every test of the slow or privileged tiers carries its marker, so each tier runs alone and
`pytest -m "not root and not rack and not image"` runs the fixture tier alone (pyproject.toml markers)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT_TOOLS = {"losetup", "mount", "umount", "mkfs", "mkfs.vfat", "mkfs.ext4"}


def _needs_root(tree: ast.AST) -> bool:
    """The module asks whether it is root or runs a tool only root may run (loop devices, mounts)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "geteuid":
            return True
        if isinstance(node, ast.Call):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.List | ast.Tuple) and first.elts:
                first = first.elts[0]
            if isinstance(first, ast.Constant) and first.value in ROOT_TOOLS:
                return True
    return False


def test_modules_that_need_root_carry_the_root_marker() -> None:
    unmarked = []
    for path in sorted(HERE.glob("test_*.py")):
        text = path.read_text()
        if _needs_root(ast.parse(text)) and "mark.root" not in text and "needs_root()" not in text:
            unmarked.append(path.name)
    assert not unmarked, f"these modules need root but carry no root marker: {unmarked}"


def test_the_fixture_tier_leaves_out_every_root_rack_and_image_test() -> None:
    """Collected with the expression the README documents for the fixture tier, the tier modules give nothing."""
    tiers = ["tests/rack", "tests/image", "tests/test_wipe_loop.py", "tests/test_markers.py",
             "tests/test_detect_live.py", "tests/test_hotplug_live.py", "tests/test_drive_lock.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-m", "not root and not rack and not image", *tiers], capture_output=True, text=True,
                         cwd=HERE.parent, check=False).stdout
    kept = {line for line in out.splitlines() if "::" in line}
    assert kept, out[-2000:]  # the plain-file tests of test_markers and test_drive_lock stay in the fixture tier
    assert all(k.startswith(("tests/test_markers.py", "tests/test_drive_lock.py")) for k in kept), kept
    assert "tests/test_markers.py::test_markers_on_a_loop_device" not in kept
    assert not any("a_wipe_in_another_terminal" in k for k in kept)
    assert "pytestmark = pytest.mark.image" in (HERE / "image" / "test_image_boot.py").read_text()
    assert "item.add_marker(pytest.mark.rack)" in (HERE / "rack" / "conftest.py").read_text()
