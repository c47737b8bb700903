"""Grouping faces into identities, and the characters stage on painted stills with exact truth.

The synthetic descriptors follow what dlib's descriptor measured on the
face_recognition 1.3.0 test photographs: one person's photos 0.22-0.44
apart, two people's 0.81-0.88 apart.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from autodescribe.analysis.characters import (
    Sighting,
    cluster_faces,
    find_characters,
    position,
    shot_scale,
)
from autodescribe.backends.characters import Face
from autodescribe.config import CharacterSettings
from autodescribe.types import (
    CharacterBank,
    OnScreenText,
    Scene,
    SpeechSpan,
    from_jsonable,
    to_jsonable,
)

SAME_PERSON = (0.22, 0.44)  # measured distances between photos of one person
OTHER_PEOPLE = (0.81, 0.88)  # ... and between photos of two people


def _people(sizes: list[int], seed: int = 1) -> tuple[list[np.ndarray], list[int]]:
    """Descriptors of len(sizes) people, spread like the measured ones, and who each is."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.normal(size=(128, len(sizes))))[0].T  # orthonormal
    vectors, truth = [], []
    for person, size in enumerate(sizes):
        centre = directions[person] * 0.76 / np.sqrt(2)  # centres 0.76 apart
        for _ in range(size):
            noise = rng.normal(size=128)
            noise -= directions.T @ (directions @ noise)  # across the centres, not along them
            noise *= rng.uniform(0.16, 0.31) / np.linalg.norm(noise)
            vectors.append(centre + noise)
            truth.append(person)
    return vectors, truth


def _pair_distances(vectors: list[np.ndarray], truth: list[int], same: bool) -> list[float]:
    return [
        float(np.linalg.norm(vectors[i] - vectors[j]))
        for i, j in combinations(range(len(vectors)), 2)
        if (truth[i] == truth[j]) == same
    ]


def _partition(labels: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, set()).add(index)
    return {frozenset(g) for g in groups.values()}


def test_the_synthetic_faces_are_spread_like_the_measured_photographs() -> None:
    vectors, truth = _people([6, 5, 4])
    same, other = _pair_distances(vectors, truth, True), _pair_distances(vectors, truth, False)
    assert SAME_PERSON[0] - 0.02 <= min(same) and max(same) <= SAME_PERSON[1] + 0.02
    assert OTHER_PEOPLE[0] - 0.03 <= min(other) and max(other) <= OTHER_PEOPLE[1] + 0.03


@pytest.mark.parametrize("threshold", [0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75])
def test_thresholds_between_the_measured_distances_find_each_person(threshold: float) -> None:
    vectors, truth = _people([6, 5, 4, 3])
    assert _partition(cluster_faces(vectors, threshold)) == _partition(truth)


def test_thresholds_outside_them_split_or_merge_people() -> None:
    vectors, truth = _people([6, 5, 4, 3])
    assert len(set(cluster_faces(vectors, 0.2))) > 4  # one person's photos fall apart
    assert len(set(cluster_faces(vectors, 0.95))) < 4  # people run together


def test_the_default_threshold_lies_between_the_measured_distances() -> None:
    threshold = CharacterSettings().threshold
    assert SAME_PERSON[1] < threshold < OTHER_PEOPLE[0]
    assert threshold <= 0.6  # no looser than dlib's own "same person" distance


def test_near_copies_from_one_still_shot_do_not_split_a_person() -> None:
    vectors, truth = _people([8, 5])
    copy = vectors[0] + 0.002  # one shot's keyframes: the same face three times
    vectors += [copy, copy + 0.001, copy - 0.001]
    truth += [0, 0, 0]
    assert _partition(cluster_faces(vectors, 0.5)) == _partition(truth)


def test_two_faces_on_one_keyframe_are_two_people() -> None:
    twin = np.full(128, 0.05)
    vectors = [twin, twin + 0.001, twin + 0.002]
    assert len(set(cluster_faces(vectors, 0.5))) == 1
    assert len(set(cluster_faces(vectors, 0.5, groups=["k1", "k1", "k2"]))) == 2


def test_labels_follow_first_appearance_and_are_reproducible() -> None:
    vectors, truth = _people([3, 3])
    order = [3, 0, 4, 1, 5, 2]
    shuffled = [vectors[i] for i in order]
    labels = cluster_faces(shuffled, 0.5)
    assert labels == [0, 1, 0, 1, 0, 1]
    assert cluster_faces(shuffled, 0.5) == labels
    assert cluster_faces([], 0.5) == []


