"""Transcribe: what the dialogue says, so descriptions neither repeat nor contradict it.

Runs after speech detection, on the speech spans only. `dialogue_around` picks
the lines nearest a gap for the describer's prompt ("dialogue nearby").
"""

from __future__ import annotations

import logging
import mmap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from autodescribe.backends.transcribe import Transcriber, stretches_read, transcribers
from autodescribe.config import TranscribeSettings
from autodescribe.media.audio import iter_audio
from autodescribe.types import SpeechSpan, VideoInfo
from autodescribe.util.languages import LANGUAGES
from autodescribe.util.progress import progress

log = logging.getLogger(__name__)

# Room for decoded audio that runs past the container's duration; costs no memory.
_SPARE_SECONDS = 60.0
# ISO 639-2 tags as containers carry them ("eng"), back to whisper's two-letter codes.
_FROM_TAG = {tag: code for code, (_, tag) in LANGUAGES.items()}


def transcribe_speech(
    info: VideoInfo,
    spans: Sequence[SpeechSpan],
    settings: TranscribeSettings,
    decoded: Callable[[int], Iterable[np.ndarray] | None] = lambda rate: None,
) -> list[SpeechSpan]:
    """The speech spans with their transcript; unchanged when there is nothing to transcribe.

    `decoded(rate)` may give the programme already decoded at `rate` as mono blocks (the
    speech stage's), read instead of decoding the soundtrack again."""
    if not settings.enabled or not info.has_audio or not spans:
        return list(spans)
    transcriber = transcribers.create(
        settings.transcriber,
        model=settings.model,
        device=settings.device,
        compute_type=settings.compute_type,
        beam_size=settings.beam_size,
        language=settings.language or stream_language(info),
    )
    speech_seconds = sum(span.end - span.start for span in spans)
    try:
        with progress("transcribe", speech_seconds) as bar:
            blocks = decoded(transcriber.sample_rate)
            audio = speech_audio(Path(info.path), transcriber, spans, info.duration, blocks)
            result = transcriber.transcribe(audio, spans, on_progress=bar.update)
    finally:
        transcriber.close()
    words = sum(len((span.text or "").split()) for span in result)
    log.info("transcribed %d words in %.1f s of speech", words, speech_seconds)
    return result


def speech_audio(
    path: Path,
    transcriber: Transcriber,
    spans: Sequence[SpeechSpan],
    duration: float,
    blocks: Iterable[np.ndarray] | None = None,
) -> np.ndarray:
    """The programme at the transcriber's rate, decoded in blocks (or read from `blocks`,
    decoded already), keeping what it reads.

    Everything else stays zero pages that were never written (an anonymous
    mmap, in 4 KB pages: numpy asks for huge pages on big arrays, which would
    make every page resident), so resident memory follows the seconds of
    speech, not the programme's length: a whole hour at 16 kHz would be 230 MB.
    """
    rate = transcriber.sample_rate
    bound = duration + _SPARE_SECONDS  # decoded audio may run past the container's duration
    ranges = [
        (round(start * rate), round(end * rate))
        # The stretches it will read, or wider at the very end.
        for start, end in stretches_read(transcriber, spans, bound)
    ]
    audio = np.frombuffer(mmap.mmap(-1, 4 * round(bound * rate)), np.float32)
    offset = 0
    for block in iter_audio(path, rate) if blocks is None else blocks:
        data = block[:, 0]
        end = offset + data.size
        if end > audio.size:  # far longer than the container said: grow (touches every page)
            audio = np.concatenate([audio, np.zeros(end - audio.size, np.float32)])
        for lo, hi in ranges:
            a, b = max(lo, offset), min(hi, end)
            if a < b:
                audio[a:b] = data[a - offset : b - offset]
        offset = end
    return audio[:offset]


def stream_language(info: VideoInfo) -> str | None:
    """The two-letter language of the first audio stream's tag, if it names a known one."""
    tag = (info.language or "").strip().lower()
    if tag in LANGUAGES:
        return tag
    return _FROM_TAG.get(tag)
