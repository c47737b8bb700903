"""The voice of each language of a run, chosen (and its sample checked) before any long work."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autodescribe.backends.voice import VoiceChoice, choose_voice
from autodescribe.config import VoiceSettings
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.voicing.sample_check import check_sample


def choose_voices(languages: Sequence[str], settings: VoiceSettings) -> dict[str, VoiceChoice]:
    """`choose_voice` for each language. A voice sample is checked first, so a bad recording
    is one line before any download or media work."""
    if settings.sample is not None:
        check_sample(Path(settings.sample))
    return {
        code: choose_voice(code, settings.voice, settings.name, settings.sample)
        for code in languages
    }


def state_folder(work: WorkDir, chosen: VoiceChoice) -> Path | None:
    """Where a cloning voice keeps what it learnt of its sample, in this run's work folder."""
    if chosen.sample is None:
        return None
    return work.folder("voice-sample", stable_hash(chosen.identity))
