"""The offline describer: no VLM, only facts that can be measured from the frames.

It says who is on screen when the characters stage found faces: how many, who
(the name the film gave, else the kept descriptor), where, and for one person
the shot scale from the face's size ("Close-up of Anna.", "Two people: Anna on
the left, a man on the right."). It reads the scene's on-screen text (found by
OCR earlier in the pipeline) and states the picture's brightness and dominant
colour, and whether the picture changed from the previous scene. Useful with no
model at hand, and as a baseline: every word it says is measured from the
frames. Within a word budget it keeps whole sentences, on-screen text first,
then the people (each in a shorter form if need be); it never cuts a sentence
short.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from PIL import Image

from autodescribe.analysis.onscreen_text import is_readable
from autodescribe.backends.describe.base import Capabilities, DescribeRequest, count_words
from autodescribe.backends.describe.passes import WriteRequest
from autodescribe.types import Description, ScenePerson
from autodescribe.writing.clean import split_sentences

TEXT_LABEL = "Text on screen: "
SHORT_TEXT_LABEL = "On screen: "
NEUTRAL = "a person"  # what the context calls someone with neither name nor descriptor
_SCALES = {"close-up": "Close-up", "medium": "Medium shot", "wide": "Wide shot"}
_PLACES = {"left": "on the left", "centre": "in the centre", "right": "on the right"}
_COUNTS = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
_LISTED = 4  # people named one by one in a sentence at most

_HUES = (
    (15, "red"),
    (40, "orange"),
    (70, "yellow"),
    (160, "green"),
    (200, "cyan"),
    (260, "blue"),
    (300, "purple"),
    (340, "pink"),
    (360, "red"),
)


class BasicDescriber:
    name: ClassVar[str] = "basic"
    capabilities: ClassVar[Capabilities] = Capabilities(max_images=16)
    model_id = "basic-1"

    def __init__(self) -> None:
        self._previous_look: str | None = None

    def describe(self, request: DescribeRequest) -> Description:
        look, *rest = _facts(request)
        people = people_forms(request.context.people)
        sentences = [people[0]] if people else []
        if look != self._previous_look:
            sentences.append(look)
        self._previous_look = look
        text = fit_sentences([*sentences, *rest], request.word_budget, people)
        return Description(
            scene=request.scene.index,
            text=text,
            language=request.language,
            model=self.model_id,
            prompt_version="basic-1",
            skip=not text,
        )

    def describe_many(self, requests: Sequence[DescribeRequest]) -> list[Description]:
        return [self.describe(r) for r in requests]

    def look_many(self, requests: Sequence[DescribeRequest]) -> list[str]:
        """Notes for two-pass describing: who is there, the picture's look and its text, one
        sentence a line."""
        return ["\n".join([*people_forms(r.context.people)[:1], *_facts(r)]) for r in requests]

    def write_line(self, request: WriteRequest) -> str:
        """The line from the notes, mechanically: a look already stated is not said again."""
        said = set(request.previous_notes.splitlines())
        lines = [n for n in request.notes.splitlines() if n.startswith(TEXT_LABEL) or n not in said]
        return fit_sentences(lines, request.word_budget)

    def shorten(self, text: str, word_budget: int, language: str) -> str:
        """Whole sentences of `text` within the budget, on-screen text first; never a fragment."""
        return fit_sentences(split_sentences(text), word_budget)

    def close(self) -> None:
        self._previous_look = None


def _facts(request: DescribeRequest) -> list[str]:
    """The picture's look as a sentence, then its on-screen text as one sentence, if any."""
    look = picture_look([Image.open(p) for p in request.images])
    sentences = [f"{look[0].upper()}{look[1:]}."]
    lines = [t.strip().rstrip(".;:,") for t in request.context.on_screen_text]
    # a line of digits only (a running timecode, a clock) takes far longer to speak than its
    # word count says and rarely matters to the story: only lines with words are read
    lines = [t for t in lines if is_readable(t) and any(c.isalpha() for c in t)]
    if lines:
        sentences.append(TEXT_LABEL + "; ".join(lines) + ".")
    return sentences


