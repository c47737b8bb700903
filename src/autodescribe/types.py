"""The data model shared by every stage.

Stage outputs are plain dataclasses so they serialise to JSON through one
adapter (`to_jsonable` / `from_jsonable`) and can be cached between runs.
Times are seconds from the start of the programme, except where a field says
it is on the described video's clock (see `autodescribe.timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import TypeAdapter

SCRIPT_VERSION = "1.0"

T = TypeVar("T")


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class VideoInfo:
    path: str
    duration: float
    fps: float
    width: int
    height: int
    codec: str
    container: str
    frame_count: int
    rotation: int = 0
    audio: tuple[AudioStreamInfo, ...] = ()
    size_bytes: int = 0

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def language(self) -> str | None:
        return self.audio[0].language if self.audio else None

    @property
    def frame_seconds(self) -> float:
        """One frame's duration (25 fps when the stream does not say)."""
        return round(1.0 / self.fps, 6) if self.fps > 0 else 0.04


@dataclass(frozen=True)
class Shot:
    start: float
    end: float


@dataclass(frozen=True)
class Still:
    """A frame kept from the analysis pass, saved as an image file."""

    time: float
    path: str


@dataclass(frozen=True)
class Scene:
    index: int
    start: float
    end: float
    shots: tuple[Shot, ...] = ()
    keyframe_times: tuple[float, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SpeechSpan:
    start: float
    end: float
    text: str | None = None


@dataclass(frozen=True)
class Gap:
    start: float
    end: float
    word_budget: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class OnScreenText:
    time: float
    text: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Description:
    scene: int
    text: str
    language: str = "en"
    model: str = ""
    prompt_version: str = ""
    skip: bool = False


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    scene: int | None = None
    audio: str | None = None
    rate: float = 1.0
    extension: float = 0.0  # seconds the picture freezes at `start` while this cue is heard
    # where the cue is heard in the described video (programme time plus the freezes before it)
    described_start: float | None = None
    described_end: float | None = None


@dataclass
class Script:
    """The canonical artefact: what is said, when, and how it was made."""

    video: str
    language: str
    duration: float
    cues: list[Cue] = field(default_factory=list)
    version: str = SCRIPT_VERSION
    title: str | None = None
    summary: str | None = None
    characters: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # cue `start`/`end` are programme times; `described_*` the described video's (see timeline)
    clock: str = "programme"
    described_duration: float | None = None


def to_jsonable(value: Any, kind: Any | None = None) -> Any:
    """Turn a dataclass (or a list/tuple/dict of them) into JSON-ready data."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind if kind is not None else type(value))
    return adapter.dump_python(value, mode="json")


@overload
def from_jsonable(kind: type[T], data: Any) -> T: ...


@overload
def from_jsonable(kind: Any, data: Any) -> Any: ...  # a form such as `list[Cue]` or `Cue | None`


def from_jsonable(kind: Any, data: Any) -> Any:
    """Rebuild typed data written by `to_jsonable`."""
    return TypeAdapter(kind).validate_python(data)


def stem_of(path: str | Path) -> str:
    return Path(path).stem
