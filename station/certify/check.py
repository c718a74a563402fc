"""Offline verification of certificates (JSON + .sig, or a PDF carrying both) and of the station's history.

What a donor, an auditor or the station itself runs. Each check names its reason, so a rejection
says what was wrong: altered bytes, a swapped signature, another station's key, an edited attachment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from station.certify import chain, keys
from station.certify.certificate import schema_errors
from station.certify.keys import sha256_hex
from station.notes import Note, as_note
from station.untrusted import JsonError, load_json


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNREADABLE = "unreadable"


@dataclass
class Outcome:
    path: Path
    status: Status
    reasons: list[str] = field(default_factory=list)
    certificate_id: str | None = None
    kind: str | None = None
    result: str | None = None
    serial: str | None = None
    key_fingerprint: str | None = None
    pinned: bool = False  # checked against a key the verifier supplied, not one found beside the file
    sha256: str | None = None
    link: chain.Link | None = None
    log: str | None = None  # what the registry's log says, when its proof was checked (station.store.logstate)
    # why the record is not "erased" and its notes, as coded (station.notes) or, in a /1 record, English words
    result_reason: Note | str | None = None
    notes: list[Note | str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "status": self.status.value, "reasons": self.reasons,
                "certificate_id": self.certificate_id, "kind": self.kind, "result": self.result,
                "serial": self.serial, "key_fingerprint": self.key_fingerprint, "pinned": self.pinned,
                "sha256": self.sha256, "log": self.log,
                "result_reason": _note_json(self.result_reason), "notes": [_note_json(n) for n in self.notes]}


def exit_code(outcomes: list[Outcome], chain_problems: list[str] | None = None) -> int:
    if chain_problems or any(o.status is Status.INVALID for o in outcomes):
        return 1
    if any(o.status is Status.UNREADABLE for o in outcomes):
        return 2
    return 0


def key_beside(path: Path) -> keys.PublicKey | None:
    """`station.pub.pem` next to the file, or in the data directory's keys/ (unpinned: convenience only)."""
    for candidate in (path.parent / keys.PUBLIC_NAME, path.parent.parent / "keys" / keys.PUBLIC_NAME):
        try:
            return keys.load_public(candidate.read_bytes())
        except (OSError, keys.KeyFileError):
            continue
    return None


def read_signed(path: Path) -> tuple[bytes, bytes | None]:
    """A signed file's exact bytes and its detached `.sig` (None when absent); OSError when the file is unreadable."""
    data = path.read_bytes()
    try:
        signature: bytes | None = path.with_name(path.name + ".sig").read_bytes()
    except OSError:
        signature = None
    return data, signature


def check_record(path: Path, data: bytes, signature: bytes | None, pinned: keys.PublicKey | None,
                 found: keys.PublicKey | None) -> Outcome:
    """Signature, then content: a record is valid only if every check passes."""
    outcome = Outcome(path, Status.VALID, sha256=sha256_hex(data))
    key = pinned or found
    outcome.pinned = pinned is not None
    if key is None:
        outcome.reasons.append("no public key: pass --pubkey station.pub.pem")
    elif signature is None:
        outcome.reasons.append("no signature (.sig) found")
    elif len(signature) != 64:
        outcome.reasons.append(f"signature is {len(signature)} bytes, an Ed25519 signature is 64")
    elif not key.verify(signature, data):
        outcome.reasons.append(f"signature does not match: the JSON was altered, or was not signed by key "
                               f"{key.fingerprint}")
    try:
        record = load_json(data)
    except JsonError as exc:
        outcome.reasons.append(f"not valid JSON ({exc})")
        outcome.status = Status.INVALID
        return outcome
    if not isinstance(record, dict):
        outcome.reasons.append("JSON is not an object")
        outcome.status = Status.INVALID
        return outcome
    outcome.certificate_id = _text(record.get("certificate_id"))
    outcome.kind = _text(record.get("kind"))
    outcome.result = _text(record.get("result"))
    media = record.get("media")
    outcome.serial = _text(media.get("serial")) if isinstance(media, dict) else None
    station = record.get("station")
    claimed = _text(station.get("key_fingerprint")) if isinstance(station, dict) else None
    outcome.key_fingerprint = key.fingerprint if key else claimed
    outcome.reasons.extend(f"schema: {e}" for e in schema_errors(record)[:5])
    if not outcome.reasons:  # well-formed: what it says may be shown, each reader in their language
        outcome.result_reason = as_note(record["result_reason"]) if record.get("result_reason") else None
        outcome.notes = [as_note(n) for n in (record.get("sanitization") or {}).get("notes", [])]
    if key is not None and claimed is not None and claimed != key.fingerprint:
        outcome.reasons.append(f"certificate names station key {claimed} but the key used is {key.fingerprint}")
    if not outcome.reasons:
        try:
            outcome.link = chain.Link(f"{outcome.certificate_id}.json", str(outcome.certificate_id),
                                      int(record["sequence"]), str(claimed), str(record["issued_at"]),
                                      record["previous_certificate_sha256"], outcome.sha256 or "")
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            outcome.reasons.append(f"chain fields unreadable ({exc})")
    if outcome.reasons:
        outcome.status = Status.INVALID
    return outcome