@pytest.mark.parametrize(
    ("height", "scale"),
    [(0.45, "close-up"), (0.3, "close-up"), (0.25, "medium"), (0.15, "medium"), (0.12, "wide")],
)
def test_shot_scale_from_face_height(height: float, scale: str) -> None:
    assert shot_scale(height) == scale


def test_portrait_frames_measure_faces_against_their_width() -> None:
    landscape = Sighting(0, 0.0, (0.4, 0.1, 0.1, 0.2), 16 / 9, np.zeros(128))
    portrait = Sighting(0, 0.0, (0.4, 0.1, 0.2, 0.2), 9 / 16, np.zeros(128))
    assert landscape.relative_height == pytest.approx(0.2)
    assert portrait.relative_height == pytest.approx(0.2 * 16 / 9)


@pytest.mark.parametrize(
    ("x", "where"),
    [(0.05, "left"), (0.3, "left"), (0.45, "centre"), (0.55, "right"), (0.8, "right")],
)
def test_position_from_face_centre(x: float, where: str) -> None:
    assert position((x, 0.2, 0.1, 0.2)) == where


class PaintedFaces:
    """A face analyzer for painted stills: each palette colour is a face of one person.

    Its descriptors are the person's point plus a little noise, so grouping,
    naming and placement can be checked against exact truth without a model.
    """

    name: ClassVar[str] = "painted"
    PALETTE: ClassVar[dict[tuple[int, int, int], int]] = {
        (255, 0, 0): 0,
        (0, 0, 255): 1,
        (0, 255, 0): 2,
    }

    def __init__(self) -> None:
        self.seen = 0
        self.closed = False
        rng = np.random.default_rng(5)
        self._points = [rng.normal(size=128) * 0.1 for _ in self.PALETTE]
        self._noise = np.random.default_rng(6)

    def detect(self, image: np.ndarray) -> list[Face]:
        self.seen += 1
        faces = []
        for colour, person in self.PALETTE.items():
            ys, xs = np.nonzero(np.all(image == np.array(colour), axis=2))
            if len(xs):
                point = self._points[person] + self._noise.normal(size=128) * 0.005
                width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
                faces.append(Face(int(xs.min()), int(ys.min()), int(width), int(height), point))
        return sorted(faces, key=lambda f: f.width * f.height, reverse=True)

    def close(self) -> None:
        self.closed = True


def _still(path: Path, faces: list[tuple[tuple[int, int, int], float, float, float]]) -> str:
    """A 320x180 PNG with a square per face: (colour, centre x, top y, height) as fractions."""
    image = Image.new("RGB", (320, 180), (90, 90, 90))
    for colour, centre, top, height in faces:
        side = round(height * 180)
        left = round(centre * 320 - side / 2)
        image.paste(colour, (left, round(top * 180), left + side, round(top * 180) + side))
    image.save(path)
    return str(path)


RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


@pytest.fixture
def painted(tmp_path: Path) -> tuple[list[Scene], dict[float, str]]:
    """Three scenes: red close alone; red and blue; blue and a green seen on one keyframe."""
    keyframes = {
        1.0: [(RED, 0.5, 0.2, 0.4)],
        3.0: [(RED, 0.5, 0.25, 0.35)],
        5.0: [(RED, 0.25, 0.3, 0.2), (BLUE, 0.75, 0.3, 0.2)],
        7.0: [(RED, 0.25, 0.3, 0.2), (BLUE, 0.75, 0.3, 0.2)],
        9.0: [(BLUE, 0.5, 0.4, 0.1), (GREEN, 0.8, 0.1, 0.1)],
        11.0: [(BLUE, 0.5, 0.4, 0.1)],
    }
    stills = {t: _still(tmp_path / f"{t}.png", faces) for t, faces in keyframes.items()}
    scenes = [
        Scene(i, 4.0 * i, 4.0 * i + 4.0, keyframe_times=(4.0 * i + 1, 4.0 * i + 3))
        for i in range(3)
    ]
    return scenes, stills


