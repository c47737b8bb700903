"""The transcriber interface: what is said in each speech span.

A transcriber needs one method, `transcribe`: the whole programme's audio
(mono float32 at its `sample_rate`) and the speech spans in, the same spans
with their text out. Models are loaded on first use and freed by `close`.

A transcriber that reads only part of the programme (the spans and a little
around them) says which part with `stretches(spans, duration)`; the caller
then decodes and keeps only that audio. `stretches_read` asks for it, and
answers the whole programme for a transcriber without the hook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from autodescribe.types import SpeechSpan

# Called with the seconds of speech each step of a transcription finished.
Progress = Callable[[float], None]


@runtime_checkable
class Transcriber(Protocol):
    name: ClassVar[str]
    sample_rate: ClassVar[int]

    def transcribe(
        self, audio: np.ndarray, spans: Sequence[SpeechSpan], on_progress: Progress | None = None
    ) -> list[SpeechSpan]:
        """`spans` in the same order with `text` set ("" where no words were heard).

        `audio` is the whole programme, mono float32 at `sample_rate`.
        """
        ...

    def close(self) -> None: ...


def stretches_read(
    transcriber: Transcriber, spans: Sequence[SpeechSpan], duration: float
) -> list[tuple[float, float]]:
    """The (start, end) seconds of programme audio `transcriber` reads for `spans`.

    Audio outside them may be left silent. Without a `stretches` hook, the
    transcriber reads all of [0, duration].
    """
    hook = getattr(transcriber, "stretches", None)
    if hook is None:
        return [(0.0, duration)]
    stretches: list[tuple[float, float]] = hook(spans, duration)
    return stretches
