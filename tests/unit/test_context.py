"""Context across scenes: verbatim window, bounded synopsis, character sheet, prompt order, SKIP."""

from __future__ import annotations

import pytest

from autodescribe.backends.describe import DescribeContext, DescribeRequest
from autodescribe.backends.describe.base import build_conversation
from autodescribe.types import Description, Gap, Scene, SpeechSpan
from autodescribe.writing.clean import is_skip
from autodescribe.writing.context import (
    SYNOPSIS_WORDS,
    CharacterSheet,
    SceneContextBuilder,
    Synopsis,
    dialogue_around,
    find_mentions,
    fold,
    learn,
    names_in_line,
    prompt_tokens_estimate,
)
from autodescribe.writing.prompts import load_template

CAST = (
    "a tall woman in a red coat",
    "a bearded man in a grey suit",
    "a girl with a yellow backpack",
    "an old man with a cane",
)
ACTIONS = ("crosses", "walks along", "waits at", "runs through", "looks around", "sits in")
PLACES = (
    "a busy street",
    "a bus stop",
    "a covered market",
    "a train station",
    "a quiet park",
    "a small cafe",
    "an office lobby",
    "a rainy square",
    "a stone bridge",
)
DETAILS = (
    "Pigeons scatter across the pavement.",
    "Neon signs flicker above the doors.",
    "A delivery van pulls up and stops.",
    "Rain drips from a striped awning.",
    "A dog sniffs at an overturned bin.",
)


@pytest.fixture(scope="module")
def script() -> list[str]:
    """500 scene descriptions, each naming one of four people in a new place and detail."""
    lines = []
    for i in range(500):
        who = CAST[i % len(CAST)]
        lines.append(
            f"{who[0].upper()}{who[1:]} {ACTIONS[i % 6]} {PLACES[i % 9]}. {DETAILS[i % 5]}"
        )
    return lines


def _run(builder: SceneContextBuilder, texts: list[str], upto: int) -> DescribeContext:
    for i, text in enumerate(texts[:upto]):
        builder.request_context(i)
        builder.add(Description(scene=i, text=text))
    return builder.request_context(upto)


def _user_text(context: DescribeContext, budget: int = 12) -> str:
    request = DescribeRequest(
        scene=Scene(index=4, start=62.0, end=66.0),
        images=(),
        image_times=(),
        word_budget=budget,
        context=context,
    )
    conversation = build_conversation(request, max_images=8)
    return conversation[1]["content"][-1]["text"]


# -- verbatim window and synopsis -------------------------------------------------------


def test_request_carries_the_last_three_descriptions_oldest_first() -> None:
    texts = [f"Scene {n} shows a different street corner." for n in "ABCDE"]
    builder = SceneContextBuilder()

    assert builder.request_context(0).previous == ()
    context = _run(builder, texts, 5)

    assert context.previous == tuple(texts[2:5])
    assert context.synopsis.startswith(texts[0])


def test_skipped_and_empty_descriptions_do_not_enter_the_window() -> None:
    builder = SceneContextBuilder()
    builder.add(Description(scene=0, text="A man opens a door."))
    builder.add(Description(scene=1, text="", skip=True))
    builder.add(Description(scene=2, text="   "))

    assert builder.request_context(3).previous == ("A man opens a door.",)


def test_fold_keeps_the_first_description_and_drops_the_least_informative_sentence() -> None:
    synopsis = fold(Synopsis(), "A woman enters a kitchen. She opens the fridge.", 12)
    assert synopsis.sentences == ("A woman enters a kitchen.",)  # pinned within half the bound
    assert synopsis.pinned == 1

    synopsis = fold(synopsis, "A dog barks loudly outside.", 12)
    synopsis = fold(synopsis, "A dog barks outside.", 12)  # a near-duplicate: left out
    assert synopsis.sentences == ("A woman enters a kitchen.", "A dog barks loudly outside.")

    synopsis = fold(synopsis, "Rain falls on the window. A kettle whistles.", 12)
    assert synopsis.sentences == ("A woman enters a kitchen.", "A dog barks loudly outside.")
    assert synopsis.words == 10