def test_the_stage_finds_places_and_names_painted_people(
    painted: tuple[list[Scene], dict[float, str]], tmp_path: Path
) -> None:
    scenes, stills = painted
    texts = [[OnScreenText(1.0, "ANNA KOWALSKA")], [], []]
    dialogue = [SpeechSpan(4.5, 6.0, "Good morning, Marek.")]
    analyzer = PaintedFaces()
    thumbs = tmp_path / "thumbs"
    bank = find_characters(scenes, stills, texts, dialogue, CharacterSettings(), thumbs, analyzer)

    assert analyzer.seen == 6 and not analyzer.closed  # a given analyzer is the caller's to close
    assert [c.id for c in bank.characters] == [
        "person-1",
        "person-2",
    ]  # green: one sighting, dropped
    red, blue = bank.characters
    assert red.scenes == (0, 1) and blue.scenes == (1, 2)
    assert (red.name, red.named_by and red.named_by.how) == ("Anna Kowalska", "on screen")
    assert (blue.name, blue.named_by and blue.named_by.how) == ("Marek", "heard")
    first = red.appearances[0]
    assert (first.time, first.position, first.shot_scale, first.keyframes) == (
        1.0,
        "centre",
        "close-up",
        2,
    )
    assert first.box == pytest.approx((0.3875, 0.2, 0.225, 0.4), abs=0.01)
    assert (red.appearances[1].position, red.appearances[1].shot_scale) == ("left", "medium")
    assert (blue.appearances[0].position, blue.appearances[1].shot_scale) == ("right", "wide")
    assert [(c.faces, c.ids) for c in bank.casts] == [
        (1, ("person-1",)),
        (2, ("person-1", "person-2")),
        (2, ("person-2",)),  # the stray green face still counts as a face
    ]
    assert bank.cast() == bank.cast(range(3))
    assert (bank.cast().faces, bank.cast().ids) == (2, ("person-1", "person-2"))
    assert bank.cast([0]).ids == ("person-1",)
    assert sorted(p.name for p in thumbs.iterdir()) == ["person-1.jpg", "person-2.jpg"]
    with Image.open(red.thumbnail or "") as thumbnail:
        assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 160
        assert thumbnail.getpixel((thumbnail.width // 2, thumbnail.height // 2))[0] > 200


def test_the_bank_survives_json(
    painted: tuple[list[Scene], dict[float, str]], tmp_path: Path
) -> None:
    scenes, stills = painted
    bank = find_characters(
        scenes, stills, [[], [], []], [], CharacterSettings(), tmp_path, PaintedFaces()
    )
    stored = json.loads(json.dumps(to_jsonable(bank)))
    assert from_jsonable(CharacterBank, stored) == bank
    assert "descriptor" not in json.dumps(stored["casts"])


def test_off_looks_at_no_frame(
    painted: tuple[list[Scene], dict[float, str]], tmp_path: Path
) -> None:
    scenes, stills = painted
    analyzer = PaintedFaces()
    settings = CharacterSettings(enabled="off")
    bank = find_characters(scenes, stills, [[], [], []], [], settings, tmp_path / "t", analyzer)
    assert bank.characters == () and bank.casts == ()
    assert analyzer.seen == 0 and not (tmp_path / "t").exists()


def test_min_sightings_keeps_a_face_seen_once(
    painted: tuple[list[Scene], dict[float, str]], tmp_path: Path
) -> None:
    scenes, stills = painted
    settings = CharacterSettings(min_sightings=1)
    bank = find_characters(scenes, stills, [[], [], []], [], settings, tmp_path, PaintedFaces())
    assert len(bank.characters) == 3
    assert bank.characters[2].appearances[0].position == "right"


def test_the_first_descriptor_is_kept_until_a_name_comes(
    painted: tuple[list[Scene], dict[float, str]], tmp_path: Path
) -> None:
    scenes, stills = painted
    texts = [[], [OnScreenText(5.0, "MAREK")], []]  # two faces on screen: names nobody
    bank = find_characters(scenes, stills, texts, [], CharacterSettings(), tmp_path, PaintedFaces())
    assert [c.label for c in bank.characters] == [None, None]
    bank = bank.with_descriptor("person-1", "a woman in red")
    bank = bank.with_descriptor("person-1", "a tall woman")  # later descriptions do not replace it
    red = bank.character("person-1")
    assert red is not None and red.label == "a woman in red"
    assert bank.character("person-2") is not None and bank.character("person-2").label is None
