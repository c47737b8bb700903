"""The voice sample check: every rule on real speech (piper, espeak-ng) and generated audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autodescribe.errors import ConfigError
from autodescribe.media.audio import read_wav, write_wav
from autodescribe.testing.voice_samples import RATE, write_voice_sample
from autodescribe.voicing import speakers
from autodescribe.voicing.sample_check import check_sample

JOE = "piper"  # the bundled joe voice
ESPEAK = "espeak-ng"


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as refused:
        check_sample(path)
    said = str(refused.value)
    assert "\n" not in said
    return said


@pytest.mark.parametrize(
    "parts",
    [
        [(JOE, 0), (JOE, 1), (JOE, 2)],
        [(JOE, 3), (JOE, 0)],
        [(ESPEAK, 1), (ESPEAK, 2), (ESPEAK, 3)],
        [(ESPEAK, 2), (ESPEAK, 0), (ESPEAK, 3), (ESPEAK, 1)],
    ],
    ids=["joe-3", "joe-2", "espeak-3", "espeak-4"],
)
def test_one_voice_is_accepted(parts: list[tuple[str, int]], tmp_path: Path) -> None:
    report = check_sample(write_voice_sample(tmp_path / "narrator.wav", parts))
    assert 5.0 < report.seconds < 20.0
    assert report.speech_seconds > 0.6 * report.seconds
    assert report.voice_change is not None and report.voice_change < speakers.MAX_ONE_VOICE
    assert report.clipped_share == 0.0 and -25.0 < report.level_db < -5.0


@pytest.mark.parametrize(
    "parts",
    [
        [(JOE, 0), (ESPEAK, 1)],
        [(ESPEAK, 0), (JOE, 1), (ESPEAK, 2)],
        [(JOE, 0), (JOE, 3), (ESPEAK, 1)],
    ],
    ids=["joe-espeak", "espeak-joe-espeak", "joe-joe-espeak"],
)
def test_two_voices_are_refused(parts: list[tuple[str, int]], tmp_path: Path) -> None:
    """joe and espeak-ng have the same median pitch (105 Hz): timbre tells them apart."""
    said = _refusal(write_voice_sample(tmp_path / "two people.wav", parts))
    assert said.startswith("two people.wav seems to hold more than one voice")
    assert "narrator alone" in said


def test_too_short_says_how_long_it_is_and_what_to_give(tmp_path: Path) -> None:
    sample = write_voice_sample(tmp_path / "narrator.wav", [(JOE, 0)])
    audio, rate = read_wav(sample)
    write_wav(sample, audio[: int(1.2 * rate)], rate)
    said = _refusal(sample)
    assert said.startswith("narrator.wav is 1.2 s long")
    assert "3 to 30 s of one person speaking (5 to 10 s is best)" in said


def test_too_long_is_refused(tmp_path: Path) -> None:
    parts = [(JOE, i % 4) for i in range(9)]  # about 40 s
    assert "s long" in _refusal(write_voice_sample(tmp_path / "narrator.wav", parts))


def test_clipping_is_refused(tmp_path: Path) -> None:
    sample = write_voice_sample(tmp_path / "loud.wav", [(JOE, 0), (JOE, 1)], gain=4.0)
    said = _refusal(sample)
    assert said.startswith("loud.wav is clipped (") and "input level lower" in said


def test_a_quiet_recording_is_refused(tmp_path: Path) -> None:
    sample = write_voice_sample(tmp_path / "far.wav", [(JOE, 0), (JOE, 1)], gain=0.003)
    said = _refusal(sample)
    assert said.startswith("far.wav is too quiet") and "closer to the microphone" in said


def test_a_recording_without_speech_is_refused(tmp_path: Path) -> None:
    """A hum at speech level: loud enough, not clipped, but nobody speaks."""
    seconds = np.arange(8 * RATE) / RATE
    hum = 0.1 * np.sin(2 * np.pi * 120 * seconds) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * seconds))
    write_wav(tmp_path / "hum.wav", hum.astype(np.float32), RATE)
    said = _refusal(tmp_path / "hum.wav")
    assert said.startswith("hum.wav has 0.0 s of speech in 8.0 s")


def test_a_file_that_is_not_audio_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not a recording", encoding="utf-8")
    assert _refusal(tmp_path / "notes.wav").startswith("cannot read notes.wav as audio")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "nobody.wav").startswith("no voice sample at")


def test_too_little_speech_cannot_be_judged_for_voices() -> None:
    rng = np.random.default_rng(0)
    assert speakers.voice_change(rng.standard_normal(3 * 16000) * 0.1, [(0.0, 3.0)]) is None
