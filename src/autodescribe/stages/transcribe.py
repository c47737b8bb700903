"""Transcribe: what the dialogue says, so descriptions neither repeat nor contradict it.

Runs after speech detection, on the speech spans only. `dialogue_around` picks
the lines nearest a gap for the describer's prompt ("dialogue nearby").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from autodescribe.backends.speech.whisper import SAMPLE_RATE, WhisperTranscriber
from autodescribe.config import TranscribeSettings
from autodescribe.languages import LANGUAGES
from autodescribe.media.audio import read_audio
from autodescribe.progress import progress
from autodescribe.types import SpeechSpan, VideoInfo

log = logging.getLogger(__name__)

# ISO 639-2 tags as containers carry them ("eng"), back to whisper's two-letter codes.
_FROM_TAG = {tag: code for code, (_, tag) in LANGUAGES.items()}


def transcribe_speech(
    info: VideoInfo, spans: Sequence[SpeechSpan], settings: TranscribeSettings
) -> list[SpeechSpan]:
    """The speech spans with their transcript; unchanged when there is nothing to transcribe."""
    if not settings.enabled or not info.has_audio or not spans:
        return list(spans)
    transcriber = WhisperTranscriber(
        model=settings.model,
        device=settings.device,
        compute_type=settings.compute_type,
        beam_size=settings.beam_size,
        language=settings.language or stream_language(info),
    )
    speech_seconds = sum(span.end - span.start for span in spans)
    try:
        with progress("transcribe", speech_seconds) as bar:
            audio = read_audio(Path(info.path), SAMPLE_RATE)
            result = transcriber.transcribe(audio, spans, on_progress=bar.update)
    finally:
        transcriber.close()
    words = sum(len((span.text or "").split()) for span in result)
    log.info("transcribed %d words in %.1f s of speech", words, speech_seconds)
    return result


def stream_language(info: VideoInfo) -> str | None:
    """The two-letter language of the first audio stream's tag, if it names a known one."""
    tag = (info.language or "").strip().lower()
    if tag in LANGUAGES:
        return tag
    return _FROM_TAG.get(tag)
