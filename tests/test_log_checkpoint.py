"""C2SP signed notes and checkpoints.

Vectors: the PeterNeumann / EnochRoot keys and signatures are from golang.org/x/mod's sumdb/note/note_test.go
(the reference implementation of the signed-note format); the checkpoint example layout is c2sp.org/tlog-checkpoint's.
Ed25519 is deterministic, so signing the same text with the same seed must give the same bytes as Go did.
"""

from __future__ import annotations

import base64

import pytest

from station.certify.checkpoint import (
    BadKey,
    BadSignature,
    Checkpoint,
    MalformedNote,
    SignedNote,
    Signer,
    UnverifiedNote,
    Verifier,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = ("— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
             "\n")


def test_go_verifier_key_parses_and_round_trips() -> None:
    v = Verifier.parse(PETER_VKEY)
    assert v.name == "PeterNeumann" and v.key_id.hex() == "c74f20a3"
    assert v.key_string() == PETER_VKEY


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(BadKey):
                    Verifier.parse(b[i:j])
    for i in range(len(b)):
        with pytest.raises(BadKey):
            Verifier.parse(b[:i] + chr(ord(b[i]) + 1) + b[i + 1:])
    with pytest.raises(BadKey):  # wrong length key, key ID adjusted (Go's case)
        Verifier.parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(BadKey):  # unknown algorithm, key ID adjusted (Go's case)
        Verifier.parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_go_signer_key_signs_exactly_as_go_did() -> None:
    signer = Signer.parse(PETER_SKEY)
    assert signer.key_string() == PETER_SKEY
    assert signer.verifier().key_string() == PETER_VKEY
    assert sign_note(TEXT, signer) == (TEXT + "\n" + PETER_SIG).encode()


def test_open_ignores_unknown_signatures_and_keeps_the_verified_ones() -> None:
    peter, enoch = Verifier.parse(PETER_VKEY), Verifier.parse(ENOCH_VKEY)
    both = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    note = open_note(both, [peter])
    assert note.text == TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [s.name for s in open_note(both, [peter, enoch]).signatures] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(UnverifiedNote):
        open_note(both, [])
    # same name, other key: unknown, ignored; with no other signature the note is unverified
    stranger = Signer.generate("PeterNeumann").verifier()
    with pytest.raises(UnverifiedNote):
        open_note((TEXT + "\n" + PETER_SIG).encode(), [stranger])


def test_a_known_key_whose_signature_fails_rejects_the_note() -> None:
    peter = Verifier.parse(PETER_VKEY)
    forged = (TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).encode()
    with pytest.raises(BadSignature):
        open_note(forged, [peter])
    altered = (TEXT.replace("answer", "answers") + "\n" + PETER_SIG).encode()
    with pytest.raises(BadSignature):
        open_note(altered, [peter])


@pytest.mark.parametrize("bad", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    TEXT + "\n" + "— Bad Name " + PETER_B64,
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + PETER_SIG * 101,
    TEXT + "\n" + "— PeterNeumann AAAA\n",
    TEXT + "\n" + f"— a+b {PETER_B64}\n",
])
def test_malformed_notes_are_refused(bad: str) -> None:
    with pytest.raises(MalformedNote):
        open_note(bad.encode(), [Verifier.parse(PETER_VKEY)])


def test_invalid_utf8_is_malformed() -> None:
    with pytest.raises(MalformedNote):
        SignedNote.parse(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_text_may_hold_blank_lines_the_last_one_separates() -> None:
    signer = Signer.generate("example.com/log")
    text = "line one\n\nline three\n"
    assert open_note(sign_note(text, signer), [signer.verifier()]).text == text


def test_checkpoint_round_trip_with_the_spec_layout() -> None:
    signer = Signer.generate("example.com/behind-the-sofa")
    root = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    cp = Checkpoint("example.com/behind-the-sofa", 20852163, root)
    assert cp.text() == "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    note = sign_checkpoint(cp, signer)
    assert note.decode().startswith(cp.text() + "\n— example.com/behind-the-sofa ")
    assert open_checkpoint(note, signer.verifier()) == cp
    with_ext = Checkpoint("example.com/behind-the-sofa", 5, root, ("ext one",))
    assert open_checkpoint(sign_checkpoint(with_ext, signer), signer.verifier()) == with_ext


def test_checkpoint_of_another_log_or_key_is_refused() -> None:
    signer = Signer.generate("registre.example.org/log")
    cp = Checkpoint("registre.example.org/log", 3, b"\x00" * 32)
    with pytest.raises(UnverifiedNote):
        open_checkpoint(sign_checkpoint(cp, Signer.generate("registre.example.org/log")), signer.verifier())
    other = Checkpoint("elsewhere.example/log", 3, b"\x00" * 32)
    with pytest.raises(MalformedNote):
        open_checkpoint(sign_checkpoint(other, signer), signer.verifier())


@pytest.mark.parametrize("text", [
    "origin\n3\n",  # no root
    "\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # empty origin
    "origin\n03\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
    "origin\n-3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\nthree\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n3\nAAAA\n",  # root not 32 bytes
    "origin\n3\nnot base64!\n",
])
def test_malformed_checkpoints_are_refused(text: str) -> None:
    signer = Signer.generate("origin")
    with pytest.raises(MalformedNote):
        open_checkpoint(sign_note(text, signer), signer.verifier())


def test_size_zero_is_a_valid_checkpoint() -> None:
    signer = Signer.generate("origin")
    cp = Checkpoint("origin", 0, b"\x01" * 32)
    assert open_checkpoint(sign_checkpoint(cp, signer), signer.verifier()).size == 0
