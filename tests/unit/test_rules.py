"""Writing rules: exact rule ids for good and bad AD sentences, exact repairs, idempotence."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from autodescribe.writing.clean import mask_on_screen_text
from autodescribe.writing.rules import (
    RULE_IDS,
    RULES,
    Severity,
    check_text,
    make_finite,
    repair,
    third_person,
)

# Professional AD: present tense, third person, what is seen. None may raise anything.
GOOD = [
    "Maya pockets the keys and slips out the back door.",
    "A red-haired man in a closed booth reads a newspaper.",
    "Rain streaks the window of a crowded bus.",
    "Text on screen: EXIT 12.",
    "She feels along the wall for the light switch.",
    "A woman in a tired grey coat waits at the bus stop.",
    "The door is locked.",
    "He clenches his fist and stares at the letter.",
    "A photographer raises the camera to her eye.",
    'A sign reads "YOU ARE HERE".',
    "Two armed guards patrol the gate.",
    "Her folded hands rest on a closed book.",
    "A figure appears in the doorway.",
    "A figure appears to the left of the door.",
    "The scene of the crash is taped off.",
    "Text on screen: HAPPY BIRTHDAY, YOU ARE LOVED.",
    "Sunlight floods a tiled kitchen.",
    "The woman's left hand trembles.",
    "He picks up a saw.",
    "A scarred soldier kneels beside a wrecked car.",
    "Night. A deserted street lined with parked cars.",
    "She smiles, wipes her eyes and hugs him.",
    "In the distance, a train crosses a bridge.",
    "A woman stands in the frame of the doorway.",
    'She whispers, "We see you."',
    "The man dressed in black waits by the exit.",
    "Police lights flash across a wet road.",
]

BAD = [
    ("We see a woman opening a door.", ["we-see"]),
    ("We can see two dogs in the yard.", ["we-see"]),
    ("You see a man run.", ["we-see"]),  # one finding, not also second-person
    ("You can hear the rain.", ["we-see"]),
    ("A man can be seen walking.", ["we-see"]),
    ("The camera pans across a crowded beach.", ["camera"]),
    ("The camera slowly zooms in on her face.", ["camera"]),
    ("The video shows a man walking down a street.", ["video-shows"]),
    ("The scene depicts a busy market.", ["video-shows"]),
    ("This is a video of a man walking.", ["video-shows"]),
    ("In this scene, a man runs.", ["in-this-scene"]),
    ("A man runs in this scene.", ["in-this-scene"]),
    ("In the first frame, a man waves.", ["in-this-scene"]),
    ("This is a crowded market.", ["this-is"]),
    ("She appears to be tired.", ["hedge"]),
    ("He seems to smile.", ["hedge"]),
    ("It looks like a hospital.", ["hedge"]),
    ("The man is possibly her father.", ["hedge"]),
    ("A man, probably a guard, waits.", ["hedge"]),
    ("Perhaps she is lost.", ["hedge"]),
    ("It might be raining.", ["hedge"]),
    ("It is likely that the car is stolen.", ["hedge"]),
    ("Maya walked to the door.", ["past-tense"]),
    ("She opened the letter and smiled.", ["past-tense", "past-tense"]),
    ("The door closed behind him.", ["past-tense"]),
    ("He went upstairs.", ["past-tense"]),
    ("They said nothing.", ["past-tense"]),
    ("She tiptoed across the hall.", ["past-tense"]),
    ("She walked in and sat down.", ["past-tense", "past-tense"]),
    ("The man slowly turned.", ["past-tense"]),
    ("He looked tired.", ["past-tense"]),
    ("He is furious.", ["interpretation"]),
    ("She feels sad.", ["interpretation", "interpretation"]),
    ("He decides to leave.", ["interpretation"]),
    ("The couple is in love.", ["interpretation"]),
    ("She wants to run.", ["interpretation"]),
    ("Your eyes follow the ball.", ["second-person"]),
    ("Description: A man runs.", ["meta"]),
    ("Here is the audio description: a man runs.", ["meta"]),
    ("Sure! Here's a description of the scene: A man runs.", ["meta"]),
    ("We see that the man was angry.", ["we-see", "past-tense", "interpretation"]),
    ("The camera shows us a woman who looked nervous.", ["camera", "past-tense", "interpretation"]),
    ("The video shows you a city.", ["video-shows", "second-person"]),
    ("The image shows that it is probably night.", ["video-shows", "hedge"]),
    ("A man is seen holding a phone.", ["we-see"]),
    ("It appears that the door is locked.", ["hedge"]),
    ("The person seems focused.", ["hedge"]),
]

REPAIRS = [
    # (model output, exact repaired text, rules that fixed it, rules still broken)
    ("We see a woman opening a door.", "A woman opens a door.", ["we-see"], []),
    ("We can see two dogs playing in the yard.", "Two dogs play in the yard.", ["we-see"], []),
    ("We see a man and a woman dancing.", "A man and a woman dance.", ["we-see"], []),
    (
        "We see a woman in a red coat opening a door and stepping outside.",
        "A woman in a red coat opens a door and steps outside.",
        ["we-see"],
        [],
    ),
    ("We see her hands shaking.", "Her hands shake.", ["we-see"], []),
    ("We see her smiling.", "She smiles.", ["we-see"], []),
    ("You see a man run.", "A man runs.", ["we-see"], []),
    ("We hear a phone ringing.", "A phone rings.", ["we-see"], []),
    ("We see the crowd cheering.", "The crowd cheers.", ["we-see"], []),
    ("We see that the man is running.", "The man is running.", ["we-see"], []),
    ("We can see two dogs in the yard.", "Two dogs in the yard.", ["we-see"], []),
    ("We see a glittering ring.", "A glittering ring.", ["we-see"], []),
    ("Then we see a car driving away.", "Then a car drives away.", ["we-see"], []),
    ("A man can be seen walking.", "A man walks.", ["we-see"], []),
    ("We see him.", "We see him.", [], ["we-see"]),  # "Him." would be worse
    (
        "The video shows a man walking down a street.",
        "A man walks down a street.",
        ["video-shows"],
        [],
    ),
    ("The video shows people dancing at a party.", "People dance at a party.", ["video-shows"], []),
    ("The scene depicts a busy market.", "A busy market.", ["video-shows"], []),
    ("The video shows you a city.", "A city.", ["video-shows"], []),
    ("This is a video of a man walking.", "A man walks.", ["video-shows"], []),
    ("The image shows that it is probably night.", "It is night.", ["video-shows", "hedge"], []),
    ("In this scene, a man runs.", "A man runs.", ["in-this-scene"], []),
    ("A man runs in this scene.", "A man runs.", ["in-this-scene"], []),
    (
        "In this scene, we see Maya pocketing the keys.",
        "Maya pockets the keys.",
        ["in-this-scene", "we-see"],
        [],
    ),
    ("This is a crowded market.", "A crowded market.", ["this-is"], []),
    ("She appears to be tired.", "She is tired.", ["hedge"], []),
    ("They seem to be lost.", "They are lost.", ["hedge"], []),
    ("He seems to smile.", "He smiles.", ["hedge"], []),
    ("They seem to argue.", "They argue.", ["hedge"], []),
    ("He holds what appears to be a gun.", "He holds a gun.", ["hedge"], []),
    ("Perhaps she is lost.", "She is lost.", ["hedge"], []),
    ("A man, probably a guard, waits.", "A man, a guard, waits.", ["hedge"], []),
    ("She is, perhaps, lost.", "She is lost.", ["hedge"], []),
    ("She waits, perhaps.", "She waits.", ["hedge"], []),
    ("It is likely that the car is stolen.", "The car is stolen.", ["hedge"], []),
    ("Description: A man runs.", "A man runs.", ["meta"], []),
    ("Sure! Here is the audio description: a man runs.", "A man runs.", ["meta"], []),
    (
        "We see a woman who appears to be nervous.",
        "A woman who is nervous.",
        ["we-see", "hedge"],
        ["interpretation"],
    ),
    (
        "We see that the man was angry.",
        "The man was angry.",
        ["we-see"],
        ["past-tense", "interpretation"],
    ),
    ("A man is seen holding a phone.", "A man holds a phone.", ["we-see"], []),
    ("It appears that the door is locked.", "The door is locked.", ["hedge"], []),
    ("The person seems focused.", "The person is focused.", ["hedge"], []),
    # the -ing verb belongs to the noun after "with", not the head: keep the fragment
    (
        "The scene shows a city street at night with cars driving by.",
        "A city street at night with cars driving by.",
        ["video-shows"],
        [],
    ),
    # no safe mechanical fix: unchanged, and still reported
    (
        "The clip shows you how to tie a tie.",
        "The clip shows you how to tie a tie.",
        [],
        ["video-shows", "second-person"],
    ),
    ("It seems like a party.", "It seems like a party.", [], ["hedge"]),
    (
        "It seems to the guard that she left.",
        "It seems to the guard that she left.",
        [],
        ["hedge", "past-tense"],
    ),
    ("The camera pans across a beach.", "The camera pans across a beach.", [], ["camera"]),
    ("It looks like a hospital.", "It looks like a hospital.", [], ["hedge"]),
    ("She walked to the door.", "She walked to the door.", [], ["past-tense"]),
    ("He is furious.", "He is furious.", [], ["interpretation"]),
    # on-screen text is read verbatim: never reported, never rewritten
    ('A poster reads "WE SEE YOU, PERHAPS".', 'A poster reads "WE SEE YOU, PERHAPS".', [], []),
]


def ids(text: str) -> list[str]:
    return [v.rule for v in check_text(text)]


@pytest.mark.parametrize("sentence", GOOD)
def test_professional_sentences_break_no_rule(sentence: str) -> None:
    assert check_text(sentence) == []


@pytest.mark.parametrize(("sentence", "expected"), BAD)
def test_bad_sentences_break_exactly_these_rules(sentence: str, expected: list[str]) -> None:
    assert ids(sentence) == expected


@pytest.mark.parametrize(("before", "after", "fixed", "remaining"), REPAIRS)
def test_repair_gives_exact_text(
    before: str, after: str, fixed: list[str], remaining: list[str]
) -> None:
    result = repair(before)
    assert result.text == after
    assert result.fixed == fixed
    assert [v.rule for v in result.remaining] == remaining


@pytest.mark.parametrize("text", [r[0] for r in REPAIRS] + [b[0] for b in BAD] + GOOD)
def test_repair_is_idempotent(text: str) -> None:
    once = repair(text)
    twice = repair(once.text)
    assert twice.text == once.text
    assert twice.fixed == []


def test_good_text_is_returned_untouched() -> None:
    text = "Maya pockets the keys.  Text on screen: EXIT 12 ."  # odd spacing kept as written
    assert repair(text).text == text


def test_every_rule_is_exercised_by_the_table() -> None:
    seen = {rule for _, expected in BAD for rule in expected}
    assert seen == set(RULE_IDS)
    assert len(RULE_IDS) == len(set(RULE_IDS))
    assert all(r.catches and r.advice and (r.pattern or r.finder) for r in RULES)


def test_violation_points_at_the_offending_words() -> None:
    text = "Maya walked in. We can see a red car."
    past, we_see = check_text(text)
    assert text[slice(*past.span)] == "walked"
    assert text[slice(*we_see.span)] == "We can see"
    assert we_see.severity is Severity.ERROR and past.severity is Severity.WARNING
    assert we_see.message.startswith('"We can see":')


def test_violations_serialise_for_the_qc_report() -> None:
    found = check_text("We see a man.")
    row = json.loads(json.dumps([asdict(v) for v in found]))
    assert row == [
        {
            "rule": "we-see",
            "span": [0, 6],
            "message": '"We see": say what is on screen',
            "severity": "error",
        }
    ]


def test_several_sentences_are_repaired_each_in_place() -> None:
    text = "The video shows a kitchen. We see a man pouring coffee. He seems to yawn."
    assert repair(text).text == "A kitchen. A man pours coffee. He yawns."


def test_a_subset_of_rules_can_be_checked() -> None:
    only_camera = [r for r in RULES if r.id == "camera"]
    assert [v.rule for v in check_text("We see a man walking.", only_camera)] == []
    assert [v.rule for v in check_text("The camera pans left.", only_camera)] == ["camera"]


def test_masking_keeps_offsets() -> None:
    text = 'She reads "YOU WIN" aloud. Text on screen: you are here.'
    masked = mask_on_screen_text(text)
    assert len(masked) == len(text)
    assert "YOU" not in masked and "you are here" not in masked
    assert masked.startswith("She reads ") and masked.endswith(
        " aloud. Text on screen:\x00" + "\x00" * 12 + "."
    )


@pytest.mark.parametrize(
    ("clause", "finite"),
    [
        ("a woman opening a door", "a woman opens a door"),
        ("two men running", "two men run"),
        ("the children playing", "the children play"),
        ("the bus stopping", "the bus stops"),
        ("them waving and cheering", "they wave and cheer"),
        ("a man who is running", None),
        ("a building", None),
        ("the man's dog running", "the man's dog runs"),
    ],
)
def test_make_finite(clause: str, finite: str | None) -> None:
    assert make_finite(clause) == finite


@pytest.mark.parametrize(
    ("base", "third"),
    [
        ("walk", "walks"),
        ("watch", "watches"),
        ("hurry", "hurries"),
        ("go", "goes"),
        ("have", "has"),
    ],
)
def test_third_person(base: str, third: str) -> None:
    assert third_person(base) == third


def test_a_whole_script_repairs_to_a_fixed_point() -> None:
    text = " ".join(s for s, _ in BAD) + "\n" + " ".join(GOOD)
    once = repair(text)
    assert repair(once.text).text == once.text
    for sentence in GOOD:  # good sentences beside bad ones are left exactly as written
        assert sentence in once.text
    assert check_text("") == [] and repair("").text == ""
