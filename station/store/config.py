"""Station settings: who erases for whom, defaults, and where certificates are uploaded.

Stored as one JSON file on the data directory. A missing or corrupt file never stops the station:
defaults are used and the technician is told why (a warning, logged and returned).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from typing import Any

from station import i18n
from station.store import atomic
from station.store.datadir import DataDir

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
VERIFY_MODES_PREFIXES = ("full", "markers", "sample:")


@dataclass
class Settings:
    organisation: str = ""
    operator: str = ""
    donor: str = ""
    lot: str = ""
    language: str = ""  # "" = not chosen yet: LANG decides, then French (station.i18n.choose_language)
    default_method: str = "zero"
    default_verify: str = "full"
    upload_endpoint: str = ""
    upload_token: str = ""
    station_name: str = ""
    # NIST SP 800-88 Appendix G person and destination fields, printed on certificates
    operator_title: str = ""
    location: str = ""
    contact: str = ""
    validator: str = ""  # who validates (signs off) the certificates; empty = the operator
    validator_title: str = ""
    destination: str = "reuse"  # post-sanitization destination: reuse, resale, recycling, manufacturer, other
    # the registry this station is enrolled with (`station enroll`, docs/registry-api.md)
    registry_url: str = ""  # base URL R: proofs are asked at R/api/v1/proof/...
    log_origin: str = ""  # the registry's transparency log (checkpoint origin line)
    log_key: str = ""  # its C2SP signed-note verifier key: <name>+<key id>+<base64 key>
    certificate_page: str = ""  # the registry's page of a record, with {record_id}: what the certificate's QR names

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


SETTING_NAMES = tuple(f.name for f in fields(Settings))
SECRET_NAMES = ("upload_token",)


class SettingError(ValueError):
    pass


def _check(name: str, value: str) -> str:
    if name == "language" and value not in (*LANGUAGES, ""):
        raise SettingError(f"language must be one of {', '.join(LANGUAGES)} (or empty: follow LANG), not {value!r}")
    if name == "default_verify" and not (value in ("full", "markers") or _valid_sample(value)):
        raise SettingError(f"default_verify must be full, markers or sample:P (0<P<=100), not {value!r}")
    if name in ("upload_endpoint", "registry_url", "certificate_page") and value and not value.startswith(
            ("https://", "http://")):
        raise SettingError(f"{name} must be an http(s) URL, not {value!r}")
    if name == "certificate_page" and value and "{record_id}" not in value:
        raise SettingError(f"certificate_page must hold {{record_id}}, not {value!r}")
    if name == "log_key" and value:
        # only an enrolled station's setting: a wipe reads the settings without the log's note verifier
        from station.certify.checkpoint import NoteError, Verifier

        try:
            Verifier.parse(value)
        except NoteError as exc:
            raise SettingError(f"log_key is not a signed-note verifier key: {exc}") from None
    return value


def _valid_sample(value: str) -> bool:
    if not value.startswith("sample:"):
        return False
    try:
        percent = float(value.split(":", 1)[1])
    except ValueError:
        return False
    return 0 < percent <= 100


def document_language(settings: Settings, option: str | None = None) -> str:
    """The language of a certificate or report: the option, then the saved setting, then the process's language
    (which the CLI and the TUI chose from LANG when the technician never picked one)."""
    for candidate in (option, settings.language):
        if candidate in LANGUAGES:
            return str(candidate)
    return i18n.language()


def with_value(settings: Settings, name: str, value: str) -> Settings:
    """A copy of `settings` with one key changed; SettingError names what is wrong."""
    if name not in SETTING_NAMES:
        raise SettingError(f"unknown setting {name!r}; known: {', '.join(SETTING_NAMES)}")
    values = settings.to_dict()
    values[name] = _check(name, value.strip())
    return Settings(**values)


def from_dict(data: Any) -> tuple[Settings, list[str]]:
    """Settings from parsed JSON, keeping every valid key; the warnings say what was ignored."""
    warnings: list[str] = []
    if not isinstance(data, dict):
        return Settings(), [f"settings file holds {type(data).__name__}, not an object: using defaults"]
    settings = Settings()
    for key, value in data.items():
        if key not in SETTING_NAMES:
            warnings.append(f"unknown setting {key!r} ignored")
            continue
        if not isinstance(value, str):
            warnings.append(f"setting {key!r} is not text ({value!r}): default kept")
            continue
        try:
            settings = with_value(settings, key, value)
        except SettingError as exc:
            warnings.append(f"{exc}: default kept")
    return settings, warnings


def load_checked(datadir: DataDir) -> tuple[Settings, list[str]]:
    path = datadir.config_file
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(), []
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(), [f"cannot read {path} ({exc}): using default settings"]
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return Settings(), [f"{path} is not valid JSON ({exc}): using default settings"]
    settings, warnings = from_dict(data)
    return settings, [f"{path}: {w}" for w in warnings]


def load(datadir: DataDir) -> Settings:
    settings, warnings = load_checked(datadir)
    for warning in warnings:
        log.warning("%s", warning)
    return settings


def save(datadir: DataDir, settings: Settings) -> None:
    """Atomic write, 0600 because the upload token lives here."""
    text = json.dumps(settings.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic.write_text(datadir.config_file, text, mode=0o600)
