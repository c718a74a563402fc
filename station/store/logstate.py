"""What the station knows of its registry's transparency log: the newest checkpoint it verified, and for each
record it sent, the inclusion proof and the checkpoint that proof is against.

The registry is an outside witness only if the station checks it: every checkpoint must carry the log's signature,
every new one must extend the last one kept (a consistency proof), and each record's proof must lead from the
record's own log entry to a signed root. A failure here is never quiet: the caller reports it and keeps the record
queued; the bad checkpoint is not kept. Network access is the caller's (`fetch_*` callables), so this module is
testable without a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from station.certify.checkpoint import Checkpoint, NoteError, Verifier, open_checkpoint
from station.certify.logentry import EntryError, LogEntry
from station.certify.merkle import ProofError, verify_consistency, verify_inclusion
from station.store import atomic
from station.store.datadir import DataDir

PROOF_SUFFIX = ".inclusion"  # beside the record's JSON: <id>.json.inclusion, as <id>.json.sig
FORMAT = "station-inclusion-proof/v1"

#: (old size, new size) -> the consistency proof's hashes
ConsistencyFetcher = Callable[[int, int], Sequence[bytes]]
#: (index, size) -> (leaf hash the registry holds, the audit path)
InclusionFetcher = Callable[[int, int], tuple[bytes, Sequence[bytes]]]


class LogError(Exception):
    """The registry's log cannot be trusted as it answered: bad signature, fork, or a proof that fails."""


class BadCheckpoint(LogError):
    """A checkpoint that is malformed, for another log, or not signed by the log's key."""


class LogFork(LogError):
    """Two checkpoints that no single append-only log can have produced: the registry rewrote its history."""


def checkpoint_path(datadir: DataDir) -> Path:
    return datadir.root / "log" / "checkpoint"


def record_path(datadir: DataDir, record_id: str, kind: str) -> Path:
    return (datadir.audits if kind == "audit" else datadir.certificates) / f"{record_id}.json"


def proof_path(record_json: Path) -> Path:
    return record_json.with_name(record_json.name + PROOF_SUFFIX)


def verifier_of(log_key: str) -> Verifier:
    try:
        return Verifier.parse(log_key)
    except NoteError as exc:
        raise BadCheckpoint(f"the saved log key is unusable: {exc}") from None


def open_signed(note: bytes, verifier: Verifier, origin: str | None) -> Checkpoint:
    try:
        return open_checkpoint(note, verifier, origin or None)
    except NoteError as exc:
        raise BadCheckpoint(f"checkpoint refused: {exc}") from None


def saved_checkpoint(datadir: DataDir, verifier: Verifier, origin: str | None) -> Checkpoint | None:
    """The newest checkpoint kept, checked again (the file could have been edited on the key)."""
    try:
        note = checkpoint_path(datadir).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogError(f"cannot read the saved checkpoint: {exc}") from None
    return open_signed(note, verifier, origin)


def accept_checkpoint(datadir: DataDir, note: bytes, verifier: Verifier, origin: str | None,
                      fetch_consistency: ConsistencyFetcher) -> Checkpoint:
    """Verifies a checkpoint the registry handed over and its consistency with the one kept; keeps it if newer.

    A smaller checkpoint (a lagging replica) must be a prefix of the kept one and does not replace it.
    """
    new = open_signed(note, verifier, origin)
    old = saved_checkpoint(datadir, verifier, origin)
    if old is not None:
        small, large = (old, new) if old.size <= new.size else (new, old)
        try:
            proof = [] if small.size in (0, large.size) else list(fetch_consistency(small.size, large.size))
            verify_consistency(small.size, large.size, small.root, large.root, proof)
        except ProofError as exc:
            raise LogFork(f"the log at size {new.size} is not consistent with the checkpoint kept at size "
                          f"{old.size}: {exc}") from None
        if new.size <= old.size:
            return new
    atomic.write_bytes(checkpoint_path(datadir), note)
    return new


@dataclass(frozen=True)
class InclusionProof:
    """A record's place in the log, checkable offline: its entry fields, the path, and the signed checkpoint."""

    kind: str
    record_id: str
    sha256: str
    station: str
    log_index: int
    tree_size: int
    proof: tuple[str, ...]  # lowercase hex hashes
    checkpoint: str  # the signed note, as the registry signed it
    format: str = FORMAT

    def entry(self) -> LogEntry:
        return LogEntry(self.kind, self.record_id, self.sha256, self.station)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> InclusionProof:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            proof = data["proof"]
            if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
                raise ValueError("proof is a list of hex hashes")
            fields = {k: data[k] for k in ("kind", "record_id", "sha256", "station", "checkpoint")}
            if not all(isinstance(v, str) for v in fields.values()):
                raise ValueError("kind, record_id, sha256, station and checkpoint are text")
            index, size = data["log_index"], data["tree_size"]
            if not isinstance(index, int) or not isinstance(size, int):
                raise ValueError("log_index and tree_size are integers")
        except (ValueError, KeyError) as exc:
            raise LogError(f"unreadable inclusion proof: {exc}") from None
        return cls(log_index=index, tree_size=size, proof=tuple(proof), **fields)


def find_proof(record_file: Path) -> Path | None:
    """The saved proof of a record JSON (<id>.json.inclusion) or of its PDF (<id>.pdf -> <id>.json.inclusion)."""
    candidates = [proof_path(record_file)]
    if record_file.suffix == ".pdf":
        candidates.append(record_file.with_name(record_file.stem + ".json" + PROOF_SUFFIX))
    return next((c for c in candidates if c.exists()), None)


def check_inclusion(saved: InclusionProof, record_sha256: str, station_matches: Callable[[str], bool],
                    verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Offline: is the record of this sha256, signed by the station `station_matches` accepts, in the log?
    Returns the checkpoint proving it; raises LogError saying why not."""
    if record_sha256 != saved.sha256:
        raise LogError("the record's bytes are not the ones the log holds (sha256 differs)")
    if not station_matches(saved.station):
        raise LogError("the log entry names another station key than the one that signed the record")
    checkpoint = open_signed(saved.checkpoint.encode(), verifier, origin)
    if checkpoint.size != saved.tree_size:
        raise LogError(f"the proof is for size {saved.tree_size}, the checkpoint for size {checkpoint.size}")
    try:
        leaf = saved.entry().leaf_hash()
        path = [bytes.fromhex(h) for h in saved.proof]
        verify_inclusion(leaf, saved.log_index, saved.tree_size, path, checkpoint.root)
    except (EntryError, ProofError, ValueError) as exc:
        raise LogError(f"the inclusion proof fails: {exc}") from None
    return checkpoint


def prove_and_keep(datadir: DataDir, entry: LogEntry, index: int, checkpoint: Checkpoint, note: bytes,
                   fetch_inclusion: InclusionFetcher) -> InclusionProof:
    """Fetches the record's inclusion proof against `checkpoint`, verifies it, writes it beside the record."""
    leaf, path = fetch_inclusion(index, checkpoint.size)
    if leaf != entry.leaf_hash():
        raise LogError(f"the log holds another entry at index {index} than this record's")
    try:
        verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root)
    except ProofError as exc:
        raise LogError(f"the registry's inclusion proof for index {index} fails: {exc}") from None
    saved = InclusionProof(entry.kind, entry.record_id, entry.sha256, entry.station, index, checkpoint.size,
                           tuple(h.hex() for h in path), note.decode())
    atomic.write_text(proof_path(record_path(datadir, entry.record_id, entry.kind)), saved.to_json())
    return saved
