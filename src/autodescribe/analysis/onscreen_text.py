"""On-screen text: read each scene's keyframes with RapidOCR (bundled ONNX models).

Text seen in more than one keyframe of a scene is reported once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from autodescribe.types import OnScreenText, Scene
from autodescribe.util.progress import progress

log = logging.getLogger(__name__)


class TextReader:
    """Loads the OCR models once and reads lines of text from images."""

    def __init__(self, min_confidence: float = 0.6) -> None:
        from rapidocr import RapidOCR

        self.min_confidence = min_confidence
        # No angle classifier: captions and signs in video are upright, and it costs a model pass.
        self._engine: Any = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                # the default upscales every frame to 736 px on its short side
                "Det.limit_type": "max",
                "Det.limit_side_len": 768,
            }
        )

    def read(self, image_path: Path) -> list[tuple[str, float]]:
        with Image.open(image_path) as im:
            pixels = np.asarray(im.convert("RGB"))[:, :, ::-1]  # RapidOCR expects BGR arrays
        result = self._engine(pixels)
        if result.txts is None:
            return []
        return [
            (text.strip(), float(score))
            for text, score in zip(result.txts, result.scores, strict=True)
            if score >= self.min_confidence and text.strip()
        ]


def read_scene_text(
    scenes: Sequence[Scene], stills_by_time: dict[float, str]
) -> list[list[OnScreenText]]:
    """For each scene, the distinct lines of text on its keyframes."""
    reader = TextReader()
    out: list[list[OnScreenText]] = []
    with progress("text", len(scenes), unit="scenes") as bar:
        for scene in scenes:
            seen: dict[str, OnScreenText] = {}
            for time in scene.keyframe_times:
                for text, score in reader.read(Path(stills_by_time[time])):
                    key = " ".join(text.lower().split())
                    if key not in seen:
                        seen[key] = OnScreenText(time=time, text=text, confidence=round(score, 3))
            out.append(list(seen.values()))
            bar.update(1)
    return out