def test_synopsis_is_bounded_at_scene_1_50_and_500(script: list[str]) -> None:
    builder = SceneContextBuilder()
    words: list[int] = []
    tokens: dict[int, int] = {}
    for i, text in enumerate(script):
        context = builder.request_context(i, dialogue=("Come on, we are late.",))
        words.append(len(context.synopsis.split()))
        if i in (0, 49, 499):
            tokens[i + 1] = prompt_tokens_estimate(
                build_conversation(
                    DescribeRequest(Scene(i, i * 4.0, i * 4.0 + 4), (), (), 12, context=context),
                    max_images=8,
                )
            )
        builder.add(Description(scene=i, text=text))

    assert words[0] == 0
    assert 0 < words[49] <= SYNOPSIS_WORDS and 0 < words[499] <= SYNOPSIS_WORDS
    assert max(words) <= SYNOPSIS_WORDS
    assert context.synopsis.startswith(script[0].split(". ")[0])  # the opening is kept
    assert context.previous == tuple(script[496:499])
    # The prompt stops growing: scene 500 costs no more than scene 50 plus a few words.
    assert tokens[500] <= tokens[50] + 20
    assert tokens[1] < tokens[50]


# -- character sheet --------------------------------------------------------------------


def test_descriptor_is_learned_kept_and_named_once_dialogue_says_the_name() -> None:
    builder = SceneContextBuilder()
    builder.request_context(0)
    builder.add(Description(scene=0, text="A tall woman in a red coat crosses a busy street."))
    assert builder.request_context(1).characters == (("a tall woman in a red coat", None),)

    builder.add(Description(scene=1, text="A woman in a long red coat stops at a bus stop."))
    assert builder.request_context(2, dialogue=("Maya! Over here!",)).characters == (
        ("a tall woman in a red coat", None),
    )

    builder.add(Description(scene=2, text="The woman in the red coat turns and waves."))
    context = builder.request_context(3)
    assert context.characters == (("a tall woman in a red coat", "Maya"),)
    assert builder.sheet.names() == {"a tall woman in a red coat": "Maya"}
    assert "Characters so far: Maya (a tall woman in a red coat)" in _user_text(context)


def test_a_name_is_not_given_when_two_unnamed_people_are_in_the_scene() -> None:
    sheet = learn(
        CharacterSheet(),
        "A tall woman in a red coat hands a man with a grey beard an envelope.",
        scene=0,
        heard=("Maya",),
    )
    assert sheet.entries() == (
        ("a tall woman in a red coat", None),
        ("a man with a grey beard", None),
    )


def test_a_name_stays_with_its_person_and_a_second_name_goes_to_the_other() -> None:
    sheet = learn(CharacterSheet(), "A tall woman in a red coat waits.", 0, ("Maya",))
    sheet = learn(sheet, "Maya greets a man with a grey beard.", 1, ("Maya", "Tom"))

    assert sheet.entries() == (
        ("a tall woman in a red coat", "Maya"),
        ("a man with a grey beard", "Tom"),
    )


def test_a_name_caption_on_screen_names_the_only_unnamed_person() -> None:
    builder = SceneContextBuilder()
    builder.request_context(0, on_screen_text=("Maya Chen", "EXIT 12"))
    builder.add(Description(scene=0, text="A police officer in a yellow vest reads a note."))

    assert builder.sheet.entries() == (("a police officer in a yellow vest", "Maya Chen"),)


def test_mentions_read_descriptor_phrases() -> None:
    mentions = find_mentions(
        "An elderly lady, carrying an umbrella, smiles at the man in the orange hat. "
        "The woman's dog barks."
    )
    assert [(m.descriptor, m.kind) for m in mentions] == [
        ("an elderly lady carrying an umbrella", "woman"),
        ("a man in an orange hat", "man"),
        ("a woman", "woman"),
    ]


def test_the_sheet_is_bounded() -> None:
    sheet = CharacterSheet()
    colours = "red blue green black white grey brown pink purple orange yellow gold teal navy"
    for i, colour in enumerate(colours.split()):
        sheet = learn(sheet, f"A man in a {colour} hat waits.", i, limit=12)

    assert len(sheet.entries()) == 12
    assert sheet.entries()[0] == ("a man in a green hat", None)  # the two seen longest ago left


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Maya! Over here!", ["Maya"]),
        ("Maya, wait.", ["Maya"]),
        ("Okay, thanks Tom.", ["Tom"]),
        ("Hey Maya, it's Monday.", ["Maya"]),
        ("Where's Mr. Jones?", ["Mr Jones"]),
        ("I'm Jean-Luc, by the way.", ["Jean-Luc"]),
        ("Paris is lovely in spring.", []),
        ("We're flying to Paris.", []),
        ("STOP RIGHT THERE", []),
    ],
)
def test_names_in_dialogue(line: str, names: list[str]) -> None:
    assert names_in_line(line) == names


