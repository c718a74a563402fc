"""Measurements on a PCM WAV capture: level (RMS and peak, dBFS), the frequency of a tone, and where
each channel carries sound (which speaker a tone came out of, and when).

Pure Python on the `wave` module: a two-second 16-bit mono capture is 96 000 samples, read in a
fraction of a second, so no numpy in the live image for this.
"""

from __future__ import annotations

import array
import math
import sys
import wave
from dataclasses import dataclass
from pathlib import Path


class WavError(ValueError):
    """Not a 16-bit PCM WAV, or empty."""


@dataclass(frozen=True)
class WavLevel:
    rate: int
    channels: int
    seconds: float
    rms_dbfs: float  # -inf for digital silence
    peak_dbfs: float
    frequency_hz: float | None  # of the first channel, from its zero crossings; None when silent


def _db(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -math.inf


def samples(path: Path) -> tuple[int, int, list[array.array[int]]]:
    """(rate, channels, one sample array per channel)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise WavError(f"{path}: {wav.getsampwidth() * 8}-bit samples; only 16-bit PCM is measured")
            rate, channels = wav.getframerate(), wav.getnchannels()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"{path}: {exc}") from exc
    data = array.array("h")
    data.frombytes(frames[: len(frames) - len(frames) % 2])
    if sys.byteorder == "big":
        data.byteswap()
    return rate, channels, [data[c::channels] for c in range(channels)]


def frequency(signal: array.array[int], rate: int) -> float | None:
    """Tone frequency from rising zero crossings, interpolated between samples; None below a noise floor."""
    if not signal or max(abs(min(signal)), abs(max(signal))) < 100:
        return None
    mean = sum(signal) / len(signal)
    crossings: list[float] = []
    previous = signal[0] - mean
    for index in range(1, len(signal)):
        current = signal[index] - mean
        if previous < 0 <= current:
            crossings.append(index - 1 + (-previous) / (current - previous))
        previous = current
    if len(crossings) < 3:
        return None
    return (len(crossings) - 1) * rate / (crossings[-1] - crossings[0])


@dataclass(frozen=True)
class Tone:
    """A stretch of sound on one channel of a WAV file."""

    channel: int  # 0-based, in the file's order: 0 is the left channel of a stereo file
    start_s: float
    seconds: float
    peak_dbfs: float
    frequency_hz: float | None


def tones(path: Path, window_s: float = 0.05, floor_dbfs: float = -50.0, min_s: float = 0.2) -> list[Tone]:
    """Each run of sound on each channel, by start time: consecutive `window_s` windows whose peak is above
    `floor_dbfs`, kept when at least `min_s` long (a click is not a tone), with the run's frequency."""
    rate, _channels, per_channel = samples(path)
    window = max(1, round(rate * window_s))
    floor = 32768 * 10 ** (floor_dbfs / 20)
    found: list[Tone] = []
    for channel, signal in enumerate(per_channel):
        runs: list[tuple[int, int]] = []
        start: int | None = None
        for offset in range(0, len(signal), window):
            piece = signal[offset:offset + window]
            loud = max(abs(min(piece)), abs(max(piece))) > floor
            if loud and start is None:
                start = offset
            elif not loud and start is not None:
                runs.append((start, offset))
                start = None
        if start is not None:
            runs.append((start, len(signal)))
        for begin, end in runs:
            if end - begin < min_s * rate:
                continue
            run = signal[begin:end]
            peak = max(abs(min(run)), abs(max(run))) / 32768
            found.append(Tone(channel, round(begin / rate, 3), round((end - begin) / rate, 3), round(_db(peak), 1),
                              frequency(run, rate)))
    return sorted(found, key=lambda tone: (tone.start_s, tone.channel))


def measure(path: Path) -> WavLevel:
    rate, channels, per_channel = samples(path)
    every = [s for channel in per_channel for s in channel]
    if not every:
        raise WavError(f"{path}: no samples")
    rms = math.sqrt(sum(s * s for s in every) / len(every)) / 32768
    peak = max(abs(s) for s in every) / 32768
    return WavLevel(rate, channels, len(per_channel[0]) / rate, round(_db(rms), 1), round(_db(peak), 1),
                    frequency(per_channel[0], rate))
