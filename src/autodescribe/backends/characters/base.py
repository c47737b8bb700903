"""The face analyzer interface: faces found in a picture, each with a descriptor.

An analyzer needs one method, `detect`: an RGB image (height x width x 3,
uint8) in, the faces on it out, each with its box in that image's pixels and
a descriptor, a vector in which faces of one person lie close together
(Euclidean distance). Models are loaded by the constructor or on first use
and freed by `close`.

An analyzer may also offer `check_installed()` (a static or class method)
that raises `BackendUnavailable` with an install hint when its library or
models are missing, without loading anything: `--characters auto` uses it to
skip the stage on machines without them.

An analyzer whose `detect` may be called from several threads at once says so
with a class attribute `thread_safe = True`; the stage then looks at several
keyframes at a time (worth it where the library releases the GIL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Face:
    """One face on an image: box (left, top, width, height) in its pixels, and descriptor."""

    left: int
    top: int
    width: int
    height: int
    descriptor: np.ndarray  # 1-D float vector; same person = small Euclidean distance
    score: float = 1.0  # the detector's confidence, on its own scale


@runtime_checkable
class FaceAnalyzer(Protocol):
    name: ClassVar[str]

    def detect(self, image: np.ndarray) -> list[Face]:
        """The faces on `image` (RGB, uint8, height x width x 3), largest first."""
        ...

    def close(self) -> None: ...
