"""One sequential decode of the video with PyAV, shared by every stage that needs pixels.

Each decoded frame is scaled once to the detector's analysis size; every
`still_interval` seconds a larger still is also kept on disk for the
describer and OCR, so no stage has to decode the video a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from autodescribe.errors import MediaError
from autodescribe.types import Still


@dataclass(frozen=True)
class AnalysisFrame:
    index: int
    time: float
    pixels: np.ndarray  # (height, width, 3) uint8, in the detector's channel order


@dataclass(frozen=True)
class StillPlan:
    folder: Path
    interval: float
    width: int


def analysis_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """Scale to `target_width`, keeping the aspect, with even dimensions."""
    if width <= target_width:
        return width - width % 2 or 2, height - height % 2 or 2
    scaled_h = max(2, round(height * target_width / width))
    return target_width, scaled_h - scaled_h % 2


def iter_analysis_frames(
    path: Path,
    size: tuple[int, int],
    channel_order: str = "rgb24",
    stills: StillPlan | None = None,
    kept: list[Still] | None = None,
) -> Iterator[AnalysisFrame]:
    """Yield every frame at `size`; append stills written along the way to `kept`."""
    next_still = 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                time = float(frame.time) if frame.time is not None else 0.0
                if stills is not None and kept is not None and time + 1e-6 >= next_still:
                    kept.append(_save_still(frame, time, stills))
                    next_still = time + stills.interval
                # fast bilinear halves the default scaler cost; detectors see small frames
                small = frame.reformat(
                    width=size[0],
                    height=size[1],
                    format=channel_order,
                    interpolation="FAST_BILINEAR",
                )
                pixels = small.to_ndarray()
                yield AnalysisFrame(index=index, time=time, pixels=pixels)
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"decoding {path.name} failed ({exc.strerror or exc})",
            "the file may be corrupt; re-export it or try another copy",
        ) from exc


def _save_still(frame: av.VideoFrame, time: float, plan: StillPlan) -> Still:
    width, height = analysis_size(frame.width, frame.height, plan.width)
    image = frame.to_image(width=width, height=height)
    target = plan.folder / f"still-{time:010.3f}.jpg"
    if not target.exists():
        tmp = target.with_suffix(".tmp.jpg")
        image.save(tmp, quality=90)
        tmp.replace(target)
    return Still(time=round(time, 3), path=str(target))
