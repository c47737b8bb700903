"""Answer cleaning: what a model wraps around a description, taken off.

`clean_answer` removes what any answer may carry (surrounding quotes, a
"Description:" label, line breaks and runs of spaces), `is_skip` recognises an answer saying that
nothing new needs describing, and `strip_chatter` cuts a lead-in such as
"Sure! Here is the description:". The writing rules (`writing.rules`) list
chatter as their "meta" rule and repair it with `strip_chatter`.

On-screen text is read verbatim and may well say "YOU" or "HAPPY": quoted
text, ALL-CAPS runs and whatever follows "Text on screen:" are masked before
any pattern looks at a sentence, and edits made with `masked_edits` never
touch them. The writing rules build their repairs from the same pieces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Edit = Callable[[re.Match[str], str], str]
_MASK = "\x00"  # neither a word character nor whitespace, so patterns cannot match across it
SENTENCE_START = r"(?:^|(?<=[.!?]\s))"  # the start of the text or of a sentence (re.M: a line)

# --- masking on-screen text ----------------------------------------------------------------

_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|(?<!\w)'[^'\n]+'(?!\w)")
_CAPS = re.compile(r"\b[A-Z][A-Z0-9'’]+(?:[\s,]+[A-Z0-9][A-Z0-9'’]*)*\b")
_ON_SCREEN = re.compile(
    r"\b(?:text on screen|on-screen text|on screen|caption|title|subtitle|sign)\s*:"
    r"(?P<text>[^\n]*?)(?=[.!?](?:\s|$)|$)",
    re.I,
)


def mask_on_screen_text(text: str) -> str:
    """`text` with quoted and on-screen words blanked out, same length so spans still index it."""
    chars = list(text)
    spans = [m.span() for p in (_QUOTED, _CAPS) for m in p.finditer(text)]
    spans += [m.span("text") for m in _ON_SCREEN.finditer(text)]
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


# --- edits that leave on-screen text alone ------------------------------------------------


def masked_edits(*steps: tuple[str, Edit | str]) -> Callable[[str], str]:
    """A repair: each (regex, replacement) in turn, matched only outside masked text."""
    compiled = [(re.compile(pattern, re.I | re.M), edit) for pattern, edit in steps]

    def fix(text: str) -> str:
        for pattern, edit in compiled:
            pieces, last = [], 0
            for m in pattern.finditer(mask_on_screen_text(text)):
                pieces += [text[last : m.start()], edit(m, text) if callable(edit) else edit]
                last = m.end()
            text = "".join(pieces) + text[last:]
        return text

    return fix


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence_opening(prefix: str) -> str:
    """A regex for `prefix` opening a sentence, with the letter after it (to capitalise)."""
    return rf"{SENTENCE_START}(?P<drop>{prefix})(?P<rest>[a-z]?)"


def drop_and_capitalise(m: re.Match[str], text: str) -> str:
    """For a `sentence_opening` match: "drop" is cut, "rest" (one letter) capitalised."""
    return capitalise(text[m.end("drop") : m.end()])


def tidy(text: str) -> str:
    """Spacing and punctuation left over after a phrase was cut out."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*([.!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return text.strip()


# --- chatter around the description -------------------------------------------------------

_LEAD_IN = (
    r"(?:(?:sure|certainly|of\s+course|okay|ok)\b[,!.]?\s*)?"
    r"(?:here(?:'s|’s|\s+is|\s+are)\b[^:\n]{0,80}:|(?:audio[- ])?description\s*:)"
)
_OPENER = r"(?:sure|certainly|of\s+course|okay)\b[,!.]"

# Anywhere in a script (the "meta" writing rule reports it) ...
CHATTER = re.compile(
    rf"^\s*{_LEAD_IN}|^\s*{_OPENER}"
    r"|\b(?:audio[- ])?description\s*:|\baudio[- ]descri(?:ption|bed|ber)s?\b"
    rf"|{SENTENCE_START}here(?:'s|’s|\s+is|\s+are)\b"
    r"|\bas\s+an\s+ai\b|\bi\s+hope\s+this\s+helps\b",
    re.I | re.M,
)
# ... but only a lead-in opening a sentence is safe to cut.
strip_chatter = masked_edits(
    (sentence_opening(rf"\s*(?:{_LEAD_IN}|{_OPENER})\s*"), drop_and_capitalise)
)


# --- the answer as a whole ----------------------------------------------------------------


def clean_answer(text: str) -> str:
    """Strip surrounding quotes and a description label; whitespace runs become one space."""
    text = text.strip().strip('"').strip()
    text = re.sub(r"^(description|audio description)\s*:\s*", "", text, flags=re.I)
    text = re.sub(r"\s+", " ", text)
    return text


def is_skip(answer: str) -> bool:
    """True when a model answered SKIP (nothing new to describe) instead of a description.

    "SKIP", "skip.", "[SKIP]" and "SKIP - nothing changed" count; a description
    that merely starts with a word like "Skipping" or "Skip, a dog," does not.
    """
    text = answer.strip().strip("\"'`*[]() ")
    return bool(re.fullmatch(r"skip\W*", text, re.IGNORECASE) or re.match(r"SKIP\b", text))
