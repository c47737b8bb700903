"""The offline describer: no VLM, only facts that can be measured from the frames.

It reads the scene's on-screen text (found by OCR earlier in the pipeline) and
states the picture's brightness and dominant colour, and whether the picture
changed from the previous scene. Useful with no model at hand, and as a
baseline: every word it says is true of the pixels. Within a word budget it
keeps whole sentences, on-screen text first (fewer lines of it if need be);
it never cuts a sentence short.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from PIL import Image

from autodescribe.analysis.onscreen_text import is_readable
from autodescribe.backends.describe.base import Capabilities, DescribeRequest, count_words
from autodescribe.backends.describe.passes import WriteRequest
from autodescribe.types import Description
from autodescribe.writing.clean import split_sentences

TEXT_LABEL = "Text on screen: "
SHORT_TEXT_LABEL = "On screen: "

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
        sentences = [] if look == self._previous_look else [look]
        self._previous_look = look
        text = fit_sentences([*sentences, *rest], request.word_budget)
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
        """Notes for two-pass describing: the picture's look and its text, one sentence a line."""
        return ["\n".join(_facts(r)) for r in requests]

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
    return " ".join(w for w in ("a", tone, colour, "picture") if w)


def fit_sentences(sentences: Sequence[str], budget: int) -> str:
    """Whole sentences within `budget` words, in their order; on-screen text gets room first.

    A text sentence that does not fit loses lines from its end, then takes the
    short label; what still does not fit is left out, never cut.
    """
    order = sorted(range(len(sentences)), key=lambda i: not sentences[i].startswith(TEXT_LABEL))
    chosen: dict[int, str] = {}
    room = budget
    for i in order:
        fitting = [c for c in _candidates(sentences[i]) if count_words(c) <= room]
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
