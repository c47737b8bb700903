"""Check a voice sample before cloning it: a bad sample gives a bad voice for the whole film.

Run before any media work, so an unusable sample costs a second, not a
narration. Each rule that fails is one line saying what is wrong and what to
record instead. The rules, in order: the file reads as audio; it lasts 3 to 30 s
(5 to 10 s is best for Pocket TTS); under 0.1 % of its samples sit at full scale
(clipping); its speech is not too quiet; silero VAD hears at least 2 s of
speech; and it holds one voice (`speakers.voice_change`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from autodescribe.errors import ConfigError, MediaError
from autodescribe.media.audio import read_audio
from autodescribe.voicing import speakers

log = logging.getLogger(__name__)

MIN_SECONDS = 3.0
MAX_SECONDS = 30.0
BEST = "5 to 10 s"
MAX_CLIPPED_SHARE = 0.001
FULL_SCALE = 0.999
MIN_LEVEL_DB = -45.0  # RMS of the loud half-tenth-second frames, dBFS
MIN_SPEECH_SECONDS = 2.0
_WHAT = f"give {MIN_SECONDS:.0f} to {MAX_SECONDS:.0f} s of one person speaking ({BEST} is best)"


@dataclass(frozen=True)
class SampleReport:
    """What was measured of a sample that passed."""

    seconds: float
    level_db: float
    clipped_share: float
    speech_seconds: float
    voice_change: float | None  # None: too little speech to tell


def check_sample(path: Path) -> SampleReport:
    """Measure `path` against the rules above; the first that fails raises `ConfigError`."""
    name = path.name
    audio, rate = _read(path)
    seconds = audio.size / rate
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ConfigError(f"{name} is {seconds:.1f} s long", _WHAT)
    clipped = float(np.mean(np.abs(audio) >= FULL_SCALE))
    if clipped > MAX_CLIPPED_SHARE:
        raise ConfigError(
            f"{name} is clipped ({clipped:.1%} of its samples at full scale)",
            "record it again with the input level lower",
        )
    level = active_level_db(audio, rate)
    if level < MIN_LEVEL_DB:
        raise ConfigError(
            f"{name} is too quiet (its speech peaks at {level:.0f} dBFS RMS)",
            "record closer to the microphone or raise the level (speech near -20 dBFS is good)",
        )
    speech16 = read_audio(path, speakers.RATE)
    spans = _speech_spans(speech16)
    heard = sum(end - start for start, end in spans)
    if heard < MIN_SPEECH_SECONDS:
        raise ConfigError(f"{name} has {heard:.1f} s of speech in {seconds:.1f} s", _WHAT)
    change = speakers.voice_change(speech16, spans)
    if change is not None and change > speakers.MAX_ONE_VOICE:
        raise ConfigError(
            f"{name} seems to hold more than one voice (voice change {change:.2f}, "
            f"one voice is under {speakers.MAX_ONE_VOICE})",
            "give a recording of the narrator alone",
        )
    report = SampleReport(seconds, level, clipped, heard, change)
    log.info("voice sample %s: %s", name, report)
    return report


def _read(path: Path) -> tuple[np.ndarray, int]:
    """The sample as mono float32 at its own rate (resampling would hide clipping)."""
    if not path.is_file():
        raise ConfigError(f"no voice sample at {path}", "check the path")
    try:
        with av.open(str(path)) as container:
            rate = int(container.streams.audio[0].sample_rate)
        return read_audio(path, rate), rate
    except (av.error.FFmpegError, IndexError, MediaError) as exc:
        raise ConfigError(
            f"cannot read {path.name} as audio ({exc})",
            "give a WAV, FLAC or MP3 recording of one person speaking",
        ) from exc


def active_level_db(audio: np.ndarray, rate: int) -> float:
    """RMS in dBFS of the loudest tenth of 50 ms frames: how loud the speech is, pauses aside."""
    size = max(1, rate // 20)
    count = audio.size // size
    if count == 0:
        return -120.0
    frames = audio[: count * size].astype(np.float64).reshape(count, size)
    rms = np.sqrt(np.mean(np.square(frames), axis=1))
    loud = np.sort(rms)[-max(1, count // 10) :]
    return float(20.0 * np.log10(max(float(np.mean(loud)), 1e-6)))


def _speech_spans(audio: np.ndarray) -> list[tuple[float, float]]:
    from autodescribe.backends.speech import speech_detectors

    detector = speech_detectors.create("silero")
    try:
        return [(s.start, s.end) for s in detector.detect(audio, speakers.RATE)]
    finally:
        detector.close()
