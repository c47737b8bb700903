"""Characters on real photographs: a film cut from them, through the real frame pass, OCR and dlib.

The photographs (face_recognition 1.3.0's test images and scikit-image's
astronaut) are fetched once into ~/.cache/autodescribe-test-data; without a
network the tests skip, saying why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("dlib", reason='dlib is not installed (pip install "autodescribe[faces]")')

from autodescribe.analysis.characters import (  # noqa: E402
    cluster_faces,
    find_characters,
    load_scaled,
)
from autodescribe.analysis.frames import analyse_frames  # noqa: E402
from autodescribe.analysis.onscreen_text import read_scene_text  # noqa: E402
from autodescribe.analysis.scenes import build_scenes  # noqa: E402
from autodescribe.backends.characters import Face, FaceAnalyzer, face_analyzers  # noqa: E402
from autodescribe.backends.describe import make_describer  # noqa: E402
from autodescribe.backends.describe.basic import BasicDescriber  # noqa: E402
from autodescribe.backends.describe.openai import encode_image  # noqa: E402
from autodescribe.bulk.manifest import VideoItem  # noqa: E402
from autodescribe.bulk.settings import CaptionSettings  # noqa: E402
from autodescribe.bulk.worker import CaptionWorker  # noqa: E402
from autodescribe.config import CharacterSettings, DescribeSettings, NarrateSettings  # noqa: E402
from autodescribe.media.probe import probe  # noqa: E402
from autodescribe.testing.faces import (  # noqa: E402
    ASTRONAUT,
    TRUE_NAMES,
    FaceFilm,
    Photo,
    PhotosUnavailable,
    fetch_face_photos,
    make_face_film,
)
from autodescribe.types import (  # noqa: E402
    CharacterBank,
    Gap,
    OnScreenText,
    Scene,
    from_jsonable,
    to_jsonable,
)
from autodescribe.util.cache import WorkDir  # noqa: E402
from autodescribe.util.lazy import Lazy  # noqa: E402
from autodescribe.writing.describe import SceneInput, describe_scenes  # noqa: E402
from autodescribe.writing.face_marks import marked_inputs  # noqa: E402
from autodescribe.writing.people import CastContextBuilder  # noqa: E402
from autodescribe.writing.two_pass import look_then_write  # noqa: E402


@pytest.fixture(scope="session")
def face_photos() -> dict[str, Photo]:
    try:
        return fetch_face_photos()
    except PhotosUnavailable as exc:
        pytest.skip(f"test photographs unavailable: {exc}")


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return face_analyzers.create("dlib")


@dataclass(frozen=True)
class Analysed:
    film: FaceFilm
    scenes: list[Scene]
    stills: dict[float, str]
    texts: list[list[OnScreenText]]
    sightings: list[tuple[float, np.ndarray, float]]  # keyframe time, descriptor, centre x
    bank: CharacterBank
    thumbnails: Path

    def person(self, ident: str) -> str:
        """The person an identity truly is: the one most of its appearances show."""
        character = self.bank.character(ident)
        assert character is not None
        votes = Counter(
            self.person_at(a.time, a.box[0] + a.box[2] / 2) for a in character.appearances
        )
        return votes.most_common(1)[0][0]

    def person_at(self, time: float, centre: float) -> str:
        people = self.film.scene_at(time).people
        order = {"left": 0, "centre": 1, "right": 2}
        ranked = sorted(people, key=lambda p: order[p[1]])
        return ranked[0][0] if len(ranked) == 1 or centre < 0.5 else ranked[-1][0]


@pytest.fixture(scope="module")
def analysed(
    face_photos: dict[str, Photo], analyzer: FaceAnalyzer, tmp_path_factory: pytest.TempPathFactory
) -> Analysed:
    root = tmp_path_factory.mktemp("characters")
    film = make_face_film(root / "faces.mp4", face_photos)
    settings = NarrateSettings()
    (root / "stills").mkdir()
    frames = analyse_frames(
        probe(Path(film.path)), settings.shots, settings.scenes, root / "stills"
    )
    scenes = build_scenes(frames.shots, frames.stills, 2.0, settings.scenes.keyframes_per_scene)
    stills = {s.time: s.path for s in frames.stills}
    texts = read_scene_text(scenes, stills)
    thumbnails = root / "thumbnails"
    remembering = Remembering(analyzer)
    bank = find_characters(
        scenes, stills, texts, film.dialogue, CharacterSettings(), thumbnails, remembering
    )
    sightings = []
    for scene in scenes:
        faces: list[Face] = []
        for time in scene.keyframe_times:  # a repeated still was not looked at again
            pixels = load_scaled(Path(stills[time]), CharacterSettings().max_side)
            faces = remembering.seen.get(pixels.tobytes(), faces)
            width = pixels.shape[1]
            sightings += [(time, f.descriptor, (f.left + f.width / 2) / width) for f in faces]
    assert len(remembering.seen) <= sum(len(s.keyframe_times) for s in scenes)
    return Analysed(film, scenes, stills, texts, sightings, bank, thumbnails)


class Remembering:
    """The dlib analyzer, keeping what it found on each image (by the image's pixels)."""

    name = "remembering"

    def __init__(self, inner: FaceAnalyzer) -> None:
        self.inner = inner
        self.seen: dict[bytes, list[Face]] = {}

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.inner.detect(image)
        self.seen[image.tobytes()] = faces
        return faces

    def close(self) -> None:
        self.inner.close()


def test_the_photographs_separate_at_the_threshold(
    face_photos: dict[str, Photo], analyzer: FaceAnalyzer
) -> None:
    """The measurement behind the threshold: one person's photos close, two people's far apart."""
    faces = {}
    for key, photo in face_photos.items():
        found = analyzer.detect(load_scaled(photo.path, 640))
        assert found, f"no face found on {photo.path.name}"
        faces[key] = (photo.person, found[0].descriptor)
    same, other = [], []
    for (who_a, a), (who_b, b) in combinations(faces.values(), 2):
        (same if who_a == who_b else other).append(float(np.linalg.norm(a - b)))
    threshold = CharacterSettings().threshold
    assert max(same) < threshold - 0.03, same
    assert min(other) > threshold + 0.25, other


def test_the_film_is_cut_where_it_was_made(analysed: Analysed) -> None:
    assert [s.start for s in analysed.scenes[1:]] == pytest.approx(analysed.film.cuts, abs=0.05)


def test_one_identity_per_person_and_no_two_people_in_one(analysed: Analysed) -> None:
    people_in_film = {p[0] for s in analysed.film.scenes for p in s.people}
    identities = [c.id for c in analysed.bank.characters]
    assert sorted(analysed.person(i) for i in identities) == sorted(people_in_film)
    for character in analysed.bank.characters:  # purity: every appearance is that person
        who = analysed.person(character.id)
        for appearance in character.appearances:
            people = [p[0] for p in analysed.film.scene_at(appearance.time).people]
            assert who in people, (character.id, appearance)


@pytest.mark.parametrize("threshold", [0.45, 0.5, 0.55, 0.6, 0.7])
def test_thresholds_around_the_default_find_the_same_people(
    analysed: Analysed, threshold: float
) -> None:
    faces = analysed.sightings
    labels = cluster_faces([f[1] for f in faces], threshold, [f[0] for f in faces])
    truth = [analysed.person_at(time, centre) for time, _, centre in faces]
    pairs = {(label, who) for label, who in zip(labels, truth, strict=True)}
    assert len({label for label, _ in pairs}) == len(pairs) == len(set(truth)), pairs


def test_the_lower_third_names_the_person_on_screen(analysed: Analysed) -> None:
    named = {analysed.person(c.id): c for c in analysed.bank.characters if c.name}
    obama = named["obama"]
    assert obama.name == TRUE_NAMES["obama"]
    assert obama.named_by is not None and obama.named_by.how == "on screen"
    caption_scene = next(i for i, s in enumerate(analysed.film.scenes) if s.caption)
    assert obama.named_by.scene == caption_scene


def test_names_heard_go_to_the_only_unnamed_person_present(analysed: Analysed) -> None:
    named = {analysed.person(c.id): c for c in analysed.bank.characters if c.name}
    assert named["biden"].name == TRUE_NAMES["biden"]
    assert named["biden"].named_by is not None and named["biden"].named_by.how == "heard"
    if ASTRONAUT in {p[0] for s in analysed.film.scenes for p in s.people}:
        # heard beside the named Obama: she is the only candidate left
        assert named[ASTRONAUT].name == TRUE_NAMES[ASTRONAUT]
    assert "Michael" not in {c.name for c in analysed.bank.characters}  # said to two, or to none


def test_positions_and_scales_match_the_framing(analysed: Analysed) -> None:
    checked = 0
    for character in analysed.bank.characters:
        who = analysed.person(character.id)
        for appearance in character.appearances:
            scene = analysed.film.scene_at(appearance.time)
            (truth,) = [p for p in scene.people if p[0] == who]
            assert (appearance.position, appearance.shot_scale) == truth[1:], (who, appearance)
            assert appearance.keyframes == len(analysed.scenes[appearance.scene].keyframe_times)
            checked += 1
    assert checked == sum(len(s.people) for s in analysed.film.scenes)


def test_casts_count_faces_and_list_identities(analysed: Analysed) -> None:
    for scene, cast in zip(analysed.film.scenes, analysed.bank.casts, strict=True):
        assert cast.faces == len(scene.people)
        assert sorted(analysed.person(i) for i in cast.ids) == sorted(p[0] for p in scene.people)


def test_only_thumbnails_are_written_and_the_bank_is_plain_json(analysed: Analysed) -> None:
    written = sorted(p.name for p in analysed.thumbnails.iterdir())
    assert written == sorted(f"{c.id}.jpg" for c in analysed.bank.characters)
    stored = json.loads(json.dumps(to_jsonable(analysed.bank)))
    assert from_jsonable(CharacterBank, stored) == analysed.bank


def test_keyframes_looked_at_in_threads_give_the_same_people(
    analysed: Analysed, analyzer: FaceAnalyzer, tmp_path: Path
) -> None:
    """dlib looks at several keyframes at once; identities still follow the film's order."""
    assert getattr(analyzer, "thread_safe", False)
    bank = find_characters(
        analysed.scenes,
        analysed.stills,
        analysed.texts,
        analysed.film.dialogue,
        CharacterSettings(),
        tmp_path,
        analyzer,
    )
    unplaced = [replace(c, thumbnail=Path(str(c.thumbnail)).name) for c in bank.characters]
    expected = [replace(c, thumbnail=Path(str(c.thumbnail)).name) for c in analysed.bank.characters]
    assert unplaced == expected
    assert bank.casts == analysed.bank.casts


# -- the people, as the describers are told about them and say them ---------------------------

# Where each face truly is and how it is framed, then the names the film gives (TRUE_NAMES):
# Obama read on screen in the caption's scene, Joe and Eileen heard in the scene of their line.
ORDER = {"left": 0, "centre": 1, "right": 2}


def _named_from(film: FaceFilm, person: str) -> int:
    """The scene the film first names `person` in: the caption, else a line that says the name."""
    first = TRUE_NAMES[person].split()[0].casefold()
    return next(
        i
        for i, s in enumerate(film.scenes)
        if first in f"{s.caption or ''} {s.line or ''}".casefold()
    )


def _inputs(analysed: Analysed, budget: int) -> list[SceneInput]:
    return [
        SceneInput(
            scene=scene,
            slot=Gap(scene.start, scene.end, budget),
            stills=tuple(Path(analysed.stills[t]) for t in scene.keyframe_times),
            text=tuple(analysed.texts[scene.index]),
        )
        for scene in analysed.scenes
    ]


def _identity(analysed: Analysed, person: str) -> str:
    return next(c.id for c in analysed.bank.characters if analysed.person(c.id) == person)


@pytest.mark.parametrize("passes", ["one", "two"])
def test_the_model_is_told_who_is_where_and_sees_their_faces_marked(
    analysed: Analysed,
    start_server: Callable[..., Any],
    tmp_path: Path,
    passes: str,
) -> None:
    """The requests a real local chat server received: the people line and the marked frames.

    In two passes, both the look (with the frames) and the write (text only) are told.
    """
    server = start_server()
    inputs = _inputs(analysed, 12)
    marked = marked_inputs(inputs, analysed.bank, tmp_path / "marked")
    settings = DescribeSettings(describer="openai", base_url=server.url, model="test-vlm")
    describer = Lazy(lambda: make_describer(settings))
    context = CastContextBuilder(analysed.bank, marks=True)
    work = WorkDir(tmp_path / "work")
    dialogue = analysed.film.dialogue
    if passes == "one":
        describe_scenes(marked, describer, work, "k", "en", 8, dialogue, context)
    else:
        writer: Lazy[Any] = Lazy(lambda: None)
        keys = ("notes", "lines")
        look_then_write(marked, describer, writer, settings, keys, work, "en", 8, dialogue, context)
    describer.close()
    requests = server.stats()["requests"]
    with_frames = _by_start(r for r in requests if r["images"])
    written = _by_start(r for r in requests if not r["images"])
    film = analysed.film
    assert sorted(with_frames) == [round(s.start) for s in film.scenes]
    assert sorted(written) == ([] if passes == "one" else sorted(with_frames))
    for index, (truth, item, plain) in enumerate(zip(film.scenes, marked, inputs, strict=True)):
        people = []
        for person, where, scale in sorted(truth.people, key=lambda p: ORDER[p[1]]):
            named = _named_from(film, person) <= index
            tag = "P" + _identity(analysed, person).split("-")[1]
            label = TRUE_NAMES[person] if named else f"a person, marked {tag}"
            people.append(f"{label}, {where}, {scale}")
        for request in filter(
            None, (with_frames[round(truth.start)], written.get(round(truth.start)))
        ):
            line = re.search(r"^People in this scene: (.+)$", request["prompt"], re.M)
            assert (line.group(1) if line else None) == ("; ".join(people) or None), index
        request = with_frames[round(truth.start)]
        sent = [_sent_digest(path) for path in item.stills]
        assert request["image_sha256"] == sent, index
        if truth.people:  # the frames with faces were marked; the stills themselves were not
            assert sent != [_sent_digest(path) for path in plain.stills], index


def _by_start(requests: Any) -> dict[int, dict[str, Any]]:
    """Requests by the start, in whole seconds, of the scene they ask about."""
    found = {}
    for request in requests:
        at = re.search(r"at (\d+):(\d\d)[ )]", request["prompt"])
        if at:
            found[int(at.group(1)) * 60 + int(at.group(2))] = request
    return found


def _sent_digest(path: Path) -> str:
    """The SHA-256 of the JPEG the openai describer sends for the image at `path`."""
    data = encode_image(path).split(",", 1)[1]
    return hashlib.sha256(base64.b64decode(data)).hexdigest()


def test_the_offline_describer_says_who_is_on_screen(analysed: Analysed, tmp_path: Path) -> None:
    """Each scene's text opens with its people, by name once the film has named them."""
    film = analysed.film
    context = CastContextBuilder(analysed.bank)
    work = WorkDir(tmp_path / "work")
    done = describe_scenes(
        _inputs(analysed, 14), Lazy(BasicDescriber), work, "k", "en", 1, film.dialogue, context
    )
    scale_words = {"close-up": "Close-up", "medium": "Medium shot", "wide": "Wide shot"}
    place_words = {"left": "on the left", "centre": "in the centre", "right": "on the right"}
    for index, (truth, description) in enumerate(zip(film.scenes, done, strict=True)):
        people = sorted(truth.people, key=lambda p: ORDER[p[1]])
        called = [
            TRUE_NAMES[p] if _named_from(film, p) <= index else "a person" for p, _, _ in people
        ]
        if len(people) == 1:
            ((_, where, scale),) = people
            place = "" if where == "centre" else " " + place_words[where]
            expected = f"{scale_words[scale]} of {called[0]}{place}."
        elif people:
            who = ["someone" if c == "a person" else c for c in called]
            placed = ", ".join(f"{w} {place_words[p[1]]}" for w, p in zip(who, people, strict=True))
            expected = f"Two people: {placed}."
        else:
            expected = ""
        assert description.text.startswith(expected), (index, description.text)
        if not people:
            assert "people" not in description.text and " of " not in description.text
    assert "Text on screen: BARACK OBAMA." in done[_named_from(film, "obama")].text


def test_caption_rows_count_faces_and_list_identities_per_clip(analysed: Analysed) -> None:
    """`caption --characters auto`: each clip's faces and the video's identity ids, as written."""
    settings = CaptionSettings(describer="basic", characters="auto", frames=1, frame_width=640)
    worker = CaptionWorker(settings)
    prepared = worker.prepare(VideoItem(id="faces", path=analysed.film.path))
    (row,) = worker.describe([prepared])
    worker.close()
    assert row.status == "ok", row.error
    clips = row.to_dict()["scenes"]
    film = analysed.film
    assert len(clips) == len(film.scenes)
    seen: dict[str, set[str]] = {}  # identity id -> the people it was seen as
    for clip, truth in zip(clips, film.scenes, strict=True):
        assert clip["faces"] == len(truth.people), clip
        assert len(clip["identities"]) == len({p[0] for p in truth.people}), clip
        for ident in clip["identities"]:
            seen.setdefault(ident, set()).update(p[0] for p in truth.people)
    people = {p[0] for s in film.scenes for p in s.people}
    assert len(seen) == len(people)  # one id per person across the video's clips
    assert sorted(seen) == [f"person-{n}" for n in range(1, len(people) + 1)]
    lone = {
        s.people[0][0]: row.scenes[i].identities
        for i, s in enumerate(film.scenes)
        if len(s.people) == 1
    }
    assert len({ids for ids in lone.values()}) == len(lone)  # different people, different ids
