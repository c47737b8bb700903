"""The data model shared by every stage.

Stage outputs are plain dataclasses so they serialise to JSON through one
adapter (`to_jsonable` / `from_jsonable`) and can be cached between runs.
Times are seconds from the start of the programme, except where a field says
it is on the described video's clock (see `autodescribe.timeline`).
"""

from __future__ import annotations

import dataclasses
import typing
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
    # two-pass describing: what the vision pass saw (not spoken), and the lines not chosen
    notes: str = ""
    candidates: tuple[str, ...] = ()


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
    people: tuple[str, ...] = ()  # ids of the characters (see CharacterBank) the text mentions
    notes: str = ""  # what the vision pass saw in the scene: for editors and re-describing
    candidates: tuple[str, ...] = ()  # other cleaned lines the writer offered for this cue


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
    # who is on screen: identities by face, named once the film names them (None: stage off)
    character_bank: CharacterBank | None = None


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


# Characters: people found by their faces, per film (see `autodescribe.analysis.characters`).

# Where a face is across the frame: its centre left of 0.4 of the width, right of 0.6, or between.
Position = typing.Literal["left", "centre", "right"]
# How tightly a person is framed, from the face's height in the frame (see the stage's thresholds).
ShotScale = typing.Literal["close-up", "medium", "wide"]


@dataclass(frozen=True)
class Appearance:
    """One identity in one scene: its largest face on the scene's keyframes."""

    scene: int
    time: float  # the keyframe of that face
    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the frame
    position: Position
    shot_scale: ShotScale
    keyframes: int = 1  # how many of the scene's keyframes show this identity


@dataclass(frozen=True)
class ScenePerson:
    """One person as a describer is told about them: what to call them, where, how framed."""

    label: str  # the name, else the kept descriptor, else "a person"
    position: Position
    shot_scale: ShotScale
    id: str = ""  # the identity (see CharacterBank), "" when not known
    mark: str = ""  # the label of the box drawn on their face in the frames, if any

    def __str__(self) -> str:
        marked = f", marked {self.mark}" if self.mark and self.mark != self.label else ""
        return f"{self.label}{marked}, {self.position}, {self.shot_scale}"


@dataclass(frozen=True)
class NameSource:
    """How the film gave a character its name."""

    how: typing.Literal["on screen", "heard"]
    time: float  # the keyframe the text was read on, or the start of the line of dialogue
    scene: int
    text: str  # the on-screen line or the line of dialogue

    def __str__(self) -> str:
        return f"{self.how} at {self.time:.1f} s"


@dataclass(frozen=True)
class Character:
    """A person seen in the film, one identity across its scenes.

    `name` stays None until the film gives one; until then describers use
    `descriptor` ("a grey-haired man"), taken from the first description of
    the person and reused.
    """

    id: str  # "person-1", "person-2"... in order of first appearance; valid in this video only
    appearances: tuple[Appearance, ...]
    thumbnail: str | None = None  # a JPEG of the face, in the job's work folder
    name: str | None = None
    named_by: NameSource | None = None
    descriptor: str | None = None

    @property
    def scenes(self) -> tuple[int, ...]:
        return tuple(a.scene for a in self.appearances)

    @property
    def label(self) -> str | None:
        """What descriptions call this person: the name, else the kept descriptor."""
        return self.name or self.descriptor

    def in_scene(self, scene: int) -> Appearance | None:
        return next((a for a in self.appearances if a.scene == scene), None)

    def name_by(self, scene: int) -> str | None:
        """The name, once the film has given it by `scene` (a name typed in: from the start)."""
        if self.named_by is not None and self.named_by.scene > scene:
            return None
        return self.name

    def label_in(self, scene: int) -> str | None:
        """What a description of `scene` calls this person: the name given by then, else the
        kept descriptor."""
        return self.name_by(scene) or self.descriptor


@dataclass(frozen=True)
class Cast:
    """Who is on screen in a scene or a clip: for caption rows and dataset filters."""

    faces: int = 0  # the most faces seen at once on one keyframe
    ids: tuple[str, ...] = ()  # the identities seen, in order of first appearance


@dataclass(frozen=True)
class CharacterBank:
    """The characters of one video, and who is on screen in each scene (in scene order)."""

    characters: tuple[Character, ...] = ()
    casts: tuple[Cast, ...] = ()
    threshold: float = 0.0  # the clustering threshold the identities were found with

    def character(self, ident: str) -> Character | None:
        return next((c for c in self.characters if c.id == ident), None)

    def in_scene(self, scene: int) -> list[Character]:
        """The characters seen in scene `scene`, in order of first appearance."""
        return [c for c in self.characters if c.in_scene(scene) is not None]

    def with_descriptor(self, ident: str, descriptor: str) -> CharacterBank:
        """A copy where `ident` keeps `descriptor`, unless it already has one (the first stays)."""
        characters = tuple(
            dataclasses.replace(c, descriptor=descriptor)
            if c.id == ident and c.descriptor is None
            else c
            for c in self.characters
        )
        return dataclasses.replace(self, characters=characters)

    def cast(self, scenes: typing.Iterable[int] | None = None) -> Cast:
        """Who is on screen over `scenes` (all of them by default): one clip's row."""
        wanted = range(len(self.casts)) if scenes is None else scenes
        chosen = [self.casts[i] for i in wanted if 0 <= i < len(self.casts)]
        seen = {ident for cast in chosen for ident in cast.ids}
        return Cast(
            faces=max((cast.faces for cast in chosen), default=0),
            ids=tuple(c.id for c in self.characters if c.id in seen),
        )
