"""Speech: where the dialogue is, padded, and how loud it is.

Found before anything is described, so each description is written for the
time it will actually have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autodescribe.backends.speech import speech_detectors
from autodescribe.backends.speech.base import pad_and_merge
from autodescribe.config import SpeechSettings
from autodescribe.media.audio import read_audio
from autodescribe.progress import progress
from autodescribe.types import SpeechSpan, VideoInfo

VAD_RATE = 16_000
DEFAULT_DIALOGUE_DB = -20.0


@dataclass(frozen=True)
class SpeechAnalysis:
    spans: list[SpeechSpan]
    dialogue_rms_db: float  # level narration is matched to


def detect_speech(info: VideoInfo, settings: SpeechSettings) -> SpeechAnalysis:
    if not info.has_audio:
        return SpeechAnalysis(spans=[], dialogue_rms_db=DEFAULT_DIALOGUE_DB)
    with progress("speech", 2, unit="steps") as bar:
        audio = read_audio(Path(info.path), VAD_RATE)
        bar.update(1)
        detector = speech_detectors.create(
            "silero", threshold=settings.threshold, min_silence_ms=settings.min_silence_ms
        )
        raw = detector.detect(audio, VAD_RATE)
        bar.update(1)
    level = rms_db(audio, raw, VAD_RATE)
    return SpeechAnalysis(
        spans=pad_and_merge(raw, settings.padding, info.duration), dialogue_rms_db=level
    )


def rms_db(audio: np.ndarray, spans: list[SpeechSpan], rate: int) -> float:
    """RMS level in dBFS of the audio inside `spans` (the dialogue), or a default."""
    parts = [audio[int(s.start * rate) : int(s.end * rate)] for s in spans]
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if samples.size < rate // 4:
        return DEFAULT_DIALOGUE_DB
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-60.0, 20 * np.log10(rms + 1e-12))