def _note_json(note: Note | str | None) -> object:
    return note.to_dict() if isinstance(note, Note) else note


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def verify_json(path: Path, pinned: keys.PublicKey | None = None) -> Outcome:
    try:
        data, signature = read_signed(path)
    except OSError as exc:
        return Outcome(path, Status.UNREADABLE, [f"cannot read: {exc.strerror or exc}"])
    outcome = check_record(path, data, signature, pinned, None if pinned else key_beside(path))
    if outcome.certificate_id and outcome.status is Status.VALID and path.name != f"{outcome.certificate_id}.json":
        outcome.reasons.append(f"file name does not match certificate id {outcome.certificate_id}")
        outcome.status = Status.INVALID
    return outcome


def verify_pdf(path: Path, pinned: keys.PublicKey | None = None) -> Outcome:
    from station.certify import pdf  # reportlab is slow to import (README, cold start): only when a PDF is checked

    try:
        content = path.read_bytes()
    except OSError as exc:
        return Outcome(path, Status.UNREADABLE, [f"cannot read: {exc.strerror or exc}"])
    try:
        files = pdf.attachments(content)
        text = pdf.page_text(content)
    except Exception as exc:  # pypdf raises many types on damaged files; all mean "cannot read this PDF"
        return Outcome(path, Status.UNREADABLE, [f"not a readable PDF ({type(exc).__name__}: {exc})"])
    names = [n for n in files if n.endswith(".json")]
    if len(names) != 1:
        return Outcome(path, Status.INVALID, [f"expected one attached certificate JSON, found {len(names)}"])
    data = files[names[0]]
    found = None
    if not pinned and keys.PUBLIC_NAME in files:
        try:
            found = keys.load_public(files[keys.PUBLIC_NAME])
        except keys.KeyFileError as exc:
            return Outcome(path, Status.INVALID, [f"attached public key unreadable ({exc})"])
    outcome = check_record(path, data, files.get(names[0] + ".sig"), pinned, found)
    if outcome.status is Status.VALID:
        flat = "".join(text.split())
        expected = {"certificate id": outcome.certificate_id, "JSON sha256": outcome.sha256,
                    "serial": outcome.serial}
        for label, value in expected.items():
            if value and "".join(pdf.printable(value).split()) not in flat:
                outcome.reasons.append(f"the visible page does not show the attached record's {label} ({value})")
        if names[0] != f"{outcome.certificate_id}.json":
            outcome.reasons.append(f"attachment {names[0]} does not match certificate id {outcome.certificate_id}")
        if outcome.reasons:
            outcome.status = Status.INVALID
    return outcome


