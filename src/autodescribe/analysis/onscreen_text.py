"""On-screen text: read each scene's keyframes with RapidOCR (bundled ONNX models).

Text seen in more than one keyframe of a scene is reported once. Readings below
the confidence floor, and readings that are not words (shapes read as "■", "|",
"—", a lone letter), are dropped.

Cost: the text detector sees each still at most `DETECT_SIDE` pixels across
and the recogniser reads the lines it finds from the full still. On 720p video
detecting on the whole 768 px still cost about four times as much per still
and found the same lines on our test media; text drawn 11 px high or more on a
768x432 still was read either way, 9 px text (2% of the height) only there.
A keyframe that repeats the one read before it in its scene (every 8x8 block's
mean grey level within `REPEAT_LEVELS` of it) is not read again: it could
only repeat the lines already found.

Threads: ONNX Runtime releases the GIL and its sessions take concurrent runs,
so keyframes are read several at a time, each run on one thread. Its default
(one intra-op thread per core, spinning while it waits) took more than twice
as long per still on a shared two-core machine: the inputs are small (a
384 px picture, 48 px lines). The lines and scores read are the same either
way, and they are gathered in film order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from autodescribe.types import OnScreenText, Scene
from autodescribe.util.progress import progress
from autodescribe.util.threads import STILL_THREADS

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.7  # real captions and signs read at 0.9 and above on our test media
DETECT_SIDE = 384  # longest side of the picture the text detector sees
REPEAT_LEVELS = 3  # 8x8 block means (0-255) closer than this: the same picture


def is_readable(text: str) -> bool:
    """At least two letters or digits, and mostly letters and digits: 'EXIT 12', not '■ ▲'."""
    chars = re.sub(r"\s", "", text)
    alphanumeric = sum(c.isalnum() for c in chars)
    return alphanumeric >= 2 and alphanumeric >= 0.5 * len(chars)


class TextReader:
    """Loads the OCR models once and reads lines of text from images."""

    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        from rapidocr import RapidOCR

        self.min_confidence = min_confidence
        # No angle classifier: captions and signs in video are upright, and it costs a model pass.
        self._engine: Any = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                # the default upscales every frame to 736 px on its short side; lines are
                # found on a small copy, then read from the still itself
                "Det.limit_type": "max",
                "Det.limit_side_len": DETECT_SIDE,
                # parallel across stills instead (see the module doc)
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def read(self, image_path: Path) -> list[tuple[str, float]]:
        with Image.open(image_path) as im:
            return self.read_image(im)

    def read_image(self, image: Image.Image) -> list[tuple[str, float]]:
        pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR expects BGR arrays
        result = self._engine(pixels)
        if result.txts is None:
            return []
        return [
            (text.strip(), float(score))
            for text, score in zip(result.txts, result.scores, strict=True)
            if score >= self.min_confidence and is_readable(text)
        ]


def block_means(image: Image.Image) -> np.ndarray:
    """The picture's grey level averaged over 8x8 blocks."""
    return np.asarray(image.convert("L").reduce(8), np.int16)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two `block_means` are one picture (compression noise aside)."""
    return a.shape == b.shape and int(np.abs(a - b).max()) < REPEAT_LEVELS


def read_scene_text(
    scenes: Sequence[Scene], stills_by_time: dict[float, str]
) -> list[list[OnScreenText]]:
    """For each scene, the distinct lines of text on its keyframes."""
    reader = TextReader()
    kept = [_to_read(scene, stills_by_time) for scene in scenes]
    out: list[list[OnScreenText]] = []
    with (
        progress("text", len(scenes), unit="scenes") as bar,
        ThreadPoolExecutor(STILL_THREADS, thread_name_prefix="text") as pool,
    ):
        lines = pool.map(reader.read, [path for keyframes in kept for _, path in keyframes])
        for keyframes in kept:  # in film order, whichever still was read first
            seen: dict[str, OnScreenText] = {}
            for time, _ in keyframes:
                for text, score in next(lines):
                    key = " ".join(text.lower().split())
                    if key not in seen:
                        seen[key] = OnScreenText(time=time, text=text, confidence=round(score, 3))
            out.append(list(seen.values()))
            bar.update(1)
    return out


def _to_read(scene: Scene, stills_by_time: dict[float, str]) -> list[tuple[float, Path]]:
    """The scene's keyframes, less each that repeats the keyframe read before it."""
    kept: list[tuple[float, Path]] = []
    last: np.ndarray | None = None  # the keyframe read last in this scene, in blocks
    for time in scene.keyframe_times:
        path = Path(stills_by_time[time])
        with Image.open(path) as image:
            blocks = block_means(image)
        if last is None or not same_picture(last, blocks):
            kept.append((time, path))
            last = blocks
    return kept
