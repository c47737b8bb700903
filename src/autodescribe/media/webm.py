"""WebM that keeps the audio-description mark.

FFmpeg's WebM muxer leaves out Matroska's `FlagVisualImpaired` (and the other
accessibility flags) because the WebM element list predates them. So a WebM
deliverable is muxed as Matroska, which writes the flag, and its EBML header is
then rewritten to say DocType "webm". Positions inside the Segment are relative
to the Segment itself, so a header of a different length changes nothing else.
Players skip elements they do not know, so the file still plays everywhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.util.cache import move_atomic

_EBML_HEADER = 0x1A45DFA3
_DOC_TYPE = 0x4282


def _read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `pos`: (value, length in bytes)."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("bad EBML length")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def _size_vint(size: int) -> bytes:
    """`size` as the shortest EBML size field."""
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return (size | (1 << (7 * length))).to_bytes(length, "big")
    raise ValueError("element too large")


def _element(element_id: int, payload: bytes) -> bytes:
    ident = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return ident + _size_vint(len(payload)) + payload


def set_doc_type(path: Path, doc_type: str = "webm") -> None:
    """Rewrite the EBML header of the Matroska file `path` to declare `doc_type`."""
    with path.open("rb") as fh:
        head = fh.read(256)
    try:
        ident, id_len = _read_vint(head, 0, keep_marker=True)
        size, size_len = _read_vint(head, id_len, keep_marker=False)
        if ident != _EBML_HEADER:
            raise ValueError("not an EBML file")
        body_start = id_len + size_len
        children = []
        pos = body_start
        while pos < body_start + size:
            child, child_id_len = _read_vint(head, pos, keep_marker=True)
            length, length_len = _read_vint(head, pos + child_id_len, keep_marker=False)
            start = pos + child_id_len + length_len
            payload = head[start : start + length]
            children.append(_element(child, doc_type.encode() if child == _DOC_TYPE else payload))
            pos = start + length
    except (ValueError, IndexError) as exc:
        raise MediaError(
            f"{path.name} does not start with a Matroska header", "report this as a bug"
        ) from exc
    header = _element(_EBML_HEADER, b"".join(children))
    tmp = path.with_name(f".{path.name}.doctype")
    try:
        with path.open("rb") as source, tmp.open("wb") as target:
            target.write(header)
            source.seek(body_start + size)
            shutil.copyfileobj(source, target, 1 << 20)
        move_atomic(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
