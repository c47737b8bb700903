"""Speech detectors: where the programme's dialogue is, so narration stays clear of it."""

from __future__ import annotations

from autodescribe.backends.speech.base import SpeechDetector, detect_blocks, pad_and_merge
from autodescribe.registry import Registry

speech_detectors: Registry[SpeechDetector] = Registry(
    "speech_detector",
    {"silero": "autodescribe.backends.speech.silero:SileroSpeechDetector"},
)

__all__ = ["SpeechDetector", "detect_blocks", "pad_and_merge", "speech_detectors"]
