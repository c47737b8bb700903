"""The one path every model answer takes: clean, trim cut-offs, repair, rewrite once, then drop.

A scripted chat describer stands in for the model: it answers each request with
the next answer of its script and records what it was asked, so each test can
say exactly how many extra requests a policy costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from autodescribe.backends.describe.base import (
    ChatDescriber,
    Conversation,
    DescribeRequest,
    Draft,
    finish_answers,
)
from autodescribe.types import Scene
from autodescribe.writing.clean import Answer
from autodescribe.writing.rules import check_text

Reply = str | Callable[[str], str]


class ScriptedDescriber(ChatDescriber):
    """A chat describer whose model answers from a script, in order, and logs each prompt."""

    name: ClassVar[str] = "scripted"
    model_id = "scripted-1"

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.asked: list[tuple[str, int]] = []  # (prompt text, max_new_tokens)

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        out = []
        for conversation in conversations:
            prompt = "\n".join(
                p["text"] for p in conversation[-1]["content"] if p.get("type") == "text"
            )
            self.asked.append((prompt, max_new_tokens))
            reply = self.replies.pop(0)
            out.append(reply(prompt) if callable(reply) else reply)
        return out


def _finish(answer: str, describer: ScriptedDescriber | None = None, budget: int = 20) -> str:
    return finish_answers([Draft(answer, budget, "en", _conversation())], describer)[0]


def _conversation() -> Conversation:
    return [{"role": "user", "content": [{"type": "text", "text": "Describe the scene."}]}]


def test_a_clean_answer_costs_no_request() -> None:
    model = ScriptedDescriber()
    assert _finish("A woman crosses the hall.", model) == "A woman crosses the hall."
    assert model.asked == []


def test_slips_the_repair_can_fix_cost_no_request() -> None:
    model = ScriptedDescriber()
    answer = 'Sure! Here\'s the audio description:\n\n"The image shows a man walking a dog."'
    assert _finish(answer, model) == "A man walks a dog."
    assert model.asked == []


def test_what_the_repair_cannot_fix_gets_one_rewrite_naming_it() -> None:
    model = ScriptedDescriber("A man in a grey coat watches the street.")
    assert _finish("The camera follows a man in a grey coat.", model) == (
        "A man in a grey coat watches the street."
    )
    (prompt, _), *more = model.asked
    assert not more
    assert '"The camera follows"' in prompt and "not the camera" in prompt
    assert "The camera follows a man in a grey coat." in prompt
    assert "at most 20 words" in prompt


def test_a_rewrite_that_still_breaks_a_rule_loses_that_sentence() -> None:
    stubborn = "The camera follows a man. He opens a red door."
    model = ScriptedDescriber(stubborn)
    assert _finish(stubborn, model) == "He opens a red door."
    assert len(model.asked) == 1


def test_a_refused_rewrite_keeps_the_clean_sentences_of_the_first_answer() -> None:
    model = ScriptedDescriber("I'm sorry, I can't help with that.")
    answer = "A woman waits on a platform. She is nervous about the trip."
    assert _finish(answer, model) == "A woman waits on a platform."


def test_without_a_model_offending_sentences_are_dropped() -> None:
    answer = "A woman waits. You can feel her fear. A train arrives."
    assert _finish(answer, None) == "A woman waits. A train arrives."


def test_an_answer_cut_by_the_token_limit_keeps_its_whole_sentences() -> None:
    model = ScriptedDescriber()
    answer = Answer("A man opens the door. He steps into a long", cut_off=True)
    assert _finish(answer, model) == "A man opens the door."
    assert model.asked == []


def test_an_answer_cut_before_its_first_full_stop_is_asked_again_with_more_room() -> None:
    model = ScriptedDescriber(Answer("A man opens the door.", cut_off=False))
    answer = Answer("Sure! Here's the audio description: A man opens", cut_off=True)
    assert _finish(answer, model, budget=8) == "A man opens the door."
    (prompt, tokens), *more = model.asked
    assert prompt == "Describe the scene." and not more
    assert tokens == 2 * model.max_new_tokens(8)


def test_a_model_that_stopped_on_a_fragment_is_not_asked_again() -> None:
    model = ScriptedDescriber()
    assert _finish(Answer("A man opens the", cut_off=False), model) == ""
    assert model.asked == []


@pytest.mark.parametrize(
    "answer", ["", "   ", "I'm sorry, but I can't help with that.", "I cannot describe people."]
)
def test_empty_answers_and_refusals_say_nothing(answer: str) -> None:
    model = ScriptedDescriber()
    assert _finish(answer, model) == ""
    assert model.asked == []


def test_other_languages_are_cleaned_but_not_held_to_the_english_rules() -> None:
    model = ScriptedDescriber()
    draft = Draft('"**Kamera** pokazuje kobietę.\n\nNa stole leży list."', 20, "pl")
    assert finish_answers([draft], model) == ["Kamera pokazuje kobietę. Na stole leży list."]
    assert model.asked == []


def test_rewrites_of_a_batch_go_in_one_call() -> None:
    calls: list[int] = []

    class Counting(ScriptedDescriber):
        def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
            calls.append(len(conversations))
            return super().generate(conversations, max_new_tokens)

    model = Counting("A red room.", "A dog barks.")
    drafts = [
        Draft("The camera lingers on a red room.", 10),
        Draft("A cat sleeps.", 10),
        Draft("The camera shakes as a dog barks.", 10),
    ]
    assert finish_answers(drafts, model) == ["A red room.", "A cat sleeps.", "A dog barks."]
    assert calls == [2]


# --- the chat describer's own paths -----------------------------------------------------------


@pytest.fixture
def frame(tmp_path: Path) -> Path:
    path = tmp_path / "frame.jpg"
    Image.new("RGB", (32, 18), (200, 40, 40)).save(path)
    return path


def _request(frame: Path, index: int, budget: int = 12) -> DescribeRequest:
    scene = Scene(index=index, start=index * 4.0, end=index * 4.0 + 4.0, keyframe_times=(0.0,))
    return DescribeRequest(scene=scene, images=(frame,), image_times=(0.0,), word_budget=budget)


def test_describe_many_finishes_every_answer(frame: Path) -> None:
    model = ScriptedDescriber(
        "**Description:** The camera pans across a red room.",
        "SKIP",
        "I'm unable to view images.",
        "- A man sits\n- He reads a letter",
    )
    results = model.describe_many([_request(frame, i) for i in range(4)])
    assert [(d.text, d.skip) for d in results] == [
        ("A red room.", False),
        ("", True),
        ("", True),
        ("A man sits. He reads a letter.", False),
    ]
    assert len(model.asked) == 4, "nothing here needed a rewrite"


def test_shorten_goes_through_the_same_path() -> None:
    model = ScriptedDescriber('Here\'s a shorter version:\n\n"A man runs."')
    assert model.shorten("A tall man runs down a long wet street at night.", 4, "en") == (
        "A man runs."
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "The Night Shift: A nurse walks a hospital corridor.",
            ("The Night Shift", "A nurse walks a hospital corridor."),
        ),
        (
            "**Summary:** The video shows a nurse walking a corridor.\n**Title:** The Night Shift",
            ("The Night Shift", "A nurse walks a corridor."),
        ),
    ],
)
def test_summaries_are_read_from_any_layout_and_finished(
    answer: str, expected: tuple[str, str]
) -> None:
    model = ScriptedDescriber(answer)
    title, summary = model.summarize("A nurse walks a corridor.", [], "en")
    assert (title, summary) == expected
    assert check_text(summary) == []
