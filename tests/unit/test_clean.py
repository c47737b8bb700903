"""Answer cleaning, step by step: markdown, labels, lists, quotes, chatter, the medium, cut-offs."""

from __future__ import annotations

import pytest

from autodescribe.backends.describe.base import clean_title, parse_title_summary
from autodescribe.writing.clean import (
    Answer,
    clean_answer,
    complete_sentences,
    is_first_person,
    is_fragment,
    is_refusal,
    lists_to_prose,
    split_sentences,
    strip_labels,
    strip_markdown,
    unwrap_quotes,
    within_budget,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("**A man** waits by a *red* door.", "A man waits by a red door."),
        ("### The street\nA bus stops.", "The street\nA bus stops."),
        ("```\nA bus stops.\n```", "\nA bus stops.\n"),
        ("A [bus](http://x.test/bus) stops.", "A bus stops."),
        ("***Night.*** `A bus` stops.", "Night. A bus stops."),
        ("> A bus stops.\n---", "A bus stops.\n"),
    ],
)
def test_markdown_is_taken_off(raw: str, clean: str) -> None:
    assert strip_markdown(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Description: A man runs.", "A man runs."),
        ("Audio description (12 words): A man runs.", "A man runs."),
        ("Scene 2 (0:04-0:08): A car stops.", "A car stops."),
        ("Shortened version: A car stops.", "A car stops."),
        ("Audio Description\nA car stops.", "\nA car stops."),
        ("Text on screen: EXIT 12.", "Text on screen: EXIT 12."),  # on-screen text is no label
    ],
)
def test_labels_are_taken_off(raw: str, clean: str) -> None:
    assert strip_labels(raw) == clean


def test_lists_become_sentences() -> None:
    assert lists_to_prose("- a man enters\n- he sits down") == "A man enters.\nHe sits down."
    numbered = "The frames show:\n1. A woman waits.\n2) A bus arrives"
    assert lists_to_prose(numbered) == "A woman waits.\nA bus arrives."


def test_layout_keys_go_and_commentary_items_are_dropped() -> None:
    laid_out = "- Setting: a dim kitchen\n- Mood: tense\n- Camera: close-up\n- Text: OPEN"
    assert lists_to_prose(laid_out) == "A dim kitchen.\nText on screen: OPEN."
    assert clean_answer("Setting: A bar. Action: A man drinks. Mood: Quiet.") == (
        "A bar. A man drinks."
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('"A man waits."', "A man waits."),
        ("“A man waits.”", "A man waits."),
        ('"A man waits".', "A man waits."),
        ("'A man’s hat blows away.'", "A man’s hat blows away."),
        ('"EXIT" glows above a door.', '"EXIT" glows above a door.'),
        ('"Stop," she says. "Now."', '"Stop," she says. "Now."'),
    ],
)
def test_only_wrapping_quotes_go(raw: str, clean: str) -> None:
    assert unwrap_quotes(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('Sure! Here\'s the audio description:\n\n"A bus stops."', "A bus stops."),
        ("Certainly. Below is a description of the scene:\nA bus stops.", "A bus stops."),
        ("Here is the audio description.\n\nA bus stops.", "A bus stops."),
        ("A bus stops. I hope this helps! Let me know if you need more.", "A bus stops."),
        ("A bus stops. (3 words)", "A bus stops."),
        ("A bus stops.\n\nNote: I kept it under the budget.", "A bus stops."),
        ("<think>Frames: a bus.</think>A bus stops.", "A bus stops."),
        ("Based on the frames provided, a bus stops.", "A bus stops."),
        ("In the images provided, a bus stops.", "A bus stops."),
    ],
)
def test_chatter_goes(raw: str, clean: str) -> None:
    assert clean_answer(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("The scene is set in a dimly lit bar.", "A dimly lit bar."),
        (
            "The camera pans across a red room. A sofa faces the fire.",
            "A red room. A sofa faces the fire.",
        ),
        ("Then the camera zooms in on a woman's face.", "A woman's face."),
        ("The video then transitions to a beach.", "A beach."),
        ("A man sits alone.\n\nThe overall mood is tense and quiet.", "A man sits alone."),
        ("A woman sits on a bench, creating a sense of calm.", "A woman sits on a bench."),
        ("Rain falls. This creates a melancholic atmosphere.", "Rain falls."),
    ],
)
def test_the_medium_and_commentary_go(raw: str, clean: str) -> None:
    assert clean_answer(raw) == clean


def test_text_in_other_languages_is_left_as_it_is() -> None:
    reversed_words = "[pl] hall. station empty the crosses coat red a in woman A"
    assert clean_answer(reversed_words) == reversed_words
    assert clean_answer("**Opis:** Kobieta w czerwonym płaszczu idzie.") == (
        "Opis: Kobieta w czerwonym płaszczu idzie."
    )


