"""Splice frozen pictures into an H.264 stream, re-encoding only the GOPs that hold a freeze.

Everything between keyframes that holds no freeze is stream-copied; each GOP
with a freeze is decoded, given its held frame and encoded again with the
source's profile and pixel format. The pieces are joined by ffmpeg's concat
demuxer with exact durations, then checked: every frame present, the spliced
GOPs decodable. When any of that does not hold (another codec, variable frame
rate, a stream that does not start at zero), the caller re-encodes the whole
picture instead.
"""

from __future__ import annotations

import glob
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from autodescribe.config import RenderSettings
from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.timeline import Freeze

log = logging.getLogger(__name__)

_X264_PROFILES = {"Constrained Baseline": "baseline", "Baseline": "baseline", "Main": "main"}
_X264_PROFILES["High"] = "high"


@dataclass(frozen=True)
class _Source:
    fps: Fraction
    frames: int
    keyframes: list[int]  # frame indexes of keyframes, in display order
    profile: str
    pix_fmt: str


@dataclass(frozen=True)
class Spliced:
    path: Path
    reencoded_seconds: float  # of source picture encoded again


def splice_freezes(
    source: Path, freezes: Sequence[Freeze], settings: RenderSettings, folder: Path
) -> Spliced | None:
    """The picture with `freezes` in `folder`, or None when it cannot be spliced safely."""
    info = _inspect(source)
    if info is None:
        return None
    windows = _windows(info, freezes)
    pieces: list[tuple[Path, int]] = []
    cursor = 0
    try:
        for first, last, inside in windows:
            if first > cursor:
                pieces.append(_copy_piece(source, info, cursor, first, folder, len(pieces)))
            pieces.append(
                _encode_piece(source, info, first, last, inside, settings, folder, len(pieces))
            )
            cursor = last
        if cursor < info.frames:
            pieces.append(_copy_piece(source, info, cursor, info.frames, folder, len(pieces)))
        out = folder / "picture.mkv"
        _concat(pieces, info, out, folder)
        expected = info.frames + sum(round(f.seconds * info.fps) for f in freezes)
        if not _verify(out, expected):
            return None
    except MediaError as exc:
        log.info("splicing the picture failed (%s); re-encoding all of it", exc)
        return None
    reencoded = sum(last - first for first, last, _ in windows) / info.fps
    return Spliced(out, float(reencoded))


def _inspect(source: Path) -> _Source | None:
    """Frame rate, frame count and keyframes of an H.264 stream we can splice, else None."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        rate = stream.average_rate
        if context.name != "h264" or context.profile not in _X264_PROFILES or rate is None:
            return None
        if stream.guessed_rate != rate or (stream.start_time or 0) != 0:
            return None  # variable frame rate, or an edit list moving the start
        times = sorted(
            (packet.pts, packet.is_keyframe)
            for packet in container.demux(stream)
            if packet.pts is not None
        )
        base = stream.time_base
    frame = 1 / Fraction(rate)
    indexes = [round(Fraction(pts * base) / frame) for pts, _ in times]
    if indexes != list(range(len(indexes))):
        return None  # gaps or duplicates: not a constant-rate stream
    keyframes = [i for i, (_, key) in zip(indexes, times, strict=True) if key]
    return _Source(Fraction(rate), len(indexes), keyframes, context.profile, context.pix_fmt)


def _windows(info: _Source, freezes: Sequence[Freeze]) -> list[tuple[int, int, list[Freeze]]]:
    """[first, last) frame ranges from the keyframe before each freeze to the next keyframe."""
    windows: list[tuple[int, int, list[Freeze]]] = []
    for freeze in freezes:
        at = min(round(freeze.at * info.fps), info.frames - 1)
        first = max(k for k in info.keyframes if k <= at)
        last = min([k for k in info.keyframes if k > at] or [info.frames])
        if windows and first < windows[-1][1]:
            prev_first, prev_last, inside = windows[-1]
            windows[-1] = (prev_first, max(prev_last, last), [*inside, freeze])
        else:
            windows.append((first, last, [freeze]))
    return windows


def _seconds(frames: int, info: _Source) -> str:
    return f"{float(frames / info.fps):.6f}"


def _copy_piece(
    source: Path, info: _Source, first: int, last: int, folder: Path, n: int
) -> tuple[Path, int]:
    out = folder / f"piece{n:04d}.ts"
    args = ["-ss", _seconds(first, info), "-i", str(source), "-map", "0:v:0", "-c", "copy"]
    args += ["-frames:v", str(last - first), "-bsf:v", "h264_mp4toannexb", "-f", "mpegts", str(out)]
    run_ffmpeg(args, "copying the picture")
    return out, last - first


def _encode_piece(
    source: Path,
    info: _Source,
    first: int,
    last: int,
    freezes: list[Freeze],
    settings: RenderSettings,
    folder: Path,
    n: int,
) -> tuple[Path, int]:
    out = folder / f"piece{n:04d}.ts"
    chain, added = [], 0
    for freeze in freezes:
        copies = round(freeze.seconds * info.fps)
        start = round(freeze.at * info.fps) - first + added
        chain.append(f"loop=loop={copies}:size=1:start={start}")
        added += copies
    chain.append(f"setpts=N/({float(info.fps):.6f}*TB)")
    args = ["-ss", _seconds(first, info), "-i", str(source), "-map", "0:v:0"]
    args += ["-frames:v", str(last - first + added), "-vf", ",".join(chain)]
    args += ["-c:v", "libx264", "-crf", str(settings.video_crf), "-preset", settings.video_preset]
    args += ["-profile:v", _X264_PROFILES[info.profile], "-pix_fmt", info.pix_fmt]
    args += ["-r", str(info.fps), "-f", "mpegts", str(out)]
    run_ffmpeg(args, "encoding the frozen picture")
    return out, last - first + added


def _concat(pieces: list[tuple[Path, int]], info: _Source, out: Path, folder: Path) -> None:
    listing = folder / "pieces.txt"
    lines = []
    for path, frames in pieces:
        lines += [f"file '{path.name}'", f"duration {_seconds(frames, info)}"]
    listing.write_text("\n".join(lines) + "\n")
    args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v:0", "-c", "copy"]
    # MPEG-TS adds access-unit delimiters; drop them so copied frames keep their own bytes.
    # Each keyframe keeps its parameter sets in-band: the re-encoded GOPs carry their own.
    args += ["-bsf:v", "filter_units=remove_types=9"]
    run_ffmpeg([*args, str(out)], "joining the picture")


def _verify(out: Path, expected: int) -> bool:
    """Every frame is there and decodes (a decode costs far less than encoding it all)."""
    try:
        with av.open(str(out)) as container:
            stream = container.streams.video[0]
            packets = [p for p in container.demux(stream) if p.pts is not None]
        if len(packets) != expected:
            log.info("spliced picture has %d frames, expected %d", len(packets), expected)
            return False
        with av.open(str(out)) as container:
            decoded = sum(1 for _ in container.decode(video=0))
        return decoded == expected
    except av.error.FFmpegError as exc:
        log.info("spliced picture does not decode (%s)", exc)
        return False


def splice_folder(out_path: Path) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder beside the output (same disk), removed when the render ends.

    A killed render cannot remove its own, so scratch left beside this output
    by an earlier render is removed first (one render per output at a time, as
    for its .partial file); otherwise every kill would leave a folder for good.
    """
    prefix = f".{out_path.stem}.splice-"
    for stale in out_path.parent.glob(glob.escape(prefix) + "*"):
        if stale.is_dir():
            log.info("removing scratch left by an interrupted render: %s", stale.name)
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=out_path.parent)