def verify_file(path: Path, pinned: keys.PublicKey | None = None) -> Outcome:
    try:
        head = path.read_bytes()[:5]
    except OSError as exc:
        return Outcome(path, Status.UNREADABLE, [f"cannot read: {exc.strerror or exc}"])
    if head.startswith(b"%PDF"):
        return verify_pdf(path, pinned)
    if path.name.endswith(".manifest.json"):
        return verify_manifest(path, pinned)
    if path.suffix == ".json":
        return verify_json(path, pinned)
    return Outcome(path, Status.UNREADABLE, ["neither a certificate JSON nor a PDF"])


def verify_chain(directory: Path, pinned: keys.PublicKey | None = None) -> tuple[list[Outcome], list[str]]:
    """Every certificate in the directory checked on its own, then the links between them."""
    outcomes = [verify_json(p, pinned) for p in sorted(directory.glob("*.json"))
                if p.name != chain.HEAD_NAME and not p.name.endswith(".manifest.json")]
    if not outcomes:
        return [], [f"{directory}: no certificate found"]
    links = [o.link for o in outcomes if o.link is not None]
    return outcomes, chain.check(links)


def in_chain(outcome: Outcome, links: dict[str, chain.Link]) -> str | None:
    """Why a verified file is not the record the chain holds under its id, or None."""
    if outcome.link is None or outcome.certificate_id is None:
        return None
    held = links.get(outcome.certificate_id)
    if held is None:
        return f"{outcome.certificate_id} is not in the given history"
    if held.sha256 != outcome.sha256:
        return f"{outcome.certificate_id} differs from the record of the same id in the history"
    return None


def verify_manifest(path: Path, pinned: keys.PublicKey | None = None) -> Outcome:
    """Signature and schema of a lot manifest, then every listed file present beside it with its sha256."""
    try:
        data, signature = read_signed(path)
    except OSError as exc:
        return Outcome(path, Status.UNREADABLE, [f"cannot read: {exc.strerror or exc}"])
    found = None if pinned else key_beside(path)
    outcome = Outcome(path, Status.VALID, sha256=sha256_hex(data), pinned=pinned is not None)
    key = pinned or found
    if key is None:
        outcome.reasons.append("no public key: pass --pubkey station.pub.pem")
    elif signature is None or not key.verify(signature, data):
        outcome.reasons.append("manifest signature missing or does not match")
    try:
        record = load_json(data)
    except JsonError as exc:
        outcome.reasons.append(f"not valid JSON ({exc})")
        outcome.status = Status.INVALID
        return outcome
    errors = schema_errors(record, "lot-manifest")
    outcome.reasons.extend(f"schema: {e}" for e in errors[:5])
    if not errors:
        outcome.kind = "lot-manifest"
        outcome.key_fingerprint = key.fingerprint if key else record["station"]["key_fingerprint"]
        if key and record["station"]["key_fingerprint"] != key.fingerprint:
            outcome.reasons.append("manifest names another station key")
        listed = [(c["file"], c["sha256"], c["certificate_id"]) for c in record["certificates"]]
        listed.append((record["report"]["file"], record["report"]["sha256"], "report"))
        for name, digest, label in listed:
            parts = Path(name).parts
            if not parts or Path(name).is_absolute() or ".." in parts:
                outcome.reasons.append(f"{label}: {name[:80]!r} is not a file of the report folder")
                continue
            target = path.parent / name
            content = _read(target)
            if content is None:
                outcome.reasons.append(f"{label}: {name[:80]} is missing or unreadable")
                continue
            if sha256_hex(content) != digest:
                outcome.reasons.append(f"{label}: {name} differs from the manifest")
                continue
            if label != "report":
                cert = check_record(target, content, _read(target.with_name(target.name + ".sig")),
                                    key, None)
                outcome.reasons.extend(f"{label}: {r}" for r in cert.reasons)
    if outcome.reasons:
        outcome.status = Status.INVALID
    return outcome


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (OSError, ValueError):  # a name too long or holding a NUL byte names no file
        return None