@pytest.mark.parametrize(
    ("line", "names"),
    [("Maya Chen", ["Maya Chen"]), ("EXIT 12", []), ("Main Street", []), ("Exit", [])],
)
def test_names_on_screen(line: str, names: list[str]) -> None:
    assert names_in_line(line, on_screen=True) == names


# -- prompt ------------------------------------------------------------------------------


def test_user_prompt_has_every_context_part_in_a_fixed_order() -> None:
    context = DescribeContext(
        previous=("A man waits at a bus stop.",),
        on_screen_text=("EXIT 12",),
        dialogue=("Where were you last night?",),
        synopsis="A tall woman in a red coat crosses a busy street.",
        characters=(("a tall woman in a red coat", "Maya"), ("a man with a grey beard", None)),
    )
    text = _user_text(context, budget=12)
    expected = [
        "Story so far: A tall woman in a red coat crosses a busy street.\n",
        "Characters so far: Maya (a tall woman in a red coat); a man with a grey beard\n",
        "Previous descriptions, oldest first: A man waits at a bus stop.\n",
        'Dialogue around this pause: "Where were you last night?"\n',
        "On-screen text in this scene: EXIT 12\n",
        "The frames are from a 4.0-second scene at 1:02 in the video.",
        "in at most 12 words.",
        "answer exactly SKIP.",
    ]
    positions = [text.find(part) for part in expected]

    assert -1 not in positions, text
    assert positions == sorted(positions)


def test_skip_is_offered_only_after_a_previous_description() -> None:
    first = _user_text(DescribeContext(on_screen_text=("EXIT 12",)))

    assert "SKIP" not in first
    assert "Story so far" not in first and "Characters" not in first
    assert first.startswith("On-screen text in this scene: EXIT 12\n")


def test_template_is_describe_3_with_labels_in_order() -> None:
    template = load_template("describe")

    assert template.version == "describe-3"
    assert list(template.fields("context")) == [
        "synopsis",
        "characters",
        "previous",
        "dialogue",
        "people",
        "on_screen_text",
    ]


@pytest.mark.parametrize(
    ("answer", "skip"),
    [
        ("SKIP", True),
        ("skip.", True),
        (' "SKIP" ', True),
        ("[SKIP]", True),
        ("SKIP - nothing has changed.", True),
        ("Skipping stones, a boy crouches by the lake.", False),
        ("Skip, a small dog, runs in.", False),
        ("A man skips down the street.", False),
        ("", False),
    ],
)
def test_skip_answers(answer: str, skip: bool) -> None:
    assert is_skip(answer) is skip


def test_dialogue_around_picks_the_nearest_lines_in_spoken_order() -> None:
    spans = [
        SpeechSpan(0.0, 2.0, "Far too early."),
        SpeechSpan(30.0, 32.0, "Before the pause."),
        SpeechSpan(36.0, 37.0, None),
        SpeechSpan(41.0, 43.0, "Right after it."),
        SpeechSpan(44.0, 45.0, "And then this."),
        SpeechSpan(90.0, 91.0, "Much later."),
    ]
    gap = Gap(start=33.0, end=40.0, word_budget=18)

    assert dialogue_around(spans, gap) == ("Before the pause.", "Right after it.", "And then this.")
    assert dialogue_around(spans, gap, max_lines=2) == ("Before the pause.", "Right after it.")


def test_dialogue_and_text_are_bounded_per_request() -> None:
    builder = SceneContextBuilder()
    long_line = " ".join(["word"] * 50)
    context = builder.request_context(
        0, on_screen_text=("EXIT 12", "EXIT 12", ""), dialogue=[long_line] + ["Hi."] * 10
    )

    assert context.on_screen_text == ("EXIT 12",)
    assert len(context.dialogue) == 6
    assert context.dialogue[0] == " ".join(["word"] * 30) + " …"


def test_prompt_tokens_estimate_counts_words_punctuation_and_images() -> None:
    conversation = [
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {
            "role": "user",
            "content": [
                {"type": "image", "image": None},
                {"type": "text", "text": "Describe it, please!"},
            ],
        },
    ]
    assert prompt_tokens_estimate(conversation) == 3 + 5
    assert prompt_tokens_estimate(conversation, image_tokens=81) == 3 + 5 + 81
