"""Notes that go into signed records: a stable code with str/int parameters, put into words by whoever reads them.

A certificate is signed once, in one language, and read later by a donor, a technician or the registry in
theirs; English sentences frozen into it could not follow. So producers (the erase engine, Purge, the
certificate builder) record a `Note`, this module holds the one catalog of English templates (marked N_ for the
`documents` gettext catalog, the words certificates print), and `render` puts a note into any reader's language.
A code this Station does not know (a record from a newer one) renders as the code and its parameters, never
an error; a record written before notes had codes holds plain English strings, shown as written.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from station import i18n
from station.i18n import N_

TEMPLATES: dict[str, str] = {
    # the erase engine (station.erase.engine)
    "erase.buffered-io": N_("O_DIRECT unsupported on this file's filesystem: buffered I/O with fsync"),
    "erase.verify-mismatch": N_("verification: {blocks} block(s) of {block_size} bytes did not hold the expected "
                                "pattern"),
    "erase.io-errors": N_("{count} I/O error range(s); first: {op} of {length} bytes at byte {offset}: {message}"),
    "erase.verify-failed": N_("verification failed: data differs from the written pattern at byte(s) {offsets}"),
    "erase.passes-incomplete": N_("not every pass completed"),
    "erase.hidden-area-left": N_("hidden area (HPA/DCO) could not be removed, its sectors would not be erased: "
                                 "{detail}"),
    "erase.refused": N_("refused: {detail}"),
    "erase.device-lost": N_("device lost: {detail}"),
    "erase.too-many-errors": N_("more than {count} unreadable/unwritable ranges: giving up on this drive"),
    "erase.cannot-use": N_("cannot use {target}: {detail}"),
    "erase.cancelled": N_("cancelled"),
    "erase.cancelled-by-operator": N_("cancelled by the operator"),
    "erase.drive-removed": N_("drive removed ({devnode} disappeared)"),
    "erase.stopped": N_("stopped: {reason}"),
    "erase.interrupted": N_("interrupted: the station stopped (power loss or crash) mid-job"),
    # Purge by the drive's own command, proven by marker blocks (station.erase.purge, station.erase.markers)
    "purge.frozen": N_("the drive is frozen; the command was not sent"),
    "purge.data-remained": N_("device reported success but data remained ({survivors} of {checked} marker blocks "
                              "intact)"),
    "purge.failed-markers-survived": N_("the drive reported failure and {survivors} marker blocks survived"),
    "purge.markers-unreadable": N_("{count} marker blocks could not be read back: erasure not proven"),
    "purge.no-success": N_("the drive did not report success"),
    "purge.no-marker-checked": N_("no marker was checked"),
    "purge.ata-password-set": N_("ATA temporary user password set by Station: {password}"),
    # what the drive said to its own erase command, in order (station.erase.purge.drive_commands)
    "drive.not-a-drive-command": N_("host overwrite is the erase engine's job, not a drive command"),
    "drive.cancelled-before-sent": N_("cancelled before the command was sent"),
    "drive.frozen-not-sent": N_("not sent: the drive is frozen"),
    "drive.sanitize-frozen-not-sent": N_("not sent: SANITIZE is frozen (SD1)"),
    "drive.ata-sanitize-resumed": N_("a sanitize was already in progress (resumed by the drive after a power cycle); "
                                     "waiting for it. ATA does not say which sanitize it is: it is reported as the "
                                     "requested one only if it succeeds"),
    "drive.sanitize-refused": N_("the drive refused the SANITIZE command ({tool})"),
    "drive.sanitize-accepted": N_("SANITIZE command accepted; the drive works in the background"),
    "drive.sanitize-status-unreadable": N_("sanitize status unreadable ({tool})"),
    "drive.ata-sanitize-failed": N_("the drive reports the sanitize operation FAILED"),
    "drive.ata-sanitize-completed": N_("the drive reports: Last Sanitize Operation Completed Without Error"),
    "drive.ata-sanitize-frozen": N_("the drive reports SANITIZE frozen"),
    "drive.ata-sanitize-idle": N_("the drive is idle without reporting a completed sanitize"),
    "drive.cancelled-while-sanitizing": N_("cancelled while the drive was sanitizing: the drive carries on by itself "
                                           "(a sanitize cannot be stopped, and resumes after a power cycle); nothing "
                                           "is certified"),
    "drive.gave-up-waiting": N_("gave up waiting for the drive to finish; nothing is certified"),
    "drive.no-ata-security": N_("the drive has no usable ATA security feature set"),
    "drive.security-frozen-not-sent": N_("not sent: security is frozen"),
    "drive.foreign-password": N_("the drive already has a user password that Station did not set: it cannot be "
                                 "erased without it"),
    "drive.password-reused": N_("the drive still has the temporary password of an earlier interrupted erase; "
                                "reusing it"),
    "drive.password-refused": N_("the drive did not accept the temporary password ({tool}; security enabled "
                                 "afterwards)"),
    "drive.password-refused-disabled": N_("the drive did not accept the temporary password ({tool}; security not "
                                          "enabled afterwards)"),
    "drive.security-erase-failed": N_("SECURITY ERASE UNIT failed or was interrupted ({tool})"),
    "drive.security-erase-unknown": N_("SECURITY ERASE UNIT answered, but the drive's security state could not be "
                                       "re-read"),
    "drive.security-erase-did-not-run": N_("SECURITY ERASE UNIT exited 0 but the drive still has the password: the "
                                           "erase did not run"),
    "drive.security-erase-completed": N_("SECURITY ERASE UNIT completed; the drive cleared the password itself"),
    "drive.security-unreadable": N_("could not re-read the security state; if the drive is locked, its password is "
                                    "{password}"),
    "drive.unlock-sent": N_("drive was left locked; unlock sent"),
    "drive.unlock-failed": N_("drive was left locked; unlock failed: {tool}"),
    "drive.disable-sent": N_("drive still had the temporary password; disable sent"),
    "drive.disable-failed": N_("drive still had the temporary password; disable failed: {tool}"),
    "drive.may-be-locked": N_("WARNING: the drive may still be locked/password-protected. Temporary user password: "
                              "{password} (hdparm --user-master u --security-disable {password} {dev})"),
    "drive.nvme-sanitize-resumed": N_("a sanitize (action {action}) was already running (resumed after a power "
                                      "cycle); waiting"),
    "drive.nvme-no-deallocate-refused": N_("the drive refuses No-Deallocate (SANICAP NDI): blocks will read as "
                                           "deallocated"),
    "drive.nvme-sanitize-refused": N_("the drive refused the Sanitize command ({tool})"),
    "drive.nvme-sanitize-accepted": N_("Sanitize command accepted; the drive works in the background"),
    "drive.nvme-sanitize-log-unreadable": N_("the sanitize log could not be read"),
    "drive.nvme-sanitize-failed": N_("the drive reports the sanitize FAILED (SSTAT {sstat})"),
    "drive.nvme-sanitize-other-action": N_("the sanitize log describes another action ({action}, expected "
                                           "{expected})"),
    "drive.nvme-sanitize-completed": N_("the drive reports the sanitize completed successfully (SSTAT {sstat})"),
    "drive.nvme-sanitize-completed-global": N_("the drive reports the sanitize completed successfully (SSTAT "
                                               "{sstat}, global data erased)"),
    "drive.nvme-sanitize-none": N_("the sanitize log shows no operation (SSTAT {sstat})"),
    "drive.nvme-format-all-namespaces": N_("FNA: Format applies to all {count} namespaces"),
    "drive.nvme-format-failed": N_("Format NVM failed ({tool})"),
    "drive.nvme-format-succeeded": N_("Format NVM (SES={ses}) reported success: {output}"),
    "drive.nvme-crypto-format-unexpected": N_("the drive accepted a crypto-erase Format although FNA says it has "
                                              "none: only the markers can tell what it did"),
    "drive.scsi-resumed": N_("a SANITIZE or FORMAT UNIT was already in progress (the drive resumes it after a power "
                             "cycle); waiting for it, then sending the requested command: SCSI does not say which one "
                             "was running"),
    "drive.scsi-refused": N_("the device refused {command} ({tool})"),
    "drive.scsi-accepted": N_("{command} accepted; the device works in the background"),
    "drive.scsi-not-ready": N_("the device is not ready after {command} ({tool})"),
    "drive.scsi-ready": N_("{command}: the device reports no operation in progress and is ready"),
    "drive.scsi-progress-unreadable": N_("the progress indication could not be read ({tool})"),
    # the certificate builder (station.certify.certificate)
    "cert.recorded-as-clear": N_("recorded as Clear: host overwrite ({method}) cannot be Purge"),
    "cert.passes-short": N_("only {done} of {total} passes ran"),
    "cert.error-ranges": N_("{count} I/O error range(s)"),
    "cert.verification-not-passed": N_("verification did not pass"),
    "cert.hidden-area-present": N_("a hidden area (HPA/DCO) is present and was not erased"),
    "cert.not-erased": N_("not erased ({result})"),
    "cert.operator-note": N_("operator's note: {text}"),
    "cert.journal-text": N_("{text}"),  # the English words of a job journaled before notes had codes
    # the laptop bench's function tests, in an audit record (station.functest)
    "fn.keyboard.none": N_("no evdev keyboard found"),
    "fn.keyboard.never-pressed": N_("{count} key(s) never pressed: {keys}"),
    "fn.keyboard.still-down": N_("key(s) still down: {keys}"),
    "fn.pointer.none": N_("no touchpad, trackpoint or mouse found"),
    "fn.pointing-stick.none": N_("no pointing stick beside the touchpad"),
    "fn.pointer.no-movement": N_("no movement on {axis}"),
    "fn.pointer.left-never-clicked": N_("left button never clicked"),
    "fn.pointer.right-never-clicked": N_("right button never clicked"),
    "fn.pointer.middle-never-clicked": N_("middle button never clicked"),
    "fn.pointer.no-two-fingers": N_("two fingers never sensed (the clickpad's right click)"),
    "fn.display.defect": N_("defect seen on {patterns}"),
    "fn.display.not-judged": N_("pattern {pattern} not judged"),
    "fn.audio.none": N_("no ALSA playback device in /proc/asound"),
    "fn.audio.left-error": N_("left: {error}"),
    "fn.audio.right-error": N_("right: {error}"),
    "fn.audio.left-silent": N_("left speaker silent"),
    "fn.audio.right-silent": N_("right speaker silent"),
    "fn.audio.left-not-judged": N_("not judged: left"),
    "fn.audio.right-not-judged": N_("not judged: right"),
    "fn.audio.not-judged": N_("not judged: left, right"),
    "fn.microphone.none": N_("no ALSA capture device in /proc/asound"),
    "fn.microphone.no-arecord": N_("capture failed: arecord not installed"),
    "fn.microphone.capture-failed": N_("capture failed: {error}"),
    "fn.microphone.unreadable": N_("capture unreadable: {error}"),
    "fn.microphone.silence": N_("digital silence, below {minimum} dBFS"),
    "fn.microphone.quiet": N_("peak {peak} dBFS, below {minimum} dBFS"),
    "fn.battery.none": N_("no battery in /sys/class/power_supply"),
    "fn.battery.few-samples": N_("fewer than two samples taken"),
    "fn.battery.not-discharging": N_("not discharging during the run (status {seen}): pull the charger"),
    "fn.battery.no-level": N_("the battery reports no energy/charge level"),
    "fn.battery.no-drop": N_("no drop measured over {seconds} s (the fuel gauge did not update): run longer"),
    "fn.battery.short-runtime": N_("{minutes} min left at {watts} W, below {minimum} min"),
    "fn.battery.never-on-battery": N_("never on battery (status {status}): the charger was not pulled"),
    "fn.usb.none-plugged": N_("no device was plugged into any port"),
    "fn.usb.some-proven": N_("{proven} of {expected} ports proven"),
    "fn.camera.none": N_("no V4L2 capture device in /sys/class/video4linux"),
    "fn.camera.no-driver": N_("camera present ({part}) but no V4L2 capture device: its driver is missing here; "
                              "not tested"),
    "fn.camera.no-v4l2-ctl": N_("v4l2-ctl not installed (package v4l-utils)"),
    "fn.camera.no-frame": N_("no frame captured: {error}"),
    "fn.ethernet.none": N_("no wired network adapter"),
    "fn.ethernet.link-unknown": N_("wired port down and could not be set up: link unknown"),
    "fn.ethernet.no-link": N_("no link on any wired port (is a cable plugged in?)"),
    "fn.radio.none": N_("no {function} adapter"),
    "fn.radio.hard-blocked": N_("hard-blocked (radio switch or firmware kill)"),
    "fn.radio.no-interface": N_("adapter present ({part}) but no {function} interface: its driver or firmware is "
                                "missing here, or the card was removed; not tested"),
    "fn.radio.switch-only": N_("rfkill switch present but no {function} interface: its driver or firmware is "
                               "missing here, or the card was removed; not tested"),
}

Param = str | int


@dataclass(frozen=True)
class Note:
    """One note of a signed record: as a dict, it is exactly the JSON the record carries."""

    code: str
    params: dict[str, Param] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, code: str, **params: Param) -> Note:
        """A note this Station emits: its code must be in the catalog with exactly these parameters."""
        template = TEMPLATES.get(code)
        if template is None:
            raise KeyError(f"undefined note code {code!r}")
        if set(params) != placeholders(template):
            raise ValueError(f"note {code!r} takes {sorted(placeholders(template))}, not {sorted(params)}")
        return cls(code, {k: v if isinstance(v, int) and not isinstance(v, bool) else str(v)
                          for k, v in params.items()})

    def text(self) -> str:
        """English, for logs and the technician's terminal when no language applies."""
        return render(self, "en")

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Note:
        """From a record (schema-checked) or a journal; values that are neither int nor str are kept as text."""
        params = data.get("params")
        return cls(str(data["code"]), {str(k): v if isinstance(v, int) and not isinstance(v, bool) else str(v)
                                       for k, v in (params.items() if isinstance(params, Mapping) else ())})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(note: Note | str | None, lang: str) -> str:
    """The note in `lang` through the `documents` catalog; the one rendering every reader uses (PDF, CLI, TUI,
    registry). A plain string (a record from before notes had codes) is shown as written."""
    if note is None:
        return ""
    if isinstance(note, str):
        return note
    values = {k: str(v) for k, v in note.params.items()}
    template = TEMPLATES.get(note.code)
    if template is None or placeholders(template) != set(values):  # from a newer Station: code and what it carried
        return note.code + "".join(f" {k}={v}" for k, v in values.items())
    words = i18n.translations(lang, i18n.DOCUMENTS).gettext(template) if lang != "en" else template
    return words.format(**values)


def as_note(value: Any) -> Note | str:
    """A record's note as read from JSON: an object with a code, or a string written before codes."""
    return Note.from_dict(value) if isinstance(value, Mapping) else str(value)