def picture_look(images: Sequence[Image.Image]) -> str:
    """'a dark blue picture', from the mean brightness and the dominant saturated hue."""
    hsv = np.concatenate(
        [
            np.asarray(im.convert("RGB").resize((64, 36)).convert("HSV")).reshape(-1, 3)
            for im in images
        ]
    ).astype(np.float32)
    value = hsv[:, 2].mean() / 255
    tone = "dark" if value < 0.3 else "bright" if value > 0.7 else "dim" if value < 0.45 else ""
    saturated = hsv[hsv[:, 1] > 80]
    if len(saturated) < 0.2 * len(hsv):
        colour = "grey"
    else:
        degrees = (
            np.bincount((saturated[:, 0] * 360 / 256).astype(int) // 10, minlength=36).argmax() * 10
            + 5
        )
        colour = next(name for limit, name in _HUES if degrees < limit)
    words = [w for w in (tone, colour, "picture") if w]
    return " ".join(["an" if words[0][0] in "aeiou" else "a", *words])


def people_forms(people: Sequence[ScenePerson]) -> list[str]:
    """The sentence saying who is on screen, then shorter forms of it; none for nobody.

    One person: the shot scale, who, and where unless centred ("Medium shot of
    Joe on the right."). Several: how many, then who is where, left to right
    ("Two people: Anna on the left, a man on the right."); someone with neither
    name nor descriptor is "someone", and when nobody is known only the count
    is said.
    """
    if not people:
        return []
    if len(people) == 1:
        (person,) = people
        scale, place = _SCALES[person.shot_scale], _PLACES[person.position]
        full = f"{scale} of {person.label}."
        if person.position == "centre":
            return [full]
        return [f"{full[:-1]} {place}.", full]
    count = _COUNTS[len(people)] if len(people) < len(_COUNTS) else str(len(people))
    bare = f"{count} people."
    if all(p.label == NEUTRAL for p in people):
        return [bare]
    shown = people[:_LISTED]
    who = ["someone" if p.label == NEUTRAL else p.label for p in shown]
    placed = ", ".join(f"{w} {_PLACES[p.position]}" for w, p in zip(who, shown, strict=True))
    listed = ", ".join(who[:-1]) + " and " + who[-1]
    return [f"{count} people: {placed}.", f"{count} people: {listed}.", bare]


def fit_sentences(sentences: Sequence[str], budget: int, people: Sequence[str] = ()) -> str:
    """Whole sentences within `budget` words, in their order; on-screen text, then people first.

    Text read on screen gets room first: it is read verbatim, and a name
    caption says who someone is by itself. `people` holds the forms of the
    people sentence, longest first (see `people_forms`); that sentence, when
    among `sentences`, comes next and takes the longest form that fits. A text
    sentence that does not fit loses lines from its end, then takes the short
    label; what still does not fit is left out, never cut.
    """

    def rank(i: int) -> int:
        if sentences[i].startswith(TEXT_LABEL):
            return 0
        return 1 if people and sentences[i] == people[0] else 2

    order = sorted(range(len(sentences)), key=rank)
    chosen: dict[int, str] = {}
    room = budget
    for i in order:
        forms = list(people) if rank(i) == 1 else _candidates(sentences[i])
        fitting = [c for c in forms if count_words(c) <= room]
        if fitting:
            chosen[i] = fitting[0]
            room -= count_words(fitting[0])
    return " ".join(chosen[i] for i in sorted(chosen))


def _candidates(sentence: str) -> list[str]:
    """The sentence, and for on-screen text its shorter forms, longest first."""
    if not sentence.startswith(TEXT_LABEL):
        return [sentence]
    lines = sentence.removeprefix(TEXT_LABEL).rstrip(".").split("; ")
    longest_first = [TEXT_LABEL + "; ".join(lines[:n]) + "." for n in range(len(lines), 0, -1)]
    return [*longest_first, SHORT_TEXT_LABEL + lines[0] + "."]
