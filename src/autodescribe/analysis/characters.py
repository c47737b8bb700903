"""Characters: the people of a film, found by their faces on the scenes' keyframes.

Each scene's keyframe stills (already saved by the frame pass) are scaled to
`max_side` and searched for faces, several at a time when the analyzer is
thread-safe; each face gets a descriptor. The faces of
the whole film are then grouped into identities by Chinese whispers (Biemann,
2006) over the graph linking faces closer than `threshold`, with one more
constraint: two faces on one keyframe are two people. Identities seen on
fewer than `min_sightings` keyframes are dropped as stray detections.

Threshold. Measured with dlib's descriptor on the face_recognition 1.3.0 test
photographs: photos of one person lie 0.22-0.44 apart, photos of different
people 0.81-0.88; on the film cut from them (faces of 40-160 px on 640x360
keyframes), one person's faces up to 0.46 apart, different people's from
0.79. dlib's own "same person" distance is 0.6, tuned on LFW. We use 0.5:
above every same-person distance we measured, and further from different
people than 0.6, because merging two people (and naming one with the other's
name) harms a description more than splitting one person in two. The tests
check that 0.45-0.75 separates synthetic faces spread like those photos and
0.45-0.7 the film's real faces.

Position: a face whose centre lies left of 0.4 of the frame's width is
"left", right of 0.6 "right", else "centre". Shot scale comes from the face
box's height over the frame's shorter side: 0.3 or more is a close-up (head
and shoulders or tighter), from 0.15 a medium shot (chest or waist up),
below that a wide shot (knees up or further). On the test photographs a
chest-up portrait gives 0.21-0.25 and a knees-up one 0.12.

Privacy: faces and identities live only in this job. The stage writes
nothing but the thumbnails, into the folder the caller gives (its work
folder); descriptors are not kept in its result (the pipeline stores the
faces it found, descriptors included, in the job's work folder only, so a
rerun need not look again); no identity is matched against other videos,
and nothing uses the network.
`CharacterSettings.enabled = "off"` skips the stage without opening a frame.
"""

from __future__ import annotations

import io
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image

from autodescribe.analysis.naming import Evidence, KeyframeFaces, name_identities
from autodescribe.backends.characters import FaceAnalyzer, face_analyzers
from autodescribe.config import CharacterSettings
from autodescribe.errors import BackendUnavailable
from autodescribe.types import (
    Appearance,
    Cast,
    Character,
    CharacterBank,
    Cue,
    OnScreenText,
    Position,
    Scene,
    ShotScale,
    SpeechSpan,
)
from autodescribe.util.cache import write_atomic
from autodescribe.util.progress import progress
from autodescribe.util.threads import STILL_THREADS

log = logging.getLogger(__name__)

CLOSE_UP = 0.3  # face height over the frame's shorter side, from which a shot is a close-up
MEDIUM = 0.15  # ... a medium shot; below it, a wide shot
LEFT, RIGHT = 0.4, 0.6  # face centre across the frame's width
THUMBNAIL_SIDE = 160
_THUMBNAIL_MARGIN = 0.3  # of the face box, added on each side of a thumbnail
_ITERATIONS = 30
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


@dataclass(frozen=True)
class Sighting:
    """One face on one keyframe: its box as fractions of the frame, and its descriptor."""

    scene: int
    time: float
    box: tuple[float, float, float, float]  # x, y, width, height
    aspect: float  # the frame's width over its height
    descriptor: tuple[float, ...]  # exact through JSON, so a stored look gives the same people

    @property
    def relative_height(self) -> float:
        """The face's height over the frame's shorter side."""
        return self.box[3] / min(1.0, self.aspect)


def characters_enabled(settings: CharacterSettings) -> bool:
    """Whether to run the stage: not `off`, and the face backend installed (else a warning)."""
    if settings.enabled == "off":
        return False
    try:
        check = getattr(face_analyzers.load(settings.backend), "check_installed", None)
        if check is not None:
            check()
    except BackendUnavailable as exc:
        log.warning("characters skipped: %s", exc)
        return False
    return True


