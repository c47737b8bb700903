"""People on screen: the describer's people line, kept descriptors, the offline describer's
words for them, and faces marked on copies of the frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autodescribe.backends.describe.base import (
    DescribeContext,
    DescribeRequest,
    Draft,
    build_conversation,
    finish_answers,
)
from autodescribe.backends.describe.basic import BasicDescriber, people_forms
from autodescribe.bulk.rows import ClipCaption
from autodescribe.types import (
    Appearance,
    Cast,
    Character,
    CharacterBank,
    Description,
    Gap,
    NameSource,
    Scene,
    ScenePerson,
)
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.describe import SceneInput, describe_scenes
from autodescribe.writing.face_marks import BOX, marked_inputs
from autodescribe.writing.people import CastContextBuilder, learn_descriptor, scene_people
from autodescribe.writing.rules import check_text

LEFT = (0.1, 0.2, 0.2, 0.35)
RIGHT = (0.65, 0.3, 0.12, 0.2)


def _seen(scene: int, box: tuple[float, float, float, float], scale: str = "medium") -> Appearance:
    centre = box[0] + box[2] / 2
    where = "left" if centre < 0.4 else "right" if centre > 0.6 else "centre"
    return Appearance(scene, float(scene), box, where, scale)  # type: ignore[arg-type]


def _bank() -> CharacterBank:
    """Anna (named by a caption in scene 2) and an unnamed man, over four scenes."""
    anna = Character(
        "person-1",
        (_seen(0, (0.4, 0.1, 0.2, 0.4), "close-up"), _seen(2, LEFT), _seen(3, LEFT)),
        name="Anna",
        named_by=NameSource("on screen", 2.0, 2, "ANNA"),
    )
    man = Character("person-2", (_seen(1, (0.45, 0.3, 0.1, 0.12), "wide"), _seen(3, RIGHT)))
    casts = (Cast(1, ("person-1",)), Cast(1, ("person-2",)), Cast(1, ("person-1",)))
    return CharacterBank((anna, man), (*casts, Cast(2, ("person-1", "person-2"))), 0.5)


def _said(description: str, scene: int, language: str = "en") -> Description:
    return Description(scene, description, language)


def test_people_line_lists_who_is_where_left_to_right() -> None:
    bank = _bank()
    assert [str(p) for p in scene_people(bank, 3)] == [
        "Anna, left, medium",
        "a person, right, medium",
    ]
    assert scene_people(bank, 5) == ()


def test_a_name_is_used_only_from_the_scene_the_film_gives_it() -> None:
    bank = _bank()
    (before,) = scene_people(bank, 0)
    assert (before.label, before.shot_scale) == ("a person", "close-up")
    assert scene_people(bank, 2)[0].label == "Anna"


def test_a_lone_unnamed_person_keeps_the_first_descriptor() -> None:
    bank = learn_descriptor(_bank(), _said("A man in a grey coat waits. A woman waves.", 1))
    assert bank.character("person-2").descriptor == "a man in a grey coat"  # type: ignore[union-attr]
    later = learn_descriptor(bank, _said("A tall man with a cane stops.", 1))
    assert later.character("person-2").descriptor == "a man in a grey coat"  # type: ignore[union-attr]
    assert [str(p) for p in scene_people(later, 3)][1] == "a man in a grey coat, right, medium"
    # before her caption, Anna is unnamed and alone: she keeps a descriptor too
    anna = learn_descriptor(bank, _said("A woman with a red scarf smiles.", 0))
    assert anna.character("person-1").descriptor == "a woman with a red scarf"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "scene", "language"),
    [
        ("A person waits by the door.", 1, "en"),  # too vague to tell anyone apart
        ("A man in a grey coat waits.", 3, "en"),  # two faces: whose descriptor?
        ("A man in a grey coat waits.", 2, "en"),  # Anna is named by then
        ("Un hombre con abrigo gris espera.", 1, "es"),  # the finder reads English
        ("Rain falls on the street.", 1, "en"),  # nobody mentioned
        ("Text on screen: THE OLD MAN AND THE SEA.", 1, "en"),  # a title, not the man seen
    ],
)
def test_no_descriptor_when_it_would_not_be_sure(text: str, scene: int, language: str) -> None:
    bank = _bank()
    assert learn_descriptor(bank, _said(text, scene, language)) == bank


def test_two_people_never_share_a_descriptor() -> None:
    bank = learn_descriptor(_bank(), _said("A man in a grey coat waits.", 1))
    assert learn_descriptor(bank, _said("A man in a grey coat waits.", 0)) == bank


def test_the_prompt_says_who_is_in_the_scene() -> None:
    people = scene_people(_bank(), 3)
    request = DescribeRequest(
        scene=Scene(index=3, start=9.0, end=12.0),
        images=(),
        image_times=(),
        word_budget=12,
        context=DescribeContext(people=people, on_screen_text=("EXIT",)),
    )
    text = build_conversation(request, max_images=8)[1]["content"][-1]["text"]
    assert text.startswith(
        "People in this scene: Anna, left, medium; a person, right, medium\n"
        "On-screen text in this scene: EXIT\n"
    )
    # with --mark-faces the line says each box's label, unless it is the name itself
    assert str(ScenePerson("a person", "right", "wide", "person-2", "P2")) == (
        "a person, marked P2, right, wide"
    )
    assert str(ScenePerson("Anna", "left", "medium", "person-1", "Anna")) == "Anna, left, medium"


def test_the_context_builder_reuses_descriptors_in_later_scenes(tmp_path: Path) -> None:
    context = CastContextBuilder(_bank())
    assert context.request_context(1).people[0].label == "a person"
    context.add(_said("A man in a grey coat waits.", 1))
    later = context.request_context(3).people
    assert [p.label for p in later] == ["Anna", "a man in a grey coat"]
    assert context.bank.character("person-2").descriptor == "a man in a grey coat"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("people", "budget", "expected"),
    [
        ([ScenePerson("Anna", "centre", "close-up")], 12, "Close-up of Anna."),
        ([ScenePerson("Joe", "right", "medium")], 12, "Medium shot of Joe on the right."),
        ([ScenePerson("Joe", "right", "medium")], 4, "Medium shot of Joe."),
        ([ScenePerson("a person", "left", "wide")], 12, "Wide shot of a person on the left."),
        (
            [ScenePerson("Anna", "left", "medium"), ScenePerson("a man", "right", "medium")],
            12,
            "Two people: Anna on the left, a man on the right.",
        ),
        (
            [ScenePerson("Anna", "left", "medium"), ScenePerson("a man", "right", "medium")],
            7,
            "Two people: Anna and a man.",
        ),
        (
            [ScenePerson("a person", "left", "wide"), ScenePerson("Eileen", "right", "wide")],
            12,
            "Two people: someone on the left, Eileen on the right.",
        ),
        ([ScenePerson("a person", "left", "wide")] * 3, 12, "Three people."),
    ],
)
def test_offline_describer_says_who_is_on_screen(
    tmp_path: Path, people: list[ScenePerson], budget: int, expected: str
) -> None:
    still = tmp_path / "still.jpg"
    Image.new("RGB", (64, 36), (20, 30, 160)).save(still)
    request = DescribeRequest(
        scene=Scene(index=0, start=0.0, end=4.0, keyframe_times=(0.0,)),
        images=(still,),
        image_times=(0.0,),
        word_budget=budget,
        context=DescribeContext(people=tuple(people)),
    )
    text = BasicDescriber().describe(request).text
    assert text.split(". ")[0].rstrip(".") + "." == expected
    assert len(text.split()) <= budget
    assert finish_answers([Draft(text, budget)]) == [text]  # the cleaning path keeps every word
    assert check_text(text) == []


def test_on_screen_text_keeps_its_room_and_people_take_a_shorter_form(tmp_path: Path) -> None:
    still = tmp_path / "still.jpg"
    Image.new("RGB", (64, 36), (20, 30, 160)).save(still)
    people = (ScenePerson("Anna", "left", "medium"), ScenePerson("a man", "right", "medium"))
    request = DescribeRequest(
        scene=Scene(index=0, start=0.0, end=4.0, keyframe_times=(0.0,)),
        images=(still,),
        image_times=(0.0,),
        word_budget=10,
        context=DescribeContext(people=people, on_screen_text=("EXIT 12",)),
    )
    assert (
        BasicDescriber().describe(request).text
        == "Two people. A blue picture. Text on screen: EXIT 12."
    )


def test_people_lead_the_text(tmp_path: Path) -> None:
    forms = people_forms(
        [ScenePerson("Anna", "left", "medium"), ScenePerson("Joe", "right", "wide")]
    )
    assert forms[0] == "Two people: Anna on the left, Joe on the right."
    still = tmp_path / "still.jpg"
    Image.new("RGB", (64, 36), (200, 30, 30)).save(still)
    scene = Scene(index=0, start=0.0, end=4.0, keyframe_times=(0.0,))
    item = SceneInput(scene=scene, slot=Gap(0.0, 4.0, 14), stills=(still,), text=())
    context = CastContextBuilder(_bank())
    (result,) = describe_scenes(
        [item], Lazy(BasicDescriber), WorkDir(tmp_path / "w"), "k", "en", 1, (), context
    )
    assert result.text == "Close-up of a person. A bright red picture."


def test_faces_are_marked_on_copies_of_the_stills(tmp_path: Path) -> None:
    still = tmp_path / "stills" / "still-1.jpg"
    still.parent.mkdir()
    Image.new("RGB", (640, 360), (90, 90, 90)).save(still)
    before = still.read_bytes()
    other = tmp_path / "stills" / "still-2.jpg"
    Image.new("RGB", (640, 360), (90, 90, 90)).save(other)
    scene = Scene(index=3, start=3.0, end=4.0, keyframe_times=(3.0, 3.5))
    item = SceneInput(scene=scene, slot=Gap(3.0, 4.0, 3), stills=(still, other), text=())
    (marked,) = marked_inputs([item], _bank(), tmp_path / "marked")
    assert still.read_bytes() == before  # the stills other stages read stay as they were
    assert marked.stills[1] == other  # no face was measured on this keyframe
    copy = marked.stills[0]
    assert copy.parent == tmp_path / "marked"
    pixels = np.asarray(Image.open(copy).convert("RGB")).astype(int)
    left = round(LEFT[0] * 640)
    mid_y = round((LEFT[1] + LEFT[3] / 2) * 360)
    assert _yellow(pixels[mid_y, left + 1])  # the box's left edge
    assert np.abs(pixels[mid_y, left + 30] - (90, 90, 90)).max() < 20  # inside stays clear
    label_row = pixels[round(LEFT[1] * 360) - 8, left : left + 40]
    assert any(_yellow(p) for p in label_row)  # the tab above the box
    assert (label_row.sum(axis=1) < 200).any()  # black letters on it


def _yellow(pixel: np.ndarray) -> bool:
    """The box's colour, give or take what JPEG does to it."""
    red, green, blue = (int(v) for v in pixel)
    return red > BOX[0] - 60 and green > BOX[1] - 60 and blue < 110


def test_clip_rows_carry_people_only_when_counted() -> None:
    plain = ClipCaption(0.0, 2.0, "A door.")
    assert plain.to_dict() == {"start": 0.0, "end": 2.0, "caption": "A door."}
    counted = ClipCaption(0.0, 2.0, "A door.", faces=2, identities=("person-1", "person-2"))
    assert counted.to_dict()["faces"] == 2
    assert counted.to_dict()["identities"] == ["person-1", "person-2"]
