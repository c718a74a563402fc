"""Station key and settings: created once, protected, never silently replaced; bad files give defaults and a warning."""

from __future__ import annotations

import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from station.certify import keys
from station.store import config
from station.store.datadir import DataDir


def test_key_created_once_private_0600_and_stable(datadir: DataDir) -> None:
    first = keys.load_or_create(datadir)
    mode = stat.S_IMODE(keys.private_path(datadir).stat().st_mode)
    assert mode == 0o600
    again = keys.load_or_create(datadir)
    assert again.fingerprint == first.fingerprint
    assert keys.public_path(datadir).read_bytes() == first.public_pem()
    assert len(first.fingerprint) == 19 and first.fingerprint.count("-") == 3


def test_sign_and_verify_round_trip(datadir: DataDir) -> None:
    key = keys.load_or_create(datadir)
    signature = key.sign(b"payload")
    public = keys.load_public(keys.public_path(datadir).read_bytes())
    assert public.verify(signature, b"payload")
    assert not public.verify(signature, b"payloaD")
    assert public.fingerprint == key.fingerprint


def test_passphrase_protects_the_key(datadir: DataDir) -> None:
    key = keys.load_or_create(datadir, passphrase=b"correct horse")
    assert b"ENCRYPTED" in keys.private_path(datadir).read_bytes()
    with pytest.raises(keys.KeyFileError):
        keys.load_or_create(datadir, passphrase=b"wrong")
    with pytest.raises(keys.KeyFileError):
        keys.load_or_create(datadir)
    assert keys.load_or_create(datadir, passphrase=b"correct horse").fingerprint == key.fingerprint


def test_corrupt_key_is_an_error_not_a_new_key(datadir: DataDir) -> None:
    keys.load_or_create(datadir)
    keys.private_path(datadir).write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(keys.KeyFileError):
        keys.load_or_create(datadir)
    assert b"garbage" in keys.private_path(datadir).read_bytes()


def test_load_public_refuses_other_key_types() -> None:
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(keys.KeyFileError, match="Ed25519"):
        keys.load_public(pem)
    with pytest.raises(keys.KeyFileError):
        keys.load_public(b"not a key")


def test_settings_round_trip(datadir: DataDir) -> None:
    settings = config.with_value(config.Settings(), "organisation", "Envie Lyon")
    settings = config.with_value(settings, "language", "en")
    config.save(datadir, settings)
    assert config.load(datadir) == settings
    assert stat.S_IMODE(datadir.config_file.stat().st_mode) == 0o600


def test_document_language_option_then_setting_then_the_process_language(datadir: DataDir) -> None:
    from station import i18n

    i18n.set_language("en")
    assert config.document_language(config.Settings()) == "en"  # never chosen: what LANG gave the process
    chosen = config.with_value(config.Settings(), "language", "fr")
    assert config.document_language(chosen) == "fr"
    assert config.document_language(chosen, "en") == "en"
    assert config.with_value(chosen, "language", "").language == ""  # back to following LANG
    with pytest.raises(config.SettingError):
        config.with_value(chosen, "language", "de")


def test_missing_settings_are_defaults(datadir: DataDir) -> None:
    settings, warnings = config.load_checked(datadir)
    assert settings == config.Settings() and warnings == []
    assert settings.language == "" and settings.default_method == "zero" and settings.default_verify == "full"


def test_corrupt_settings_give_defaults_and_a_warning(datadir: DataDir, caplog: pytest.LogCaptureFixture) -> None:
    datadir.config_file.write_text("{not json")
    settings = config.load(datadir)
    assert settings == config.Settings()
    assert "not valid JSON" in caplog.text


def test_bad_values_keep_defaults_and_say_so(datadir: DataDir) -> None:
    datadir.config_file.write_text(json.dumps({"language": "de", "operator": "Sam", "lot": 12, "colour": "red"}))
    settings, warnings = config.load_checked(datadir)
    assert settings.operator == "Sam" and settings.language == "" and settings.lot == ""
    assert len(warnings) == 3
    assert any("language" in w for w in warnings) and any("colour" in w for w in warnings)


def test_setting_validation() -> None:
    with pytest.raises(config.SettingError):
        config.with_value(config.Settings(), "nope", "x")
    with pytest.raises(config.SettingError):
        config.with_value(config.Settings(), "default_verify", "sample:0")
    assert config.with_value(config.Settings(), "default_verify", "sample:5").default_verify == "sample:5"
