"""One sequential decode of the video with PyAV, shared by every stage that needs pixels.

Each decoded frame is scaled once to the detector's analysis size; every
`still_interval` seconds a larger still is also kept on disk for the
describer and OCR, so no stage has to decode the video a second time.

The decoder runs on its own threads (frame threading); scaling runs on the
calling thread, one scaler kept per output size. `VideoFrame.reformat` makes a
new scaler (and a pool of threads) for every frame, which cost more than the
decoding itself; a kept `VideoReformatter` gives the same pixels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from autodescribe.errors import MediaError
from autodescribe.types import Still

log = logging.getLogger(__name__)
# More damaged packets than this share of a stream is a broken file, not a scratch.
MAX_DAMAGED_SHARE = 0.1


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
    scaler, still_scaler = VideoReformatter(), VideoReformatter()
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for index, frame in enumerate(decode_tolerant(container, stream, path)):
                time = float(frame.time) if frame.time is not None else 0.0
                if stills is not None and kept is not None and time + 1e-6 >= next_still:
                    kept.append(_save_still(frame, time, stills, still_scaler))
                    next_still = time + stills.interval
                # fast bilinear halves the default scaler cost; detectors see small frames
                small = scaler.reformat(
                    frame,
                    width=size[0],
                    height=size[1],
                    format=channel_order,
                    interpolation="FAST_BILINEAR",
                    threads=1,
                )
                yield AnalysisFrame(index=index, time=time, pixels=small.to_ndarray())
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"decoding {path.name} failed ({exc.strerror or exc})",
                "the file may be corrupt; re-export it or try another copy",
            ) from exc


@contextmanager
def _open(path: Path) -> Iterator[av.container.InputContainer]:
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"cannot open {path.name} ({exc.strerror or exc})",
            "the file may be corrupt; re-export it or try another copy",
        ) from exc
    with container:
        yield container


def decode_tolerant(
    container: av.container.InputContainer, stream: av.stream.Stream, path: Path
) -> Iterator[Any]:
    """Decoded frames of `stream`, skipping packets the decoder rejects.

    A few damaged packets in the middle of a file are common (a bad copy, a
    dropped network chunk); players conceal them and so do we, with a warning.
    A stream that is mostly damage is refused with advice.
    """
    packets = bad = frames = 0
    for packet in container.demux(stream):
        packets += 1
        try:
            decoded = packet.decode()
        except av.error.InvalidDataError:
            bad += 1
            continue
        frames += len(decoded)
        yield from decoded
    if bad and (frames == 0 or bad > packets * MAX_DAMAGED_SHARE):
        raise MediaError(
            f"{path.name}: {bad} of {packets} {stream.type} packets are damaged",
            "the file is corrupt; re-export it or try another copy",
        )
    if bad:
        log.warning("%s: skipped %d damaged %s packets of %d", path.name, bad, stream.type, packets)


def _save_still(
    frame: av.VideoFrame, time: float, plan: StillPlan, scaler: VideoReformatter
) -> Still:
    """Save the frame as a JPEG, turned upright when the stream carries a display rotation."""
    width, height = analysis_size(frame.width, frame.height, plan.width)
    rgb = scaler.reformat(frame, width=width, height=height, format="rgb24", threads=1)
    image = rgb.to_image()
    turn = _UPRIGHT.get(round(frame.rotation / 90) * 90 % 360)
    if turn is not None:
        image = image.transpose(turn)
    target = plan.folder / f"still-{time:010.3f}.jpg"
    if not target.exists():
        tmp = target.with_suffix(".tmp.jpg")
        try:
            image.save(tmp, quality=90)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    return Still(time=round(time, 3), path=str(target))


# PIL's transposes turn counter-clockwise, as a display matrix's rotation does.
_UPRIGHT = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
