"""Choosing among several lines written for one scene.

Each candidate has already been through the one cleaning path; here they are
ranked by what a describer would check: it breaks no writing rule, it fits the
word budget, it does not say again what the previous lines said (sentence
similarity), and it reads the scene's on-screen text. Ties keep the model's
own order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autodescribe.writing.rules import check_text
from autodescribe.writing.similarity import REPEAT, similarities


@dataclass(frozen=True)
class Ranked:
    text: str
    clean: bool
    fits: bool
    repeat: float  # highest similarity to a previous line
    reads: int  # on-screen lines it reads

    def key(self) -> tuple[bool, bool, bool, int, float]:
        return (self.clean, self.fits, self.repeat < REPEAT, self.reads, -self.repeat)


def rank(
    texts: Sequence[str], budget: int, previous: Sequence[str], on_screen: Sequence[str]
) -> list[Ranked]:
    """The distinct, non-empty candidates, best first."""
    distinct = list(dict.fromkeys(t for t in texts if t.strip()))
    repeats = similarities(distinct, previous) if len(distinct) > 1 else [0.0] * len(distinct)
    ranked = [
        Ranked(
            text=text,
            clean=not check_text(text),
            fits=len(text.split()) <= budget,
            repeat=round(repeat, 3),
            reads=sum(_reads(text, line) for line in on_screen),
        )
        for text, repeat in zip(distinct, repeats, strict=True)
    ]
    return sorted(ranked, key=lambda r: r.key(), reverse=True)  # stable: the model's order on ties


def _reads(text: str, line: str) -> bool:
    """Whether `text` reads the on-screen `line` (its words, in order, case aside)."""
    words = re.findall(r"\w+", line.lower())
    return bool(words) and re.search(r"\W+".join(map(re.escape, words)), text.lower()) is not None
