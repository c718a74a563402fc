"""`python -m registry sign_checkpoint [--verify]`: the periodic check of the log, run by the start command too.

Every append signs its own checkpoint in the same transaction, so there is never an unsigned tail; this
command signs the empty tree of a new log, checks the stored tree against the last signed checkpoint
(refusing to go on if they differ), and with --verify recomputes the whole tree from the stored entries
and checks every checkpoint's signature, root and consistency with the one before it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.core.models import Checkpoint, LogEntry
from registry.log import store
from station.certify import checkpoint as note
from station.certify import merkle


class Command(BaseCommand):
    help = "Sign the empty tree of a new log, check the last checkpoint; --verify re-checks the whole log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verify", action="store_true", help="recompute every root from the entries")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            last = store.ensure_checkpoint()
        except store.LogError as exc:
            raise CommandError(str(exc)) from exc
        if options["verify"]:
            self._verify(last.size)
        if not options["quiet"]:
            self.stdout.write(last.note, ending="")

    def _verify(self, size: int) -> None:
        verifier = store.signer().verifier()
        tree = merkle.MemoryTree()
        for entry in LogEntry.objects.filter(index__lt=size).order_by("index").iterator():
            if bytes(entry.leaf_hash) != merkle.leaf_hash(bytes(entry.entry)):
                raise CommandError(f"entry {entry.index}: stored leaf hash is not the hash of the entry")
            tree.append(bytes(entry.leaf_hash))
        if tree.size != size:
            raise CommandError(f"{tree.size} entries for a checkpoint of size {size}")
        previous: Checkpoint | None = None
        for checkpoint in Checkpoint.objects.order_by("size").iterator():
            head = note.open_checkpoint(checkpoint.note.encode(), verifier)
            if head.size != checkpoint.size or head.root != bytes(checkpoint.root):
                raise CommandError(f"checkpoint {checkpoint.size}: the signed note and the stored root disagree")
            if tree.root(head.size) != head.root:
                raise CommandError(f"checkpoint {checkpoint.size}: root differs from the entries' tree")
            if previous is not None and previous.size:
                proof = tree.consistency_proof(previous.size, head.size)
                merkle.verify_consistency(previous.size, head.size, bytes(previous.root), head.root, proof)
            previous = checkpoint
        self.stderr.write(f"log verified: {size} entries, every checkpoint consistent with the one before")
