"""Whether a keyframe repeats the one before it: the same picture, compression noise aside.

A still shot gives several keyframes that differ only by the encoder's noise.
The stages that look at keyframes one by one (on-screen text, faces) read a
repeat from the keyframe before it instead of running their model again: it
could only find the same lines and the same faces. The test compares every
8x8 block's mean grey level, which a moving face, a cut or a new caption
changes by far more than `REPEAT_LEVELS`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

REPEAT_LEVELS = 3  # 8x8 block means (0-255) closer than this: the same picture


def block_means(image: Image.Image) -> np.ndarray:
    """The picture's grey level averaged over 8x8 blocks."""
    return np.asarray(image.convert("L").reduce(8), np.int16)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two `block_means` are one picture (compression noise aside)."""
    return a.shape == b.shape and int(np.abs(a - b).max()) < REPEAT_LEVELS