def test_two_paragraphs_become_one_line() -> None:
    assert clean_answer("A bus stops.\n\nA man gets off.") == "A bus stops. A man gets off."


def test_refusals_and_first_person() -> None:
    assert is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("I cannot identify people in images. Sorry.")
    assert is_refusal("As an AI, I cannot see the video.")
    assert not is_refusal("A man waits. I LOVE NY is printed on his shirt.")
    assert not is_refusal("")
    assert is_first_person("I can't see the face, but a man waits.")
    assert not is_first_person("Inside, a man waits.")


def test_sentences_split_outside_on_screen_text_and_abbreviations() -> None:
    text = (
        'Dr. Chen waits. A sign reads "EXIT." She says "Stop!" and runs. Text on screen: St. Ives.'
    )
    assert split_sentences(text) == [
        "Dr. Chen waits.",
        'A sign reads "EXIT."',
        'She says "Stop!" and runs.',
        "Text on screen: St. Ives.",
    ]


@pytest.mark.parametrize(
    ("sentence", "fragment"),
    [
        ("A man walks into the", True),
        ("A man walks into the.", True),
        ("Text on screen.", True),
        ("Text on screen", True),
        ("A woman holds a sign and", True),
        ('A sign reads "OPEN', True),
        ("A man, a woman,", True),
        ("Night.", False),
        ("A crowded market.", False),
        ("He runs as fast as he can.", False),
        ("She nods at him.", False),
        ('A sign reads "OPEN."', False),
    ],
)
def test_fragments(sentence: str, fragment: bool) -> None:
    assert is_fragment(sentence) is fragment


def test_cut_off_answers_keep_their_whole_sentences() -> None:
    text = "A man opens the door. He walks into the"
    assert complete_sentences(text) == "A man opens the door."
    assert complete_sentences("A man opens the door. He waves", cut_off=True) == (
        "A man opens the door."
    )
    assert complete_sentences("A man opens the door. He waves", cut_off=False) == (
        "A man opens the door. He waves."
    )
    assert complete_sentences("A man opens the door. He waves") == "A man opens the door. He waves."
    assert complete_sentences("A man opens the") == ""
    assert complete_sentences("A dark blue picture. Text on screen.") == "A dark blue picture."


def test_answers_remember_whether_the_token_limit_cut_them() -> None:
    answer = Answer("A man opens", cut_off=True)
    assert answer == "A man opens" and answer.cut_off is True
    assert Answer("A man.").cut_off is None


def test_within_budget_keeps_whole_leading_sentences() -> None:
    text = "A woman runs. She jumps a low fence. A dog follows."
    assert within_budget(text, 3) == "A woman runs."
    assert within_budget(text, 9) == "A woman runs. She jumps a low fence."
    assert within_budget(text, 2) == ""


@pytest.mark.parametrize(
    "answer",
    [
        "Title: Morning Commute\nSummary: A woman crosses a station hall.",
        "**Title:** Morning Commute\n\n**Summary:** A woman crosses a station hall.",
        "Summary: A woman crosses a station hall.\nTitle: Morning Commute",
        "Title: Morning Commute Summary: A woman crosses a station hall.",
        "Morning Commute: A woman crosses a station hall.",
        "Morning Commute - A woman crosses a station hall.",
        "# Morning Commute\n\nA woman crosses a station hall.",
        'Sure! Here is a title and summary:\n\nTitle: "Morning Commute"\n'
        "Summary: A woman crosses a station hall.",
        "Morning Commute\nA woman crosses\na station hall.",
        "Morning Commute. A woman crosses a station hall.",
        "1. Title: Morning Commute\n2. Summary: A woman crosses a station hall.",
    ],
)
def test_title_and_summary_in_any_layout(answer: str) -> None:
    assert parse_title_summary(answer) == ("Morning Commute", "A woman crosses a station hall.")


def test_a_summary_alone_has_no_title() -> None:
    one = "A woman in a red coat crosses an empty station hall and boards a waiting train."
    assert parse_title_summary(one) == ("", one)
    assert parse_title_summary("  ") == ("", "")


def test_titles_are_cleaned() -> None:
    assert clean_title('**"The Last Train."**') == "The Last Train"
    assert clean_title("I'm sorry, I can't title this.") == ""


def test_control_characters_never_reach_a_cue() -> None:
    """Random or broken samplers emit backspaces, zero-width spaces and odd line breaks."""
    assert clean_answer("A man\x08 walks\tin.\u200b") == "A man walks in."
    assert clean_answer("A red door.\u2028A man waits.") == "A red door. A man waits."
    assert clean_answer("\ufeffRain\x00 falls.") == "Rain falls."