def find_characters(
    scenes: Sequence[Scene],
    stills_by_time: Mapping[float, str],
    texts: Sequence[Sequence[OnScreenText]],
    dialogue: Sequence[SpeechSpan],
    settings: CharacterSettings,
    thumbnails: Path,
    analyzer: FaceAnalyzer | None = None,
    frames: Sequence[Sequence[Sighting]] | None = None,
) -> CharacterBank:
    """The film's characters: identities across scenes, where they are, and their names.

    `texts` holds each scene's on-screen lines (in the order of `scenes`),
    `dialogue` the transcribed speech spans. A thumbnail of each identity is
    written to `thumbnails` as ID.jpg. `frames` are the faces `look_for_faces`
    found, looked for here when not given.
    """
    if settings.enabled == "off":
        return CharacterBank(threshold=settings.threshold)
    if frames is None:
        frames = look_for_faces(scenes, stills_by_time, settings, analyzer)
    sightings = [s for frame in frames for s in frame]
    labels = cluster_faces(
        [s.descriptor for s in sightings],
        settings.threshold,
        groups=[s.time for s in sightings],
    )
    idents = _identity_ids(labels, settings.min_sightings)
    keyframes = _keyframe_faces(scenes, frames, idents)
    named = name_identities(scenes, keyframes, texts, dialogue)
    characters = _characters(sightings, idents, stills_by_time, thumbnails, named)
    log.info("characters: %d identities, %d named", len(characters), len(named))
    return CharacterBank(
        characters=tuple(characters),
        casts=tuple(_casts(scenes, keyframes, characters)),
        threshold=settings.threshold,
    )


def look_for_faces(
    scenes: Sequence[Scene],
    stills_by_time: Mapping[float, str],
    settings: CharacterSettings,
    analyzer: FaceAnalyzer | None = None,
) -> list[list[Sighting]]:
    """The faces on every keyframe (the costly half of the stage: it needs no dialogue, so it
    can run while the soundtrack is still transcribed). `analyzer` defaults to the one
    `settings.backend` names, made here and closed at the end."""
    own = analyzer is None
    face_finder = analyzer if analyzer is not None else face_analyzers.create(settings.backend)
    try:
        return sight_faces(scenes, stills_by_time, face_finder, settings.max_side)
    finally:
        if own:
            face_finder.close()


def sight_faces(
    scenes: Sequence[Scene],
    stills_by_time: Mapping[float, str],
    analyzer: FaceAnalyzer,
    max_side: int,
) -> list[list[Sighting]]:
    """The faces on every keyframe, one list per keyframe in film order.

    Every keyframe is looked at, even one that repeats the keyframe before it:
    a face at the edge of what the detector finds shows on one keyframe and not
    the next, and the sightings a person needs (`min_sightings`) are what keep
    such a one-off out of the film's people.
    """
    keyframes = [(scene.index, time) for scene in scenes for time in scene.keyframe_times]

    def look(keyframe: tuple[int, float]) -> list[Sighting]:
        pixels = load_scaled(Path(stills_by_time[keyframe[1]]), max_side)
        return _faces(analyzer, pixels, *keyframe)

    frames: list[list[Sighting]] = []
    with progress("faces", len(keyframes), unit="frames") as bar:
        for faces in _in_order(look, keyframes, getattr(analyzer, "thread_safe", False)):
            frames.append(faces)
            bar.update(1)
    return frames


def _in_order(
    look: Callable[[_Item], _Result], items: Sequence[_Item], threads: bool
) -> Iterator[_Result]:
    """`look` at each item, results in the items' order; in a thread pool when `threads`."""
    if not threads or STILL_THREADS == 1:
        yield from map(look, items)
        return
    with ThreadPoolExecutor(STILL_THREADS, thread_name_prefix="faces") as pool:
        yield from pool.map(look, items)  # a failure cancels the items not yet started


def _faces(analyzer: FaceAnalyzer, pixels: np.ndarray, scene: int, time: float) -> list[Sighting]:
    height, width = pixels.shape[:2]
    return [
        Sighting(
            scene,
            time,
            (f.left / width, f.top / height, f.width / width, f.height / height),
            width / height,
            tuple(float(value) for value in f.descriptor),
        )
        for f in analyzer.detect(pixels)
    ]


