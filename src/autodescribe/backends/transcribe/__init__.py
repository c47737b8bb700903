"""Transcribers: what the dialogue says, so descriptions neither repeat nor contradict it."""

from autodescribe.backends.transcribe.base import Progress, Transcriber, stretches_read
from autodescribe.registry import Registry

# Outside packages add transcribers through the entry-point group `autodescribe.transcribers`.
transcribers: Registry[Transcriber] = Registry(
    "transcriber",
    {"faster-whisper": "autodescribe.backends.transcribe.faster_whisper:WhisperTranscriber"},
)

__all__ = ["Progress", "Transcriber", "stretches_read", "transcribers"]
