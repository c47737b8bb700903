"""Transcribe: what the dialogue says, so descriptions neither repeat nor contradict it.

Runs after speech detection, on the speech spans only. `dialogue_around` picks
the lines nearest a gap for the describer's prompt ("dialogue nearby").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from autodescribe.backends.speech.whisper import SAMPLE_RATE, WhisperTranscriber
from autodescribe.errors import ConfigError
from autodescribe.languages import LANGUAGES
from autodescribe.media.audio import read_audio
from autodescribe.progress import progress
from autodescribe.types import SpeechSpan, VideoInfo

log = logging.getLogger(__name__)

# ISO 639-2 tags as containers carry them ("eng"), back to whisper's two-letter codes.
_FROM_TAG = {tag: code for code, (_, tag) in LANGUAGES.items()}


class TranscribeSettings(BaseModel):
    """How the dialogue is transcribed (a section of the narrate settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    model: str | None = Field(
        default=None, description="whisper size, Hugging Face id or folder; None = chosen by device"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = Field(
        default="auto", description="CTranslate2 type; auto = int8 CPU, float16 GPU"
    )
    beam_size: int = Field(
        default=1, ge=1, description="1 avoids invented sentences after speech ends"
    )
    language: str | None = Field(
        default=None, description="programme language; None = the audio stream's tag, else detected"
    )


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


def dialogue_around(
    spans: Sequence[SpeechSpan],
    start: float,
    end: float,
    window: float = 20.0,
    max_words: int = 80,
) -> tuple[str, ...]:
    """The transcribed lines nearest the gap [start, end], in time order (most recent last).

    Lines within `window` seconds either side are taken nearest first (a tie
    goes to the line before) until `max_words`; the line that would overflow
    is cut to the words nearest the gap, marked with an ellipsis.
    """
    if end < start or window < 0 or max_words < 0:
        raise ConfigError(
            f"cannot look around [{start}, {end}] within {window} s, {max_words} words",
            "give start <= end and a non-negative window and word limit",
        )
    near: list[tuple[float, SpeechSpan, list[str]]] = []
    for span in spans:
        words = (span.text or "").split()
        distance = max(span.start - end, start - span.end, 0.0)
        if words and distance <= window:
            near.append((distance, span, words))
    near.sort(key=lambda item: (item[0], item[1].start))
    chosen: list[tuple[float, str]] = []
    left = max_words
    for _, span, words in near:
        if left <= 0:
            break
        if len(words) > left:
            before = span.start < start
            kept = words[-left:] if before else words[:left]
            chosen.append(
                (span.start, ("…" + " ".join(kept)) if before else (" ".join(kept) + "…"))
            )
            break
        chosen.append((span.start, " ".join(words)))
        left -= len(words)
    return tuple(text for _, text in sorted(chosen, key=lambda item: item[0]))
