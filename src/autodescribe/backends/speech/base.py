"""The speech-detector interface and the span arithmetic shared by every detector.

A detector needs one method, `detect`, over a whole mono signal. Detectors
that can also work block by block (so a feature-length soundtrack is never
held in memory) add `detect_stream`; `detect_blocks` uses it where present.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from autodescribe.errors import ConfigError
from autodescribe.types import SpeechSpan


@runtime_checkable
class SpeechDetector(Protocol):
    name: ClassVar[str]
    sample_rates: ClassVar[tuple[int, ...]]

    def detect(self, audio: np.ndarray, sample_rate: int) -> list[SpeechSpan]:
        """Speech spans, in seconds, of mono float32 `audio` at one of `sample_rates`."""
        ...

    def close(self) -> None: ...


def detect_blocks(
    detector: SpeechDetector, blocks: Iterable[np.ndarray], sample_rate: int
) -> list[SpeechSpan]:
    """Detect speech over consecutive audio blocks (e.g. from `media.audio.iter_audio`).

    Streams when the detector can; otherwise joins the blocks first.
    """
    stream = getattr(detector, "detect_stream", None)
    if stream is not None:
        spans: list[SpeechSpan] = stream(blocks, sample_rate)
        return spans
    parts = [np.asarray(b, np.float32).reshape(-1) for b in blocks]
    audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return detector.detect(audio, sample_rate)


def pad_and_merge(spans: Sequence[SpeechSpan], padding: float, duration: float) -> list[SpeechSpan]:
    """Widen spans by `padding` each side, clip to [0, duration], merge those that meet.

    Padding keeps narration clear of breaths and soft word edges that a VAD
    trims. Transcripts of merged spans are joined in time order.
    """
    if padding < 0:
        raise ConfigError(f"speech padding {padding} is negative", "use 0 or more seconds")
    merged: list[SpeechSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(0.0, span.start - padding), min(duration, span.end + padding)
        if end <= start:
            continue
        if merged and start <= merged[-1].end:
            last = merged[-1]
            texts = [t for t in (last.text, span.text) if t]
            text = " ".join(texts) if texts else None
            merged[-1] = SpeechSpan(last.start, max(last.end, end), text)
        else:
            merged.append(SpeechSpan(start, end, span.text))
    return merged
