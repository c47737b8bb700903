"""Receive a multipart upload as it streams: size limit and video sniffing on the way in.

The request body is parsed chunk by chunk and the file part is written straight
to the job's folder, so an upload over the limit is refused the moment it passes
the limit (not after it has filled the disk), and a file whose first bytes are
no known video container is refused before the rest arrives.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

log = logging.getLogger(__name__)

FILE_FIELD = "file"
_SNIFF_BYTES = 512
_MAX_FIELD_BYTES = 4096
_MAX_FIELDS = 32
_FORM_SLACK = 64 * 1024  # multipart headers and option fields around the file
_REFUSED_TYPES = ("text/", "image/", "font/", "model/")


class UploadRefused(Exception):
    """The upload cannot be accepted; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    filename: str | None = None
    path: Path | None = None
    size: int = 0
    container: str | None = None


def sniff_container(head: bytes) -> str | None:
    """The container a file starts like (a file suffix), or None: a cheap first filter."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide"):
        return ".mov" if head[8:10] == b"qt" else ".mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm" if b"webm" in head[:64] else ".mkv"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return ".avi"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return ".ts"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return ".mpg"
    if head.startswith(b"FLV\x01"):
        return ".flv"
    if head.startswith(b"OggS"):
        return ".ogv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return ".wmv"
    return None


class _FormReceiver:
    """Callbacks for python-multipart: option fields in memory, the file part on disk."""

    def __init__(self, dest_dir: Path, limit: int) -> None:
        self.dest_dir = dest_dir
        self.limit = limit
        self.result = Received()
        self.headers: dict[str, str] = {}
        self._header = [b"", b""]
        self._name = ""
        self._value = bytearray()
        self._file: IO[bytes] | None = None
        self._head = bytearray()
        self._sniffed = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _part_begin(self) -> None:
        self.headers = {}
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        # latin-1 keeps every byte as one character; names are read as UTF-8 after parsing
        name, value = self._header
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name != FILE_FIELD:
            if len(self.result.fields) >= _MAX_FIELDS:
                raise UploadRefused(400, "too many form fields")
            return
        if self.result.path is not None:
            raise UploadRefused(400, "send one file per job")
        declared = self.headers.get("content-type", "").lower()
        if declared.startswith(_REFUSED_TYPES):
            raise UploadRefused(415, f"a {declared} file is not a video; upload a video file")
        self.result.filename = params.get(b"filename", b"").decode("utf-8", "replace")
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        self.result.path = self.dest_dir / f".upload-{secrets.token_hex(6)}.part"
        self._file = self.result.path.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is None:
            self._value += chunk
            if len(self._value) > _MAX_FIELD_BYTES:
                raise UploadRefused(400, f"form field '{self._name}' is too long")
            return
        self.result.size += len(chunk)
        if self.result.size > self.limit:
            raise UploadRefused(413, f"the file is larger than the {_human(self.limit)} limit")
        if not self._sniffed:
            self._head += chunk[:_SNIFF_BYTES]
            if len(self._head) >= _SNIFF_BYTES:
                self._sniff()
        self._file.write(chunk)

    def _part_end(self) -> None:
        if self._file is None:
            text = self._value.decode("utf-8", "replace")
            self.result.fields.setdefault(self._name, []).append(text)
            return
        if not self._sniffed:
            self._sniff()
        self._file.close()
        self._file = None

    def _sniff(self) -> None:
        self._sniffed = True
        self.result.container = sniff_container(bytes(self._head))
        if self.result.container is None:
            raise UploadRefused(415, "this file does not look like a video; upload a video file")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_upload(
    content_type: str,
    content_length: str | None,
    body: AsyncIterator[bytes],
    dest: Path,
    limit: int,
) -> Received:
    """Stream a multipart form into `dest` (a folder); raises UploadRefused."""
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused(415, "send the video as multipart/form-data with a 'file' field")
    if content_length and content_length.isdigit() and int(content_length) > limit + _FORM_SLACK:
        raise UploadRefused(413, f"the file is larger than the {_human(limit)} limit")
    receiver = _FormReceiver(dest, limit)
    parser = MultipartParser(params[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit + _FORM_SLACK:
                raise UploadRefused(413, f"the file is larger than the {_human(limit)} limit")
            parser.write(chunk)
        parser.finalize()
        if parser.state != MultipartState.END:  # python-multipart does not check this itself
            raise UploadRefused(400, "the upload ended before the form did; send it again")
    except MultipartParseError as exc:
        raise UploadRefused(400, f"the form data is malformed ({exc})") from exc
    finally:
        receiver.close()
    if receiver.result.path is None:
        raise UploadRefused(400, f"no '{FILE_FIELD}' field with a video in the form")
    return receiver.result


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"
