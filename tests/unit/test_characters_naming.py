"""The naming rule: a character is named only when the film gives the name, and only to it."""

from __future__ import annotations

import pytest

from autodescribe.analysis.naming import (
    KeyframeFaces,
    name_identities,
    name_on_screen,
    names_heard,
)
from autodescribe.types import OnScreenText, Scene, SpeechSpan


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ANNA KOWALSKA", "Anna Kowalska"),
        ("Anna", "Anna"),
        ("Jean-Luc Picard", "Jean-Luc Picard"),
        ("O'NEILL", "O'Neill"),
        ("DR ANNA KOWALSKA", "Dr Anna Kowalska"),
        ("Dr. Anna", "Dr. Anna"),
        ("DR", None),
        ("EXIT 12", None),
        ("EXIT", None),
        ("BREAKING NEWS", None),
        ("The End", None),
        ("anna kowalska", None),
        ("Anna Maria Kowalska Nowak", None),
        ("AL", None),
        ("Welcome to Paris", None),
    ],
)
def test_caption_names(text: str, name: str | None) -> None:
    assert name_on_screen(text) == name


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Good morning, Joe.", ["Joe"]),
        ("Anna, come here.", ["Anna"]),
        ("Anna!", ["Anna"]),
        ("I'm Anna Kowalska.", ["Anna Kowalska"]),
        ("Anna Kowalska is late again.", ["Anna Kowalska"]),
        ("Grace is here.", []),  # a capital that only starts the sentence
        ("Will you come?", []),
        ("Thank you. Sorry, Bob.", ["Bob"]),
        ("That's Anna's car.", ["Anna"]),
        ("I met Mr. Smith on Monday.", ["Mr Smith"]),
        ("Oh God, I speak English!", []),
        ("where is everybody", []),
        ("Hey Anna, Anna, wait.", ["Anna"]),
    ],
)
def test_names_in_dialogue(line: str, names: list[str]) -> None:
    assert names_heard(line) == names


def _scenes(count: int) -> list[Scene]:
    return [
        Scene(i, i * 4.0, i * 4.0 + 4.0, keyframe_times=(i * 4.0 + 1, i * 4.0 + 3))
        for i in range(count)
    ]


def _frames(
    *per_scene: tuple[tuple[str | None, ...], tuple[str | None, ...]],
) -> list[KeyframeFaces]:
    """Keyframes at 1 s and 3 s into each 4 s scene, with the identities on each."""
    out = []
    for index, (first, second) in enumerate(per_scene):
        out.append(KeyframeFaces(index, index * 4.0 + 1, first))
        out.append(KeyframeFaces(index, index * 4.0 + 3, second))
    return out


def _texts(count: int, **lines: tuple[float, str]) -> list[list[OnScreenText]]:
    out: list[list[OnScreenText]] = [[] for _ in range(count)]
    for key, (time, text) in lines.items():
        out[int(key[1:])].append(OnScreenText(time, text))
    return out


def test_a_caption_names_the_only_face_on_its_keyframe() -> None:
    frames = _frames((("a",), ("a",)), (("a", "b"), ("b",)))
    texts = _texts(2, s0=(1.0, "ANNA KOWALSKA"), s1=(5.0, "MAREK NOWAK"))
    named = name_identities(_scenes(2), frames, texts, [])
    assert named["a"].name == "Anna Kowalska"
    assert named["a"].source.how == "on screen"
    assert str(named["a"].source) == "on screen at 1.0 s"
    assert "b" not in named  # two faces on screen when "MAREK NOWAK" was read


def test_a_caption_over_no_face_names_the_scenes_only_identity() -> None:
    frames = _frames(((), ("a",)), ((), ("a", "b")))
    texts = _texts(2, s0=(1.0, "ANNA"), s1=(5.0, "MAREK"))
    named = name_identities(_scenes(2), frames, texts, [])
    assert {k: v.name for k, v in named.items()} == {"a": "Anna"}


def test_a_name_heard_goes_to_the_only_unnamed_identity_present() -> None:
    frames = _frames((("a",), ("a",)), (("a", "b"), ("a", "b")), (("b", "c"), ("c",)))
    texts = _texts(3, s0=(1.0, "ANNA KOWALSKA"))
    dialogue = [
        SpeechSpan(4.5, 6.0, "Hello, Marek."),  # scene 1: a is named, b is the only candidate
        SpeechSpan(8.5, 10.0, "Where is Zofia?"),  # scene 2: b and c, both unnamed then
        SpeechSpan(5.0, 6.5, "Anna, sit down."),  # Anna is a's: names nobody else
    ]
    named = name_identities(_scenes(3), frames, texts, dialogue)
    assert {k: v.name for k, v in named.items()} == {"a": "Anna Kowalska", "b": "Marek"}
    assert named["b"].source.how == "heard"
    assert named["b"].source.time == 4.5
    assert named["b"].source.scene == 1


def test_a_name_shared_evenly_by_two_identities_names_neither() -> None:
    frames = _frames((("a",), ("a",)), (("b",), ("b",)))
    dialogue = [SpeechSpan(1.0, 2.0, "Hi, Kim."), SpeechSpan(5.0, 6.0, "Hi, Kim.")]
    assert name_identities(_scenes(2), frames, _texts(2), dialogue) == {}


def test_the_name_with_most_evidence_wins() -> None:
    frames = _frames((("a",), ("a",)), (("a",), ("a",)), (("b",), ("b",)))
    dialogue = [
        SpeechSpan(0.5, 1.5, "Come on, Rex."),  # a dog's name, said once
        SpeechSpan(4.5, 5.5, "Thanks, Tom."),
        SpeechSpan(5.5, 6.5, "Tom, wait."),
        SpeechSpan(8.5, 9.5, "Tom!"),  # said to b once: a has more evidence for Tom
    ]
    named = name_identities(_scenes(3), frames, _texts(3), dialogue)
    assert {k: v.name for k, v in named.items()} == {"a": "Tom"}


def test_a_name_read_on_screen_beats_a_name_heard() -> None:
    frames = _frames((("a",), ("a",)), (("a",), ("a",)))
    texts = _texts(2, s1=(5.0, "TOMASZ WOLSKI"))
    dialogue = [SpeechSpan(0.5, 1.5, "Morning, Tom."), SpeechSpan(1.5, 2.5, "Tom, sit.")]
    named = name_identities(_scenes(2), frames, texts, dialogue)
    assert named["a"].name == "Tomasz Wolski"


def test_faces_in_no_identity_still_count_as_faces_on_screen() -> None:
    frames = _frames((("a", None), ("a", None)))
    texts = _texts(1, s0=(1.0, "ANNA"))
    assert name_identities(_scenes(1), frames, texts, []) == {}
