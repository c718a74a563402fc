"""User-facing text in French and English through gettext catalogs shipped with the package.

The language is chosen once per process (command-line option, then the saved settings, then
`LANG`/`LANGUAGE`, then French, the users' language) and can be switched live by the TUI: every
screen calls `_()` when it renders, never at import time.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "station"  # what people read on screen
DOCUMENTS = "documents"  # what certificates and lot reports print, in the document's own language
AUDIT = "audit"  # what audit records print (their words differ: a failed test reads KO, not ÉCHEC)
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _code(locale_name: str) -> str:
    return locale_name.split("_")[0].split(".")[0].split("@")[0].lower()


def language_from_env(env: Mapping[str, str]) -> str | None:
    """fr or en from the POSIX locale variables in their precedence order.

    None when they do not say (unset, C or POSIX, as on a bare live system); any other
    language than French reads English, the closer second language of most technicians.
    """
    for part in env.get("LANGUAGE", "").split(":"):
        if _code(part) in LANGUAGES:
            return _code(part)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            code = _code(value)
            if code in ("c", "posix"):
                return None
            return code if code in LANGUAGES else "en"
    return None


def choose_language(option: str | None, configured: str | None, env: Mapping[str, str] | None = None) -> str:
    """The --lang option wins, then the saved setting, then the environment, then French."""
    for candidate in (option, configured):
        if candidate in LANGUAGES:
            return str(candidate)
    return language_from_env(os.environ if env is None else env) or DEFAULT_LANGUAGE


def translations(lang: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The catalog for `lang`; English is the source language, so a missing catalog falls back to it."""
    return gettext.translation(domain, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def set_language(lang: str) -> None:
    global _current, _language
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    _current, _language = translations(lang), lang


def language() -> str:
    return _language


def _(message: str) -> str:
    return _current.gettext(message)


def N_(message: str) -> str:
    """Marks a string for the catalog where it is defined; it is translated where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)
