"""The station's log state without a server: which checkpoints are kept, which are refused, and what an enrollment
answer must hold before anything is saved. Checkpoints here are signed with station.certify.checkpoint over real
station.certify.merkle trees (synthetic entries)."""

from __future__ import annotations

import json

import pytest

from station.certify.checkpoint import Checkpoint, Signer, sign_checkpoint
from station.certify.merkle import MemoryTree, leaf_hash
from station.store import config, enroll, logstate
from station.store.datadir import DataDir

SIGNER = Signer.generate("registre.example.org/log")


def tree(n: int, tag: str = "") -> MemoryTree:
    return MemoryTree.of_leaf_hashes([leaf_hash(f"entry {i}{tag if i == 0 else ''}".encode()) for i in range(n)])


def note(t: MemoryTree, size: int, signer: Signer = SIGNER) -> bytes:
    return sign_checkpoint(Checkpoint(signer.name, size, t.root(size)), signer)


def accept(datadir: DataDir, t: MemoryTree, size: int) -> Checkpoint:
    return logstate.accept_checkpoint(datadir, note(t, size), SIGNER.verifier(), SIGNER.name,
                                      lambda a, b: t.consistency_proof(a, b))


def test_newer_consistent_checkpoints_replace_the_kept_one(datadir: DataDir) -> None:
    t = tree(40)
    for size in (1, 2, 7, 8, 33, 40):
        assert accept(datadir, t, size).size == size
        assert logstate.checkpoint_path(datadir).read_bytes() == note(t, size)


def test_a_lagging_checkpoint_is_checked_but_does_not_replace(datadir: DataDir) -> None:
    t = tree(40)
    accept(datadir, t, 33)
    kept = logstate.checkpoint_path(datadir).read_bytes()
    assert accept(datadir, t, 20).size == 20
    assert logstate.checkpoint_path(datadir).read_bytes() == kept
    with pytest.raises(logstate.LogFork):
        accept(datadir, tree(40, "rewritten"), 20)  # smaller and not a prefix: a fork all the same


def test_same_size_other_root_is_a_fork_and_is_not_kept(datadir: DataDir) -> None:
    accept(datadir, tree(12), 12)
    kept = logstate.checkpoint_path(datadir).read_bytes()
    with pytest.raises(logstate.LogFork):
        accept(datadir, tree(12, "rewritten"), 12)
    with pytest.raises(logstate.LogFork):
        accept(datadir, tree(30, "rewritten"), 30)
    assert logstate.checkpoint_path(datadir).read_bytes() == kept


def test_an_edited_kept_checkpoint_is_refused(datadir: DataDir) -> None:
    t = tree(12)
    accept(datadir, t, 5)
    path = logstate.checkpoint_path(datadir)
    path.write_bytes(path.read_bytes().replace(b"\n5\n", b"\n6\n"))
    with pytest.raises(logstate.BadCheckpoint):
        accept(datadir, t, 12)


def test_a_checkpoint_by_another_key_or_for_another_log_is_refused(datadir: DataDir) -> None:
    t = tree(3)
    impostor = Signer.generate(SIGNER.name)
    with pytest.raises(logstate.BadCheckpoint):
        logstate.accept_checkpoint(datadir, note(t, 3, impostor), SIGNER.verifier(), SIGNER.name, t.consistency_proof)
    with pytest.raises(logstate.BadCheckpoint):
        logstate.accept_checkpoint(datadir, note(t, 3), SIGNER.verifier(), "elsewhere.example/log",
                                   t.consistency_proof)
    assert not logstate.checkpoint_path(datadir).exists()


GOOD_ANSWER = {"station_id": 3, "organisation": "Envie", "upload_endpoint": "https://r.example/api/v1/records",
               "upload_token": "t", "certificate_page": "https://r.example/v/{record_id}",
               "log": {"origin": SIGNER.name, "verifier_key": SIGNER.verifier().key_string()}}


@pytest.mark.parametrize("change", [
    {"log": {"origin": SIGNER.name, "verifier_key": "junk"}},
    {"log": {"origin": "other.example/log", "verifier_key": SIGNER.verifier().key_string()}},
    {"upload_endpoint": "http://r.example/api/v1/records"},
    {"certificate_page": "https://r.example/v/"},
    {"upload_token": ""},
    {"station_id": None},
    {"log": None},
])
def test_an_enrollment_answer_must_be_whole_and_usable(change: dict[str, object]) -> None:
    enroll.parse_answer(json.dumps(GOOD_ANSWER).encode())
    with pytest.raises(enroll.EnrollError) as caught:
        enroll.parse_answer(json.dumps({**GOOD_ANSWER, **change}).encode())
    assert caught.value.code == "bad-answer"
    with pytest.raises(enroll.EnrollError):
        enroll.parse_answer(b"<html>")


def test_registry_settings_are_validated() -> None:
    settings = config.Settings()
    assert config.with_value(settings, "log_key", SIGNER.verifier().key_string()).log_key
    for name, value in (("log_key", "junk+00000000+AAAA"), ("certificate_page", "https://r.example/v/"),
                        ("registry_url", "ftp://r.example")):
        with pytest.raises(config.SettingError):
            config.with_value(settings, name, value)
