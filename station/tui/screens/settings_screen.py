"""Settings kept in the data directory: who erases for whom, language, default method, upload."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from station.i18n import N_, _
from station.store import config
from station.tui.face import StationScreen
from station.tui.screens.plan_screen import METHODS
from station.tui.widgets import KeyBar, KeyHint, MessageLine

FIELDS = (
    ("organisation", N_("Organisation")),
    ("operator", N_("Operator")),
    ("donor", N_("Donor")),
    ("lot", N_("Lot")),
    ("station_name", N_("Station name")),
    ("language", N_("Language (fr/en)")),
    ("default_method", N_("Default method")),
    ("default_verify", N_("Verification")),
    ("upload_endpoint", N_("Upload endpoint")),
    ("upload_token", N_("Upload token")),
)


def apply_form(settings: config.Settings, values: dict[str, str]) -> config.Settings:
    """The settings with the form's values; raises config.SettingError naming the first bad field."""
    method = values.get("default_method", settings.default_method).strip()
    if method not in METHODS:
        raise config.SettingError(_("default method must be one of {choices}").format(choices=", ".join(METHODS)))
    for name, value in values.items():
        settings = config.with_value(settings, name, value)
    return settings


class SettingsScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("Tab", N_("next field")), ("Ctrl+S", N_("save")), ("Esc", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", show=False, priority=True),
                                             Binding("escape", "back", show=False)]
    DEFAULT_CSS = """
    SettingsScreen #form { height: 1fr; }
    SettingsScreen Horizontal { height: 1; }
    SettingsScreen Label { width: 20; }
    SettingsScreen Input { width: 1fr; }
    """


    def compose(self) -> ComposeResult:
        values = self.station.settings.to_dict()
        yield Static(id="title", classes="title")
        with VerticalScroll(id="form"):
            for name, _label in FIELDS:
                with Horizontal():
                    yield Label(id=f"label-{name}")
                    yield Input(values[name], id=f"field-{name}", password=name in config.SECRET_NAMES)
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.retranslate()
        self.query_one(f"#field-{FIELDS[0][0]}", Input).focus()

    def retranslate(self) -> None:
        self.query_one("#title", Static).update(Text(_("Settings (kept in {path})").format(
            path=self.station.session.datadir.config_file)))
        for name, label in FIELDS:
            self.query_one(f"#label-{name}", Label).update(Text(_(label)))
        self.query_one(KeyBar).retranslate()

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#field-{name}", Input).value for name, _label in FIELDS}

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        try:
            settings = apply_form(self.station.settings, self.values())
        except config.SettingError as exc:
            self.query_one(MessageLine).say(_("Not saved: {error}").format(error=exc))
            return
        language_changed = settings.language != self.station.settings.language
        self.station.settings = settings
        self.app.run_worker(lambda: self.station.save_settings(settings), thread=True, name="save settings")
        if language_changed and settings.language in config.LANGUAGES:
            self.station.set_language(settings.language)
        self.query_one(MessageLine).say(_("Saved."))

    def action_back(self) -> None:
        self.dismiss(None)
