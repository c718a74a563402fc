"""station.functest.wav on SYNTHETIC files written with the wave module: the frequency of a tone and which
channel carries it, when (what the image test reads from the WAV file QEMU's sound card wrote)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from station.functest.wav import WavError, tones


def _stereo(path: Path, parts: list[tuple[float, float, float, float]], seconds: float, rate: int = 44100) -> None:
    """SYNTHETIC 16-bit stereo: each part is (channel, start s, length s, Hz) at half scale; silence elsewhere."""
    left, right = [0] * int(rate * seconds), [0] * int(rate * seconds)
    for channel, start, length, hz in parts:
        target = left if channel == 0 else right
        first = int(start * rate)
        for i in range(int(length * rate)):
            target[first + i] = round(0.5 * 32767 * math.sin(2 * math.pi * hz * i / rate))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<hh", a, b) for a, b in zip(left, right, strict=True)))


def test_tones_say_which_channel_played_what_and_when(tmp_path: Path) -> None:
    _stereo(tmp_path / "t.wav", [(0, 0.5, 1.0, 440.0), (1, 2.0, 0.5, 997.0)], 3.0)
    left, right = tones(tmp_path / "t.wav")
    assert (left.channel, right.channel) == (0, 1)
    assert abs(left.start_s - 0.5) <= 0.05 and abs(left.seconds - 1.0) <= 0.1
    assert abs(right.start_s - 2.0) <= 0.05 and abs(right.seconds - 0.5) <= 0.1
    assert left.frequency_hz is not None and abs(left.frequency_hz - 440) < 1
    assert right.frequency_hz is not None and abs(right.frequency_hz - 997) < 1
    assert abs(left.peak_dbfs - (-6.0)) < 0.2


def test_a_click_and_silence_are_no_tone(tmp_path: Path) -> None:
    _stereo(tmp_path / "t.wav", [(0, 0.5, 0.05, 440.0)], 1.0)  # 50 ms: under the 0.2 s a tone lasts
    assert tones(tmp_path / "t.wav") == []
    _stereo(tmp_path / "s.wav", [], 1.0)
    assert tones(tmp_path / "s.wav") == []


def test_tones_of_a_file_that_is_no_wav(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    with pytest.raises(WavError):
        tones(tmp_path / "x.wav")
