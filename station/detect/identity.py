"""Is this the drive a job was planned on? Every identity the record has, never the serial alone.

Restarting an interrupted job erases a drive nobody selected in this session: only the job's record
says which one. Drives get renamed across reboots (sdb becomes sdc), move between bays, and two
drives can carry one serial (cloned firmware, QEMU, junk placeholders). So the record's serial,
WWN, model and size must all agree with the drive found, and where several agree the place it was
erased in (its bay, or the port udev names in ID_PATH) decides; when nothing decides, or when the
place now holds a different drive, the restart is refused with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from station.detect.disk import Disk
from station.i18n import N_
from station.notice import Notice, define

# SerialInfo.doubts that make a serial unable to tell two drives apart ("duplicate" is decided apart)
JUNK_DOUBTS = frozenset({"empty", "all-zeros", "repeated-character", "mostly-zeros", "placeholder", "too-short"})

define({
    "identity.not-found": N_("the drive this job was erasing ({wanted}) is not attached: nothing to restart on"),
    "identity.changed": N_("{place} now holds another drive ({found}), not the one this job was erasing ({wanted}): "
                           "refusing to restart on it"),
    "identity.ambiguous": N_("{count} drives match the one this job was erasing ({wanted}): {devnodes}; nothing "
                             "tells which one it was: refusing to restart"),
    "identity.moved-unsure": N_("{devnode} looks like the drive this job was erasing ({wanted}), but it is no longer "
                                "where it was ({place}) and its serial does not identify it alone ({doubts}): "
                                "refusing to restart"),
})


class IdentityError(ValueError):
    """No present drive may be taken for the recorded one; `notice` says why, in the reader's language."""

    def __init__(self, notice: Notice):
        super().__init__(notice.text())
        self.notice = notice


@dataclass(frozen=True)
class Match:
    """The drive found for a record, or why none may be used."""

    disk: Disk | None
    refusal: Notice | None = None


def _norm(text: str | None) -> str | None:
    value = re.sub(r"[\s_]+", " ", text or "").strip().casefold()
    return value or None


def usable_serial(disk: Disk) -> str | None:
    """The serial, when it can tell this drive from another of the same model; None for junk or none."""
    if set(disk.serial.doubts) & JUNK_DOUBTS:
        return None
    return _norm(disk.serial.value)


def contradictions(recorded: Disk, found: Disk, grown_ok: bool = False) -> list[str]:
    """The identities known on both sides that differ. `grown_ok`: the job removed a hidden area (HPA/DCO),
    so the drive now shows more sectors than when it was planned."""
    differ = []
    for name, before, now in (("serial", _norm(recorded.serial.value), _norm(found.serial.value)),
                              ("wwn", _norm(recorded.wwn), _norm(found.wwn)),
                              ("model", _norm(recorded.model), _norm(found.model))):
        if before and now and before != now:
            differ.append(name)
    if recorded.size_bytes and found.size_bytes and recorded.size_bytes != found.size_bytes \
            and not (grown_ok and found.size_bytes > recorded.size_bytes):
        differ.append("size")
    return differ


def stable_place(recorded: Disk, found: Disk) -> bool | None:
    """Same bay, or same port (udev ID_PATH); None when neither side knows both: the kernel name is not a place."""
    if recorded.bay and found.bay:
        return recorded.bay == found.bay
    if recorded.id_path and found.id_path:
        return recorded.id_path == found.id_path
    return None


def same_place(recorded: Disk, found: Disk) -> bool:
    place = stable_place(recorded, found)
    return place if place is not None else recorded.devnode == found.devnode


def describe(disk: Disk) -> str:
    """Who a drive is, in the words a technician checks on its label."""
    parts = [f"serial {disk.serial.value}" if disk.serial.value else "serial unknown"]
    if disk.wwn:
        parts.append(f"WWN {disk.wwn}")
    if disk.model:
        parts.append(disk.model)
    parts.append(f"{disk.size_bytes} bytes")
    return ", ".join(parts)


def place_of(disk: Disk) -> str:
    return f"bay {disk.bay}" if disk.bay else disk.id_path or disk.devnode


def find_drive(recorded: Disk, present: Sequence[Disk], *, grown_ok: bool = False) -> Match:
    """The one present drive that is the recorded one, or a refusal saying why none can be chosen."""
    wanted = describe(recorded)
    candidates = [d for d in present if not contradictions(recorded, d, grown_ok)]
    serial = usable_serial(recorded)
    wwn = _norm(recorded.wwn)
    if serial or wwn:  # a drive that says who it is must say it: agreeing by omission is not enough
        candidates = [d for d in candidates if (wwn and _norm(d.wwn) == wwn) or (serial and usable_serial(d) == serial)]
    at_place = [d for d in candidates if same_place(recorded, d)]
    if len(at_place) == 1 and (len(candidates) == 1 or stable_place(recorded, at_place[0])):
        return Match(at_place[0])
    if len(candidates) == 1:
        found = candidates[0]
        by_wwn = bool(wwn) and _norm(found.wwn) == wwn
        unique = by_wwn or (serial is not None and "duplicate" not in recorded.serial.doubts
                            and "duplicate" not in found.serial.doubts)
        if unique:
            return Match(found)  # renamed or moved, and its WWN or unshared serial says it is the one
        doubts = ", ".join(recorded.serial.doubts or found.serial.doubts) or "no serial"
        return Match(None, Notice.of("identity.moved-unsure", devnode=found.devnode, wanted=wanted,
                                     place=place_of(recorded), doubts=doubts))
    if len(candidates) > 1:
        return Match(None, Notice.of("identity.ambiguous", count=len(candidates), wanted=wanted,
                                     devnodes=", ".join(d.devnode for d in candidates)))
    occupant = next((d for d in present if same_place(recorded, d)), None)
    if occupant is not None:
        return Match(None, Notice.of("identity.changed", place=place_of(recorded), found=describe(occupant),
                                     wanted=wanted))
    return Match(None, Notice.of("identity.not-found", wanted=wanted))
