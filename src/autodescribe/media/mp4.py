"""MP4 and QuickTime track signalling that FFmpeg's muxer leaves out.

FFmpeg marks an audio-description track only with a DASH-role `kind` box
(ISO/IEC 14496-12), and only in its mp4 flavour. Apple players look instead
for a media characteristic in the track's user data: a `tagc` item holding
`public.accessibility.describes-video` (US-ASCII, no terminating zero). FFmpeg
also writes each track title twice: in the handler name, which is what
Chromium and most players label a track with, and in a `name` user-data item
that ISO files do not define.

`signal_tracks` rewrites every audio track's user data to hold exactly the
`kind` and `tagc` items asked for, without `name`, and lays the file out with
the movie box (`moov`) before the media data ("fast start"), moving every
chunk offset (`stco`/`co64`) to match. Everything else is copied byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from autodescribe.errors import MediaError
from autodescribe.util.cache import move_atomic

DASH_ROLE_SCHEME = "urn:mpeg:dash:role:2011"
DESCRIBES_VIDEO = "public.accessibility.describes-video"
# Boxes rebuilt from their children: the path from `moov` down to the chunk offsets.
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
# `name` items go from every track; a track given signals loses FFmpeg's `kind`/`tagc` too.
_TITLE_ITEM = b"name"
_SIGNAL_ITEMS = frozenset({b"kind", b"tagc"})
_HINT = "report this as a bug, with the output of `mediainfo` on the file"


@dataclass(frozen=True)
class TrackSignals:
    """What one audio track says about itself: DASH roles (`kind`) and Apple characteristics."""

    roles: tuple[str, ...] = ()
    characteristics: tuple[str, ...] = ()


@dataclass(frozen=True)
class _TopBox:
    kind: bytes
    start: int
    end: int


def signal_tracks(path: Path, tracks: Sequence[TrackSignals]) -> None:
    """Give the n-th audio track of the MP4/MOV file `path` the signals `tracks[n]`, only them.

    Every track loses its `name` item; the other tracks keep the rest (a copied
    commentary track keeps the `kind` box FFmpeg gave it).
    The file is rewritten under a temporary name and renamed into place.
    """
    with path.open("rb") as source:
        boxes = _top_level(source, path)
        moov = _only(boxes, b"moov", path)
        source.seek(moov.start)
        old_moov = source.read(moov.end - moov.start)
        try:
            new_moov, order = _relayout(boxes, moov, old_moov, tracks, path)
        except (ValueError, struct.error) as exc:
            raise MediaError(f"{path.name} has a damaged movie box ({exc})", _HINT) from exc
        tmp = path.with_name(f".{path.name}.signals")
        try:
            with tmp.open("wb") as target:
                for box in order:
                    if box is moov:
                        target.write(new_moov)
                    else:
                        _copy_range(source, target, box.start, box.end - box.start)
            move_atomic(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _relayout(
    boxes: list[_TopBox],
    moov: _TopBox,
    old_moov: bytes,
    tracks: Sequence[TrackSignals],
    path: Path,
) -> tuple[bytes, list[_TopBox]]:
    """The new movie box and the top-level order: `moov` before the first media data."""
    if any(box.kind in (b"moof", b"mvex") for box in boxes) or b"mvex" in _child_kinds(old_moov):
        raise MediaError(f"{path.name} is a fragmented MP4", "mux it unfragmented")
    rest = [box for box in boxes if box is not moov]
    first_media = next((n for n, box in enumerate(rest) if box.kind == b"mdat"), len(rest))
    order = rest[:first_media] + [moov] + rest[first_media:]
    size = len(old_moov)
    for _ in range(4):  # a chunk table that outgrows 32 bits grows the movie box: settle it
        starts = _new_starts(order, moov, size)
        new_moov = _Rewriter(tracks, rest, starts, path).box(old_moov)
        if len(new_moov) == size:
            return new_moov, order
        size = len(new_moov)
    raise MediaError(f"the movie box of {path.name} did not settle", _HINT)


def _new_starts(order: list[_TopBox], moov: _TopBox, moov_size: int) -> dict[int, int]:
    """Where each top-level box (by its old start) begins in the new layout."""
    starts, pos = {}, 0
    for box in order:
        starts[box.start] = pos
        pos += moov_size if box is moov else box.end - box.start
    return starts


class _Rewriter:
    """Rebuilds the movie box: audio tracks' user data as asked, chunk offsets moved."""

    def __init__(
        self,
        tracks: Sequence[TrackSignals],
        boxes: list[_TopBox],
        starts: dict[int, int],
        path: Path,
    ) -> None:
        self.tracks = tracks
        self.boxes = boxes
        self.starts = starts
        self.path = path
        self.audio_seen = 0

    def box(self, data: bytes) -> bytes:
        kind, header, _ = _header(data, 0, len(data))
        body = data[header:]
        if kind == b"trak":
            return _box(kind, self._track(body))
        if kind in _CONTAINERS:
            return _box(kind, b"".join(self.box(child) for child in _children(body)))
        if kind in (b"stco", b"co64"):
            return self._chunk_offsets(kind, body)
        return data

    def _track(self, body: bytes) -> bytes:
        children = _children(body)
        signals = None
        if _handler_type(children) == b"soun":
            index, self.audio_seen = self.audio_seen, self.audio_seen + 1
            signals = self.tracks[index] if index < len(self.tracks) else None
        kept = [self.box(child) for child in children if _kind(child) != b"udta"]
        old = next((child for child in children if _kind(child) == b"udta"), None)
        items = _user_data(old, signals)
        return b"".join(kept) + (_box(b"udta", items) if items else b"")

    def _chunk_offsets(self, kind: bytes, body: bytes) -> bytes:
        width = 8 if kind == b"co64" else 4
        (count,) = struct.unpack_from(">I", body, 4)
        if len(body) < 8 + count * width:
            raise MediaError(f"{self.path.name} has a truncated chunk table", _HINT)
        fmt = f">{count}{'Q' if width == 8 else 'I'}"
        moved = [self._move(offset) for offset in struct.unpack_from(fmt, body, 8)]
        if width == 4 and moved and max(moved) > 0xFFFFFFFF:
            kind, fmt = b"co64", f">{count}Q"
        return _box(kind, body[:8] + struct.pack(fmt, *moved))

    def _move(self, offset: int) -> int:
        for box in self.boxes:
            if box.start <= offset < box.end:
                return offset - box.start + self.starts[box.start]
        raise MediaError(f"{self.path.name} has a chunk outside its media data", _HINT)