def load_scaled(path: Path, max_side: int) -> np.ndarray:
    """An image file as RGB pixels, scaled down so its longest side is at most `max_side`."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(rgb)


def cluster_faces(
    descriptors: Sequence[np.ndarray | Sequence[float]],
    threshold: float,
    groups: Sequence[object] | None = None,
    seed: int = 0,
) -> list[int]:
    """A label per descriptor: Chinese whispers over the graph of pairs closer than `threshold`.

    Each face starts alone and, visiting faces in a seeded random order, takes
    the label most of its neighbours hold, until no label changes. Every edge
    counts the same: weighting by closeness lets the near-identical faces of
    one still shot (its keyframes) outvote the looser links between the same
    person's shots, and splits the person. Faces of one `groups` value (one
    keyframe) never take each other's label. Labels are numbered in order of
    first appearance.
    """
    count = len(descriptors)
    if count == 0:
        return []
    neighbours = _neighbours(np.stack(descriptors).astype(np.float64), threshold)
    group_of = list(groups) if groups is not None else list(range(count))
    members: dict[object, list[int]] = defaultdict(list)
    for index, group in enumerate(group_of):
        members[group].append(index)
    labels = np.arange(count)
    rng = np.random.default_rng(seed)
    for _ in range(_ITERATIONS):
        changed = False
        for node in rng.permutation(count):
            taken = {labels[i] for i in members[group_of[node]] if i != node}
            best = _most_common(labels[neighbours[node]], taken)
            if best is not None and best != labels[node]:
                labels[node], changed = best, True
        if not changed:
            break
    first_seen: dict[int, int] = {}
    return [first_seen.setdefault(int(label), len(first_seen)) for label in labels]


def shot_scale(relative_height: float) -> ShotScale:
    """Close-up, medium or wide from a face's height over the frame's shorter side."""
    if relative_height >= CLOSE_UP:
        return "close-up"
    return "medium" if relative_height >= MEDIUM else "wide"


def position(box: tuple[float, float, float, float]) -> Position:
    """Left, centre or right from where the face's centre is across the frame."""
    centre = box[0] + box[2] / 2
    if centre < LEFT:
        return "left"
    return "right" if centre > RIGHT else "centre"


def _neighbours(vectors: np.ndarray, threshold: float) -> list[np.ndarray]:
    """For each vector, the indices of the others closer than `threshold` (in blocks of rows)."""
    squares = (vectors**2).sum(axis=1)
    out: list[np.ndarray] = []
    for start in range(0, len(vectors), 512):
        block = vectors[start : start + 512]
        sq = squares[start : start + 512, None] + squares[None, :] - 2 * block @ vectors.T
        close = sq < threshold**2
        for row, node in enumerate(range(start, start + len(block))):
            near = np.flatnonzero(close[row])
            out.append(near[near != node])
    return out


def _most_common(labels: np.ndarray, taken: set[int]) -> int | None:
    """The label most neighbours hold (the smallest on a tie), leaving out `taken` ones."""
    counts: dict[int, int] = defaultdict(int)
    for label in labels.tolist():
        if label not in taken:
            counts[label] += 1
    if not counts:
        return None
    return max(counts, key=lambda label: (counts[label], -label))


def _identity_ids(labels: Sequence[int], min_sightings: int) -> list[str | None]:
    """The "person-N" id of each face, by first appearance; None for faces of dropped clusters."""
    sizes: dict[int, int] = defaultdict(int)
    for label in labels:
        sizes[label] += 1
    names: dict[int, str] = {}
    out: list[str | None] = []
    for label in labels:
        if sizes[label] < min_sightings:
            out.append(None)
            continue
        out.append(names.setdefault(label, f"person-{len(names) + 1}"))
    return out


def _keyframe_faces(
    scenes: Sequence[Scene], frames: Sequence[Sequence[Sighting]], idents: Sequence[str | None]
) -> list[KeyframeFaces]:
    """Who is on each keyframe; `idents` holds the identity of every sighting in film order."""
    times = [(scene.index, time) for scene in scenes for time in scene.keyframe_times]
    out, done = [], 0
    for (scene, time), faces in zip(times, frames, strict=True):
        out.append(KeyframeFaces(scene, time, tuple(idents[done : done + len(faces)])))
        done += len(faces)
    return out


