"""The voice interface: text in, mono float32 samples out.

Voices return the library's own level: piper peak-normalises every sentence
to 0 dBFS, espeak-ng peaks around -1.5 dBFS. Headroom (`VoiceSettings.headroom_db`)
is applied by the voice stage, once, for every voice alike.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from autodescribe.errors import ConfigError

# Narration much slower or faster than this is not useful and breaks some voices.
MIN_RATE = 0.5
MAX_RATE = 3.0


@runtime_checkable
class Voice(Protocol):
    name: ClassVar[str]
    sample_rate: int
    language: str

    @classmethod
    def supports(cls, language: str, name: str | None = None) -> bool:
        """Whether this voice (or the voice model `name`) speaks `language`."""
        ...

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        """Speak `text` `rate` times faster than normal; float32 mono in [-1, 1]."""
        ...

    def close(self) -> None: ...


def normalise_language(code: str) -> str:
    """`en_US`, `en-US` and ` EN-us ` all become `en-us`, the form espeak-ng and piper share."""
    return code.strip().lower().replace("_", "-")


def primary_language(code: str) -> str:
    """The language without its region: `en-us` -> `en`."""
    return normalise_language(code).split("-")[0]


def check_rate(rate: float) -> float:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ConfigError(
            f"speech rate {rate} is out of range",
            f"use a rate between {MIN_RATE} and {MAX_RATE} (1.0 = the voice's normal pace)",
        )
    return float(rate)
