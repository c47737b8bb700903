"""Names: a character gets a name only when the film gives it one.

The rule, source by source:

1. Read on screen. A line of on-screen text that looks like a name caption
   (a lower third, a caption: see `name_on_screen`) names the identity whose
   face is the only face on the keyframe the line was read on. When no face
   was found on that keyframe, it names the scene's only identity, provided no
   keyframe of the scene shows two faces.
2. Heard. A name in a line of dialogue (see `names_heard`) counts for the
   identity present in that line's scene (the scene holding the middle of the
   line) when it is the only identity there not already named on screen. A
   name made of words of a name already given ("Anna" once "ANNA KOWALSKA"
   was read) refers to that person and names nobody else.

Within each source a name goes to the identity with the most evidence for it;
a tie leaves the name unused (a watermark over several people, a name said
to several people in turn). An identity with several names takes the one
with the most evidence, the earliest on a tie. Names read on screen come
first: a caption is put there to name someone, while dialogue also names
people who are absent. A name is never given to two identities.

Everything here is pure: faces are given as identity ids per keyframe.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from autodescribe.types import NameSource, OnScreenText, Scene, SpeechSpan

# Words that are never (part of) a name by themselves. Kept small on purpose:
# words that start sentences or address people ("Come here", "Thank you",
# "Hey", "Sir"), pronouns, days and months, languages, and words of signs and
# credits ("EXIT", "HOTEL", "CHAPTER"). A first name that is also one of these
# words ("Will", "May", "June") is never taken.
STOPWORDS = frozenset(
    """
    i i'm i'll i've i'd me my mine you your yours he him his she her hers we us our
    they them their it its this that these those there here who what why when where how
    which the a an and but or if so then than as at by for from in into of on to with
    is are was were be been am do does did done have has had will would can could shall
    should may might must not no yes yeah yep nope all just now well oh ah uh um hey hi
    hello bye goodbye okay ok please thanks thank sorry excuse wait look listen come go
    let let's get got stop right sure good great fine nice god lord dear honey darling
    morning afternoon evening night goodnight alright actually anyway honestly seriously
    really maybe perhaps wow damn cheers congratulations
    baby man guys everyone everybody nobody somebody someone mom mum mommy mummy dad
    daddy mother father grandma grandpa granny son sir madam ma'am boss chief
    monday tuesday wednesday thursday friday saturday sunday january february march
    april june july august september october november december christmas easter
    english french german spanish italian american british
    exit entrance open closed push pull police hotel bar cafe bank taxi news live
    breaking chapter part episode end fin presents starring directed music credits
    welcome warning danger private sale street road avenue station airport
    north south east west later earlier meanwhile years tv
    """.split()
)
# Titles join the name that follows them ("Dr. Jones", "Aunt May"); alone they name nobody.
TITLES = frozenset(
    "mr mrs ms miss mx dr mister doctor professor prof captain detective officer "
    "sergeant inspector uncle aunt auntie father sister brother lady lord sir".split()
)
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset("mr mrs ms mx dr prof st".split())
_MAX_NAME_WORDS = 3
_MAX_CAPTION_CHARS = 40
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\.\.\.|[.!?…]|[^\w\s]|\d+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_ENDS = frozenset(".!?…") | {"..."}


@dataclass(frozen=True)
class KeyframeFaces:
    """The faces on one keyframe: the identity of each (None for a face in no identity)."""

    scene: int
    time: float
    ids: tuple[str | None, ...]


@dataclass(frozen=True)
class Evidence:
    """The film naming one identity once."""

    ident: str
    name: str
    source: NameSource


def name_on_screen(text: str) -> str | None:
    """The name a line of on-screen text gives, if it looks like a name caption.

    A caption name is the whole line: 1-3 words of letters (inner hyphens and
    apostrophes allowed), each starting with a capital, none a stopword, at
    most 40 characters, a title allowed in front ("ANNA KOWALSKA", "Anna",
    "Jean-Luc O'Neill", "Dr. Anna Kowalska"). Words in capitals are returned
    capitalised ("Anna Kowalska").
    """
    words = text.strip().split()
    if len(text.strip()) > _MAX_CAPTION_CHARS or not words:
        return None
    if not all(_WORD.fullmatch(word.rstrip(".")) and word[0].isupper() for word in words):
        return None
    title = words[:1] if len(words) > 1 and _plain(words[0]) in TITLES else []
    name = words[len(title) :]
    if len(name) > _MAX_NAME_WORDS or any(_plain(w) in STOPWORDS | TITLES for w in name):
        return None
    if (len(name) == 1 and len(name[0]) < 3) or any(w.endswith(".") for w in name):
        return None
    return " ".join(_capitalised(word) if word.isupper() else word for word in title + name)


def names_heard(text: str) -> list[str]:
    """The names said in a line of dialogue, in order, each once.

    A name is a run of 1-3 capitalised words that are not stopwords, with a
    title in front if there is one ("Dr. Jones"). A run that starts a
    sentence counts only when it is two words or more, or stands alone as an
    address ("Anna, come here.", "Anna!"): a capital there may just start the
    sentence ("Grace is here" and "Will you come" name nobody).
    """
    found: list[str] = []
    for words, initial, alone in _runs(_TOKEN.findall(text)):
        for start, name_words in _names_in_run(words):
            plain = [w for w in name_words if _plain(w) not in TITLES]
            if len(plain) > _MAX_NAME_WORDS:
                continue
            if initial and start == 0 and len(name_words) == 1 and not alone:
                continue
            name = " ".join(_possessive(w) for w in name_words)
            if name not in found:
                found.append(name)
    return found


def name_identities(
    scenes: Sequence[Scene],
    keyframes: Sequence[KeyframeFaces],
    texts: Sequence[Sequence[OnScreenText]],
    dialogue: Sequence[SpeechSpan],
) -> dict[str, Evidence]:
    """The name of each identity the film names, with how it was named (see the module rule).

    `texts` holds each scene's on-screen lines, in the order of `scenes`.
    """
    read = _resolve(_read_evidence(scenes, keyframes, texts))
    given = {e.name for e in read.values()}
    heard = [
        e
        for e in _heard_evidence(scenes, keyframes, dialogue, set(read))
        if not _part_of_any(e.name, given)
    ]
    named = dict(read)
    named.update(_resolve(heard))
    return named


def _read_evidence(
    scenes: Sequence[Scene],
    keyframes: Sequence[KeyframeFaces],
    texts: Sequence[Sequence[OnScreenText]],
) -> list[Evidence]:
    by_time = {k.time: k for k in keyframes}
    out: list[Evidence] = []
    for scene, lines in zip(scenes, texts, strict=True):
        for line in lines:
            name = name_on_screen(line.text)
            frame = by_time.get(line.time)
            if frame is not None and frame.ids:
                ident = frame.ids[0] if len(frame.ids) == 1 else None
            else:
                ident = _sole_identity(k for k in keyframes if k.scene == scene.index)
            if name is not None and ident is not None:
                source = NameSource("on screen", line.time, scene.index, line.text)
                out.append(Evidence(ident, name, source))
    return out


def _heard_evidence(
    scenes: Sequence[Scene],
    keyframes: Sequence[KeyframeFaces],
    dialogue: Sequence[SpeechSpan],
    named: set[str],
) -> list[Evidence]:
    present: dict[int, set[str]] = defaultdict(set)
    for frame in keyframes:
        present[frame.scene].update(i for i in frame.ids if i is not None)
    out: list[Evidence] = []
    for span in dialogue:
        scene = _scene_at(scenes, (span.start + span.end) / 2)
        if not span.text or scene is None:
            continue
        candidates = present[scene.index] - named
        if len(candidates) != 1:
            continue
        (ident,) = candidates
        source = NameSource("heard", span.start, scene.index, span.text)
        out.extend(Evidence(ident, name, source) for name in names_heard(span.text))
    return out


def _resolve(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    """Each name to the identity with the most evidence (none on a tie); one name per identity."""
    counts: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for item in evidence:
        counts[item.name][item.ident].append(item)
    offers: list[tuple[int, float, Evidence]] = []
    for per_ident in counts.values():
        ranked = sorted(per_ident.values(), key=len, reverse=True)
        if len(ranked) > 1 and len(ranked[0]) == len(ranked[1]):
            continue  # a tie: the film does not say whose name it is
        first = min(ranked[0], key=lambda e: e.source.time)
        offers.append((len(ranked[0]), first.source.time, first))
    chosen: dict[str, Evidence] = {}
    for _, _, item in sorted(offers, key=lambda o: (-o[0], o[1])):
        chosen.setdefault(item.ident, item)
    return chosen


def _sole_identity(frames: Iterable[KeyframeFaces]) -> str | None:
    """The one identity seen in these keyframes, if none of them shows two faces."""
    seen: set[str | None] = set()
    for frame in frames:
        if len(frame.ids) > 1:
            return None
        seen.update(frame.ids)
    return next(iter(seen)) if len(seen) == 1 else None


def _scene_at(scenes: Sequence[Scene], time: float) -> Scene | None:
    for scene in scenes:
        if scene.start <= time < scene.end:
            return scene
    return scenes[-1] if scenes and time == scenes[-1].end else None


def _part_of_any(name: str, given: Iterable[str]) -> bool:
    """Whether every word of `name` (titles aside) is a word of one of the `given` names."""
    words = {_plain(w) for w in name.split()} - TITLES
    return any(words <= {_plain(w) for w in other.split()} for other in given)


def _runs(tokens: Sequence[str]) -> Iterable[tuple[list[str], bool, bool]]:
    """Runs of adjacent capitalised words: (words, starts a sentence, stands alone).

    A run stands alone when a comma or the end of a sentence follows it.
    """
    initial = True
    run: list[str] = []
    run_initial = False
    for index, token in enumerate(tokens):
        if token == "." and index > 0 and _plain(tokens[index - 1]) in _ABBREVIATIONS:
            continue  # "Mr. Smith": neither a sentence end nor a break in the run
        if _WORD.fullmatch(token) and token[0].isupper():
            if not run:
                run_initial = initial
            run.append(token)
            initial = False
            continue
        if run:
            yield run, run_initial, token in _SENTENCE_ENDS or token in ",;:"
            run = []
        initial = token in _SENTENCE_ENDS
    if run:
        yield run, run_initial, True


def _names_in_run(words: Sequence[str]) -> Iterable[tuple[int, list[str]]]:
    """The candidate names of a run, each with its first word's place in the run.

    The run is split at stopwords; a title stays in front of the name after it.
    """
    start, current = 0, list[str]()
    for index, word in enumerate([*words, "."]):  # the full stop closes the last candidate
        key = _plain(word)
        if key in TITLES or key in STOPWORDS or word == ".":
            if any(_plain(w) not in TITLES for w in current):
                yield start, current
            start, current = index, ([word] if key in TITLES else [])
        else:
            if not current:
                start = index
            current.append(word)


def _plain(word: str) -> str:
    """The word as the stoplists hold it: lower case, no full stop, no "'s" ("That's" -> "that")."""
    plain = word.lower().replace("’", "'").rstrip(".")
    return plain[:-2] if plain.endswith("'s") else plain


def _possessive(word: str) -> str:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _capitalised(word: str) -> str:
    """A word in capitals capitalised: KOWALSKA-NOWAK -> Kowalska-Nowak, O'NEILL -> O'Neill."""
    parts = re.split(r"(['’-])", word.lower())
    return "".join(p[:1].upper() + p[1:] if p not in ("'", "’", "-") else p for p in parts)
