"""A title and a summary from what was read and heard, for when no model can write them.

The script and `NAME.ad.txt` always carry a title and a summary: a reader
choosing a film needs more than its file name. Without a language model they
are assembled from facts only: the first title-like text on screen, the first
words of the dialogue, the length and the number of scenes. Nothing is
invented; every quoted word was on screen or in the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autodescribe.types import OnScreenText, SpeechSpan

_LETTERS = re.compile(r"[^\W\d_]{2,}")
_TITLE_WORDS = 8
_OPENING_SHARE = 0.25  # a title card appears in the first quarter of a film


def facts_title_summary(
    texts: Sequence[OnScreenText],
    dialogue: Sequence[SpeechSpan],
    duration: float,
    scenes: int,
    language: str,
) -> tuple[str, str]:
    """(title, summary) from on-screen text and the transcript; never empty."""
    readable = [t for t in sorted(texts, key=lambda t: t.time) if _LETTERS.search(t.text)]
    spoken = [s.text.strip() for s in dialogue if s.text and s.text.strip()]
    title = _title(readable, spoken, duration)
    if language.split("-")[0].lower() != "en":
        quoted = [f"“{t.text}”" for t in readable[:3]]
        quoted += [f"“{_words(spoken[0], 20)}”"] if spoken else []
        return title, " — ".join(quoted) or title
    parts = [f"A {_length(duration)} video in {scenes} scene{'s' if scenes != 1 else ''}."]
    if readable:
        shown = "; ".join(f"“{t.text}”" for t in _unique(readable)[:4])
        parts.append(f"Text on screen: {shown}.")
    if spoken:
        parts.append(f"The dialogue begins: “{_words(spoken[0], 20)}”")
    else:
        parts.append("There is no dialogue.")
    return title, " ".join(parts)


def _title(readable: Sequence[OnScreenText], spoken: Sequence[str], duration: float) -> str:
    opening = [t for t in readable if t.time <= max(duration * _OPENING_SHARE, 10.0)]
    if opening:
        best = max(opening, key=lambda t: (t.confidence, -t.time))
        return _words(best.text, _TITLE_WORDS)
    if spoken:
        return f"“{_words(spoken[0], _TITLE_WORDS)}”"
    return f"A {_length(duration)} video"


def _words(text: str, count: int) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def _unique(texts: Sequence[OnScreenText]) -> list[OnScreenText]:
    seen: set[str] = set()
    kept = []
    for item in texts:
        key = item.text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _length(duration: float) -> str:
    if duration < 90:
        return f"{max(1, round(duration))}-second"
    minutes = round(duration / 60)
    return f"{minutes}-minute"