def _user_data(old: bytes | None, signals: TrackSignals | None) -> bytes:
    """A track's user-data items: the old ones but `name` (and the old signals when
    there are new ones), then the new signals."""
    dropped = {_TITLE_ITEM} | (_SIGNAL_ITEMS if signals is not None else set())
    items = []
    if old is not None:
        _, header, _ = _header(old, 0, len(old))
        items = [item for item in _children(old[header:]) if _kind(item) not in dropped]
    if signals is None:
        return b"".join(items)
    for role in signals.roles:
        payload = b"\0\0\0\0" + DASH_ROLE_SCHEME.encode() + b"\0" + role.encode() + b"\0"
        items.append(_box(b"kind", payload))  # a full box: version and flags come first
    for characteristic in signals.characteristics:
        items.append(_box(b"tagc", characteristic.encode("ascii")))
    return b"".join(items)


def _handler_type(trak_children: list[bytes]) -> bytes | None:
    for child in trak_children:
        if _kind(child) == b"mdia":
            _, header, _ = _header(child, 0, len(child))
            for item in _children(child[header:]):
                if _kind(item) == b"hdlr":
                    _, item_header, _ = _header(item, 0, len(item))
                    return item[item_header + 8 : item_header + 12]
    return None


def _child_kinds(box: bytes) -> set[bytes]:
    _, header, _ = _header(box, 0, len(box))
    return {_kind(child) for child in _children(box[header:])}


def _kind(box: bytes) -> bytes:
    return box[4:8]


def _header(data: bytes, pos: int, end: int) -> tuple[bytes, int, int]:
    """(type, header length, size) of the box at `pos`, which must end by `end`."""
    if end - pos < 8:
        raise ValueError("box header past the end")
    size, kind = struct.unpack_from(">I4s", data, pos)
    header = 8
    if size == 1:
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        header = 16
    elif size == 0:
        size = end - pos
    if size < header or pos + size > end:
        raise ValueError(f"bad size for box {kind!r}")
    return kind, header, size


def _children(body: bytes) -> list[bytes]:
    """The boxes in `body`, whole; QuickTime's optional zero terminator ends the list."""
    boxes, pos = [], 0
    while len(body) - pos >= 8 and body[pos:].strip(b"\0"):
        _, _, size = _header(body, pos, len(body))
        boxes.append(body[pos : pos + size])
        pos += size
    return boxes


def _box(kind: bytes, body: bytes) -> bytes:
    if len(body) + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", len(body) + 8, kind) + body
    return struct.pack(">I4sQ", 1, kind, len(body) + 16) + body


def _top_level(source: BinaryIO, path: Path) -> list[_TopBox]:
    """The file's top-level boxes, from their headers alone."""
    total = source.seek(0, 2)
    boxes, pos = [], 0
    while pos < total:
        source.seek(pos)
        head = source.read(16)
        size, kind = struct.unpack_from(">I4s", head.ljust(8, b"\0"))
        if size == 1 and len(head) == 16:
            (size,) = struct.unpack_from(">Q", head, 8)
        elif size == 0:
            size = total - pos
        if size < 8 or pos + size > total:
            raise MediaError(f"{path.name} is not a complete MP4 file", _HINT)
        boxes.append(_TopBox(kind, pos, pos + size))
        pos += size
    return boxes


def _only(boxes: list[_TopBox], kind: bytes, path: Path) -> _TopBox:
    found = [box for box in boxes if box.kind == kind]
    if len(found) != 1:
        raise MediaError(f"{path.name} has {len(found)} {kind.decode()} boxes, not 1", _HINT)
    return found[0]


def _copy_range(source: BinaryIO, target: BinaryIO, start: int, length: int) -> None:
    """Copy `length` bytes from `start` in `source` to the end of `target`, 1 MiB at a time."""
    source.seek(start)
    while length > 0:
        data = source.read(min(length, 1 << 20))
        if not data:
            raise MediaError("the file shrank while it was rewritten", "run again")
        target.write(data)
        length -= len(data)
