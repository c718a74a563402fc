"""Audio test: a tone on each speaker channel through ALSA (`speaker-test`), heard or not by the
technician, and a microphone level measured from a short `arecord` capture.

The tone proves the playback path runs without an ALSA error; only the technician can say the speaker
sounded, so that half is their answer. The microphone half is measured: a dead or muted microphone
gives digital silence, a working one picks up the technician's voice or a clap above `MIN_PEAK_DBFS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from station.functest.result import FunctionResult, noted
from station.functest.wav import WavError, measure
from station.hw import Host
from station.notes import Note

CHANNELS = ("left", "right")
MIN_PEAK_DBFS = -40.0
TONE_HZ = 440
CAPTURE = "/run/station/functest/mic.wav"


@dataclass(frozen=True)
class SoundCard:
    index: int
    name: str
    playback: bool
    capture: bool


def cards(host: Host) -> list[SoundCard]:
    """Sound cards from /proc/asound: names from `cards`, playback/capture from `pcm`."""
    found: dict[int, SoundCard] = {}
    for line in (host.read_text("/proc/asound/cards") or "").splitlines():
        head, sep, name = line.partition(":")
        parts = head.split()
        if sep and parts and parts[0].isdigit():
            found[int(parts[0])] = SoundCard(int(parts[0]), name.strip(), False, False)
    for line in (host.read_text("/proc/asound/pcm") or "").splitlines():
        card_text = line.split("-", 1)[0]
        if card_text.isdigit() and int(card_text) in found:
            card = found[int(card_text)]
            found[card.index] = SoundCard(card.index, card.name, card.playback or "playback" in line,
                                          card.capture or "capture" in line)
    return [found[i] for i in sorted(found)]


def play_tone(host: Host, channel: int, device: str = "default", channels: int = 2) -> tuple[bool, str]:
    """One sine burst on speaker `channel` (1-based, as speaker-test counts); (ran cleanly, error text)."""
    run = host.run(["speaker-test", "-D", device, "-c", str(channels), "-s", str(channel), "-t", "sine",
                    "-f", str(TONE_HZ), "-l", "1"], timeout=20)
    return run.ok, (run.stderr.strip().splitlines() or [""])[-1] if not run.ok else ""


def playback_result(host: Host, heard: dict[str, bool], errors: dict[str, str]) -> FunctionResult:
    """The speakers' verdict from the tones played (`errors`: channel -> ALSA error) and the answers."""
    playable = [c for c in cards(host) if c.playback]
    if not playable:
        return noted("audio", "absent", Note.of("fn.audio.none"))
    measured: dict[str, str | int | float | bool | None] = {"card": playable[0].name, "tone_hz": TONE_HZ}
    measured.update({f"heard_{c}": heard.get(c) for c in CHANNELS})
    device = f"card{playable[0].index}"
    failed = [Note.of(f"fn.audio.{c}-error", error=errors[c]) for c in CHANNELS if errors.get(c)]
    failed += [Note.of(f"fn.audio.{c}-silent") for c in CHANNELS if heard.get(c) is False]
    if failed:
        return noted("audio", "fail", *failed, measured=measured, device=device)
    unanswered = [c for c in CHANNELS if c not in heard]
    if unanswered:
        code = "fn.audio.not-judged" if len(unanswered) == len(CHANNELS) else f"fn.audio.{unanswered[0]}-not-judged"
        return noted("audio", "skipped", Note.of(code), measured=measured, device=device)
    return FunctionResult("audio", "pass", None, measured, f"card{playable[0].index}")


def answered(played: FunctionResult, answer: FunctionResult) -> FunctionResult:
    """The technician's word on both tones (`station laptop --audio --result audio=...`) over what playing
    them measured: no sound card stays absent and an ALSA error stays a failure, whatever was said."""
    if played.status in ("absent", "fail"):
        return played
    measured = dict(played.measured)
    if answer.status == "pass":
        measured.update({f"heard_{c}": True for c in CHANNELS})
    return FunctionResult("audio", answer.status, answer.reason, measured, played.device)


def microphone(host: Host, seconds: int = 2, device: str = "default", out: str = CAPTURE) -> FunctionResult:
    """Capture `seconds` of mono audio and measure its level."""
    recorders = [c for c in cards(host) if c.capture]
    if not recorders:
        return noted("microphone", "absent", Note.of("fn.microphone.none"))
    target = host.path(out)
    if host.is_live:
        target.parent.mkdir(parents=True, exist_ok=True)
    run = host.run(["arecord", "-q", "-D", device, "-d", str(seconds), "-f", "S16_LE", "-r", "48000", "-c", "1",
                    "-t", "wav", out], timeout=seconds + 15)
    card = f"card{recorders[0].index}"
    if not run.ok:
        why = (Note.of("fn.microphone.no-arecord") if run.returncode == 127 else
               Note.of("fn.microphone.capture-failed", error=run.stderr.strip() or f"exit {run.returncode}"))
        return noted("microphone", "fail" if run.returncode != 127 else "skipped", why,
                     measured={"card": recorders[0].name}, device=card)
    try:
        level = measure(Path(target))
    except (OSError, WavError) as exc:
        return noted("microphone", "fail", Note.of("fn.microphone.unreadable", error=str(exc)), device=card)
    measured: dict[str, str | int | float | bool | None] = {
        "card": recorders[0].name, "seconds": round(level.seconds, 2),
        "rms_dbfs": None if math.isinf(level.rms_dbfs) else level.rms_dbfs,
        "peak_dbfs": None if math.isinf(level.peak_dbfs) else level.peak_dbfs, "min_peak_dbfs": MIN_PEAK_DBFS}
    if level.peak_dbfs < MIN_PEAK_DBFS:
        why = (Note.of("fn.microphone.silence", minimum=str(MIN_PEAK_DBFS)) if math.isinf(level.peak_dbfs) else
               Note.of("fn.microphone.quiet", peak=str(level.peak_dbfs), minimum=str(MIN_PEAK_DBFS)))
        return noted("microphone", "fail", why, measured=measured, device=card)
    return FunctionResult("microphone", "pass", None, measured, card)