def _characters(
    sightings: Sequence[Sighting],
    idents: Sequence[str | None],
    stills_by_time: Mapping[float, str],
    thumbnails: Path,
    named: Mapping[str, Evidence],
) -> list[Character]:
    seen: dict[str, list[Sighting]] = defaultdict(list)  # in order of first appearance
    for sighting, ident in zip(sightings, idents, strict=True):
        if ident is not None:
            seen[ident].append(sighting)
    characters = []
    for ident, faces in seen.items():
        largest = max(faces, key=lambda s: s.relative_height)
        thumbnail = thumbnails / f"{ident}.jpg"
        write_thumbnail(Path(stills_by_time[largest.time]), largest.box, thumbnail)
        evidence = named.get(ident)
        characters.append(
            Character(
                id=ident,
                appearances=_appearances(faces),
                thumbnail=str(thumbnail),
                name=evidence.name if evidence is not None else None,
                named_by=evidence.source if evidence is not None else None,
            )
        )
    return characters


def _appearances(faces: Sequence[Sighting]) -> tuple[Appearance, ...]:
    """One appearance per scene: the largest of the identity's faces there."""
    by_scene: dict[int, list[Sighting]] = defaultdict(list)
    for face in faces:
        by_scene[face.scene].append(face)
    out = []
    for scene in sorted(by_scene):
        largest = max(by_scene[scene], key=lambda s: s.relative_height)
        box = (
            round(largest.box[0], 4),
            round(largest.box[1], 4),
            round(largest.box[2], 4),
            round(largest.box[3], 4),
        )
        out.append(
            Appearance(
                scene=scene,
                time=largest.time,
                box=box,
                position=position(box),
                shot_scale=shot_scale(largest.relative_height),
                keyframes=len({s.time for s in by_scene[scene]}),
            )
        )
    return tuple(out)


def _casts(
    scenes: Sequence[Scene], keyframes: Sequence[KeyframeFaces], characters: Sequence[Character]
) -> list[Cast]:
    order = [c.id for c in characters]
    out = []
    for scene in scenes:
        frames = [k for k in keyframes if k.scene == scene.index]
        present = {i for k in frames for i in k.ids if i is not None}
        out.append(
            Cast(
                faces=max((len(k.ids) for k in frames), default=0),
                ids=tuple(i for i in order if i in present),
            )
        )
    return out


def write_thumbnail(still: Path, box: tuple[float, float, float, float], target: Path) -> None:
    """A JPEG of the face at `box` (fractions of the frame) with a margin, at most 160 px."""
    with Image.open(still) as image:
        rgb = image.convert("RGB")
    x, y, w, h = box
    margin_x, margin_y = w * _THUMBNAIL_MARGIN, h * _THUMBNAIL_MARGIN
    crop = (
        max(0, round((x - margin_x) * rgb.width)),
        max(0, round((y - margin_y) * rgb.height)),
        min(rgb.width, round((x + w + margin_x) * rgb.width)),
        min(rgb.height, round((y + h + margin_y) * rgb.height)),
    )
    face = rgb.crop(crop)
    face.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    data = io.BytesIO()
    face.save(data, format="JPEG", quality=85)
    write_atomic(target, data.getvalue())


def mentioned_people(cues: Sequence[Cue], bank: CharacterBank) -> list[Cue]:
    """Each cue with the ids of the characters of its scene that its text mentions.

    A character is mentioned by name or by its kept descriptor (cues from before
    the film named them use the descriptor); a cue of a scene
    with one person that speaks of "a person", "a man" or "a woman" mentions them.
    """
    marked = []
    for cue in cues:
        present = bank.in_scene(cue.scene) if cue.scene is not None else []
        text = cue.text.casefold()
        ids = [c.id for c in present if any(w and w.casefold() in text for w in _words_for(c))]
        if not ids and len(present) == 1 and _GENERIC_PERSON.search(text):
            ids = [present[0].id]
        marked.append(replace(cue, people=tuple(ids)))
    return marked


def _words_for(character: Character) -> tuple[str | None, ...]:
    """What a cue may call a character: the name, or the descriptor kept before the name."""
    return (character.name, character.descriptor)


_GENERIC_PERSON = re.compile(r"\b(?:a|the|one) (?:person|man|woman|boy|girl|child|figure)\b")
