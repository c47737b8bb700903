"""How fast narration is spoken: syllables per second, the one measure `fit` and `check` share.

Words per second is unfair to short and to monosyllabic cues: "A man in a grey
coat opens the door" is 4.1 words/s at Piper's natural pace, yet sounds
ordinary, while "Close-up of Anna." is 2.7 words/s and sounds quick. Syllables
per second tracks what a listener hears. Syllables are counted with a
vowel-group heuristic (English silent e, hyphenated parts separately), numbers
as their spoken English words, and one per character in scripts without
spaces (Chinese, Japanese); it is an estimate, good to about one syllable in
ten on English narration.

The pace is measured over the cue's audio as written (its whole length), so
the voice stage and `check` read the same number off the same file.

Thresholds: published audio-description practice is 150-190 words a minute,
about 3.5-4.5 syllables/s. The fit stage keeps every cue at or under
`TARGET_SYLLABLES_PER_SECOND`, slowing a fast voice down and never speeding one
up past it; `check` warns above `WARN_SYLLABLES_PER_SECOND` and fails above
`MAX_SYLLABLES_PER_SECOND`, so our own output passes with a margin for the
voice's inexact speed control.
"""

from __future__ import annotations

import re

TARGET_SYLLABLES_PER_SECOND = 5.0  # the fit stage's ceiling
WARN_SYLLABLES_PER_SECOND = 5.5  # check warns above this
MAX_SYLLABLES_PER_SECOND = 6.0  # check fails above this

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_VOWELS = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœąęıįųůő]+", re.IGNORECASE)
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_ONES = (0, 1, 1, 1, 1, 1, 1, 2, 1, 1)  # syllables of zero..nine ("zero" counted apart)
_TEENS = (1, 3, 1, 2, 2, 2, 2, 3, 2, 2)  # ten..nineteen
_TENS = (0, 0, 2, 2, 2, 2, 2, 3, 2, 2)  # twenty..ninety


def syllables(text: str) -> int:
    """Estimated spoken syllables of `text`."""
    total = 0
    for token in _TOKEN.findall(text):
        if token.isdigit():
            total += _number_syllables(int(token)) if len(token) <= 9 else len(token)
        elif _UNSPACED.search(token):
            total += len(token)
        else:
            total += sum(_word_syllables(part) for part in token.split("-") if part)
    return total


def syllables_per_second(text: str, seconds: float) -> float:
    """The pace of `text` spoken in `seconds`; 0 when there is no time to measure."""
    return round(syllables(text) / seconds, 2) if seconds > 0 else 0.0


def _word_syllables(word: str) -> int:
    lower = word.lower()
    groups = len(_VOWELS.findall(lower))
    if groups > 1 and lower.endswith("e") and not lower.endswith(("le", "ee", "ye")):
        groups -= 1  # silent final e: "close", "twice", "grape"
    return max(1, groups)


def _number_syllables(value: int) -> int:
    """Syllables of `value` read out in English ("1984" as "one thousand nine hundred...")."""
    if value == 0:
        return 2
    total = 0
    for scale, name_syllables in ((1_000_000, 2), (1_000, 2), (1, 0)):
        chunk, value = divmod(value, scale)
        if chunk:
            total += _below_thousand(chunk) + name_syllables
    return total


def _below_thousand(value: int) -> int:
    hundreds, rest = divmod(value, 100)
    total = _ONES[hundreds] + 2 if hundreds else 0
    tens, ones = divmod(rest, 10)
    if tens == 1:
        return total + _TEENS[ones]
    return total + _TENS[tens] + _ONES[ones]
