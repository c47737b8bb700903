"""The output row: one per video, the same shape in JSONL and Parquet."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "failed"]
TIMING_KEYS = ("probe", "decode", "describe", "summary", "total")


@dataclass(frozen=True)
class ClipCaption:
    start: float
    end: float
    caption: str
    # with characters on: the most faces on one keyframe, and the identities seen ("person-1"),
    # numbered per video; None (left out of the row) when the characters stage is off
    faces: int | None = None
    identities: tuple[str, ...] | None = None
    # with two passes: the notes the caption was written from, and the other captions
    # offered (best first); None (left out of the row) in one pass
    notes: str | None = None
    candidates: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.faces is None:
            del data["faces"], data["identities"]
        else:
            data["identities"] = list(self.identities or ())
        if self.notes is None:
            del data["notes"], data["candidates"]
        else:
            data["candidates"] = list(self.candidates or ())
        return data


@dataclass(frozen=True)
class CaptionRow:
    """A video's captions, or why there are none (`status` failed, `error` one line)."""

    id: str
    path: str
    status: Status
    duration: float | None = None
    scenes: tuple[ClipCaption, ...] = ()
    summary: str = ""
    title: str = ""
    model: str = ""
    prompt_version: str = ""
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scenes"] = [s.to_dict() for s in self.scenes]
        data["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return data


def failed_row(ident: str, path: str, error: str, timings: dict[str, float]) -> CaptionRow:
    spent = {**timings, "total": sum(v for k, v in timings.items() if k != "total")}
    return CaptionRow(id=ident, path=path, status="failed", error=error, timings=spent)
