"""Audio-description writing rules: one table, checked and repaired after generation.

The same table serves the describe stage (repair what a model wrote), the
`check` command (report what is left in anyone's script) and the prompt (which
states the rules up front). Every rule is a regex or a small function over
plain text, so a script can be checked anywhere without a model.

On-screen text is read verbatim and may well say "YOU" or "HAPPY": every rule
looks at text masked by `writing.clean.mask_on_screen_text`, and repairs are
`masked_edits`, which never touch it. Chatter around an answer ("Here is the
description:") is cleaning's to define and cut; here it is the "meta" rule.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import takewhile

from autodescribe.writing.clean import (
    CHATTER,
    SENTENCE_START,
    capitalise,
    drop_and_capitalise,
    mask_on_screen_text,
    masked_edits,
    sentence_opening,
    strip_chatter,
    tidy,
)

log = logging.getLogger(__name__)

Span = tuple[int, int]
# One repair can expose another ("In this scene, we see ..."): repeat to a fixed point.
_MAX_ROUNDS = 4


class Severity(str, Enum):
    ERROR = "error"  # phrasing a description must never contain
    WARNING = "warning"  # a heuristic or a judgement call: worth a human look


@dataclass(frozen=True)
class Violation:
    rule: str
    span: Span  # character offsets into the checked text
    message: str
    severity: Severity


@dataclass(frozen=True)
class Rule:
    """One writing rule: how to find it (a regex or a function) and, if safe, how to fix it."""

    id: str
    catches: str
    advice: str
    severity: Severity
    pattern: re.Pattern[str] | None = None
    finder: Callable[[str], Iterator[Span]] | None = None
    fix: Callable[[str], str] | None = None

    def spans(self, masked: str) -> Iterator[Span]:
        if self.pattern is not None:
            yield from (m.span() for m in self.pattern.finditer(masked))
        if self.finder is not None:
            yield from self.finder(masked)


@dataclass(frozen=True)
class RepairResult:
    text: str
    fixed: list[str]  # ids of the rules whose repair changed the text
    remaining: list[Violation]  # what still needs a human or a regeneration


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- a small lexicon of action verbs, with forms derived from the base -------------------

_VERBS = _words(
    """walk run look turn open close smile nod sit stand hold take give pick pull push grab drop
    throw catch reach hand point wave kiss hug laugh cry shout whisper say ask answer enter
    leave step jump climb fall drive ride write eat drink sleep wake watch glance stare
    move raise lift lower shake kick knock fire shoot stop start begin go come get make
    find carry wear sing dance play swim fly hide rush hurry race chase follow lead check
    type pour cook wipe wash clean tie lean kneel crouch bend rise sigh frown grin blink
    wink shrug scream yell call pocket slip slide pace wait search press pass touch stroke
    pat tap fold hang sway spin roll crawl land pause stumble trip lock unlock light smoke
    sip gaze peer squint shiver tremble struggle fight punch grip clutch squeeze sink float
    burn ring stir talk speak listen count examine study use place adjust fix load aim
    arrive approach cross return escape emerge disappear tiptoe stagger storm march dash
    sprint jog hop skip drag toss hurl slam shove bang flip scroll dial cheer clap"""
)
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in """run:ran sit:sat stand:stood hold:held take:took give:gave throw:threw
    catch:caught say:said leave:left fall:fell drive:drove ride:rode write:wrote eat:ate
    drink:drank sleep:slept wake:woke shake:shook shoot:shot begin:began go:went come:came
    get:got make:made find:found wear:wore sing:sang swim:swam fly:flew hide:hid lead:led
    kneel:knelt bend:bent rise:rose slide:slid hang:hung sink:sank ring:rang speak:spoke
    light:lit spin:spun fight:fought""".split()
)
_IRREGULAR_THIRD = {"have": "has", "be": "is", "do": "does", "go": "goes"}
_DOUBLING = re.compile(r"[^aeiou]*[aeiou][bdgklmnprtvz]")  # run -> running, nod -> nodded


def third_person(base: str) -> str:
    """'walk' -> 'walks', 'watch' -> 'watches', 'hurry' -> 'hurries'."""
    if base in _IRREGULAR_THIRD:
        return _IRREGULAR_THIRD[base]
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and base[-2:-1] not in ("a", "e", "i", "o", "u"):
        return base[:-1] + "ies"
    return base + "s"


def _inflect(base: str, ending: str) -> str:
    """'-ing' or '-ed' form: 'run' -> 'running', 'tie' -> 'tying', 'hurry' -> 'hurried'."""
    if ending == "ed" and base in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[base]
    if ending == "ing" and base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and (ending == "ed" or not base.endswith(("ee", "ye", "oe"))):
        return base[:-1] + ending
    if ending == "ed" and base.endswith("y") and base[-2:-1] not in ("a", "e", "i", "o", "u"):
        return base[:-1] + "ied"
    doubles = base == "begin" or _DOUBLING.fullmatch(base) is not None
    return base + (base[-1] if doubles else "") + ending


_ING_TO_BASE = {_inflect(v, "ing"): v for v in _VERBS}
_THIRD_FORMS = frozenset(third_person(v) for v in _VERBS)
# Irregular pasts that are never participles: past tense wherever they stand as verbs.
_PAST_ONLY = _words(
    """went came ran took gave ate drank began drove rode wrote threw grew knew spoke woke flew
    swam sang rang broke chose froze stole tore wore shook sank forgot hid fell saw was were did
    had"""
)
# Pasts that double as participles or adjectives ("a closed door"): past only after a subject.
_PAST_FORMS = frozenset(_inflect(v, "ed") for v in _VERBS) - _PAST_ONLY - frozenset(_VERBS)

# --- word classes ------------------------------------------------------------------------

_DETERMINERS = _words(
    """a an the this that these those his her their its my our your one two three four five
    six seven eight nine ten several many some each every another both"""
)
_PREPOSITIONS = _words(
    """in on at with by near under behind beside beneath above below from of into onto inside
    outside across through toward towards against along around over between among for to"""
)
_BE_HAVE = _words("is are was were be been being am has have had do does did")
_CLAUSE_WORDS = _words("and but or then while as when until before after because so")
_OTHER_FUNCTION = """not no there here it he she they we you who which what i upstairs downstairs
    inside outside nearby overhead meanwhile later now still again once"""
_FUNCTION = _DETERMINERS | _PREPOSITIONS | _BE_HAVE | _CLAUSE_WORDS | _words(_OTHER_FUNCTION)
_NOT_IN_SUBJECT = _FUNCTION - _DETERMINERS - _PREPOSITIONS - {"and", "it"}
_BREAK = re.compile(r"[,;:()\"“]")
_OBJECT_TO_SUBJECT = {"him": ("he", 0), "her": ("she", 0), "them": ("they", 1), "it": ("it", 0)}
_PEOPLE = _words("man woman boy girl child kid person people men women children boys girls kids")
_NOMINATIVE = _words("he she they we i who")
_SINGULAR_DET = _words("a an one another each every this that")
_PLURAL_DET = _words("two three four five six seven eight nine ten several many few these those")
_PLURAL_NOUNS = _words("people men women children police feet teeth mice geese cattle")

_TOKEN = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_GENERIC_ED = re.compile(r"[a-z]{2,}[^e\W]ed")  # 'tiptoed', 'hurried'; not 'need' or 'shed'

# --- turning "a woman opening a door" into "a woman opens a door" --------------------------


def _plural(subject: list[str]) -> bool | None:
    """Whether a noun phrase is plural; None when its number is not clear from its words."""
    head = [w for w in takewhile(lambda w: w.lower() not in _PREPOSITIONS, subject)]
    lowered = [w.lower() for w in head]
    if not head or lowered[-1].endswith(("'s", "’s")) or "with" in map(str.lower, subject):
        return None  # "a kitchen with a woman cooking": the verb is not the head's
    if re.fullmatch(r"close-?ups?|views?|shots?|glimpses?|images?|pictures?", lowered[-1]):
        return None  # "a close-up of a hand holding a pen" names a picture, not who acts
    if "and" in lowered or lowered[0] in _PLURAL_DET or lowered[0].isdigit():
        return True
    if lowered[0] in _SINGULAR_DET or all(w[:1].isupper() for w in head):
        return False
    noun = lowered[-1]
    return noun in _PLURAL_NOUNS or (noun.endswith("s") and not noun.endswith(("ss", "us", "is")))


def make_finite(clause: str, max_subject: int = 8) -> str | None:
    """'a woman opening a door' -> 'a woman opens a door'; None where that is not clearly safe.

    Dropping "We see" leaves a participle where the verb belongs. Known action
    verbs after a subject of clear number are conjugated; callers keep the
    fragment otherwise ("A glittering ring."), which is still good AD.
    """
    words = list(_TOKEN.finditer(clause))
    for i, word in enumerate(words[: max_subject + 1]):
        if word.group().lower() in _NOT_IN_SUBJECT or _BREAK.search(clause, 0, word.start()):
            return None  # already finite ("a man who is running"), or not one noun phrase
        if i and _verb_after_subject(words, i):
            return _conjugate(clause, words, i)
    return None


def _verb_after_subject(words: list[re.Match[str]], i: int) -> bool:
    word, before, first = words[i].group(), words[i - 1].group().lower(), words[0].group()
    named = first[:1].isupper() and first.lower() not in _FUNCTION
    if (i == 1 and (named or first.lower() in _OBJECT_TO_SUBJECT)) or before in _PEOPLE:
        return word in _ING_TO_BASE or word in _VERBS  # "him run", "a man run"
    return word in _ING_TO_BASE and before not in _DETERMINERS | _PREPOSITIONS


def _conjugate(clause: str, words: list[re.Match[str]], first: int) -> str | None:
    """Conjugate the verb at `first`, and those joined to it by 'and' or 'then'."""
    subject = [w.group() for w in words[:first]]
    pronoun = _OBJECT_TO_SUBJECT.get(subject[0].lower()) if first == 1 else None
    plural = bool(pronoun[1]) if pronoun else _plural(subject)
    if plural is None:
        return None
    edits = [(words[0].span(), pronoun[0])] if pronoun else []
    bare = words[first].group() not in _ING_TO_BASE
    for i in range(first, len(words)):
        word = words[i].group()
        if i != first and words[i - 1].group() not in ("and", "then"):
            continue
        base = word if bare and word in _VERBS else _ING_TO_BASE.get(word)
        if base:
            edits.append((words[i].span(), base if plural else third_person(base)))
    for (start, end), new in sorted(edits, reverse=True):
        clause = clause[:start] + new + clause[end:]
    return clause


# After "We see", these leave no sentence: "him.", "her at the window", "how to tie a tie".
_NO_SUBJECT = re.compile(
    rf"\s*(?:how|what|why|where|when|whether|to|him|them)\b"
    rf"|\s*her\s*(?:$|[.!?]|(?:{'|'.join(_PREPOSITIONS | _CLAUSE_WORDS)})\b)",
    re.I,
)


def _drop_then_finite(m: re.Match[str], text: str) -> str:
    rest = text[m.end("drop") : m.end()]
    finite = make_finite(rest)
    if finite is None and _NO_SUBJECT.match(rest):
        return text[m.start() : m.end()]
    lead = m.group("lead") or ""
    return lead + (finite or rest) if lead else capitalise(finite or rest)


def _unseen(m: re.Match[str], text: str) -> str:
    """'A man can be seen walking' -> 'A man walks'."""
    clause = text[m.start("subject") : m.end("subject")] + text[m.start("rest") : m.end()]
    return make_finite(clause) or clause


# --- past tense ------------------------------------------------------------------------------


def _past_tense_spans(masked: str) -> Iterator[Span]:
    for sentence in _SENTENCE.finditer(masked):
        tokens = list(_TOKEN.finditer(masked, sentence.start(), sentence.end()))
        earlier = False
        for i, token in enumerate(tokens):
            if _is_past(masked, tokens, i, earlier):
                earlier = True
                yield token.span()


def _is_past(text: str, tokens: list[re.Match[str]], i: int, earlier: bool) -> bool:
    """Conservative: irregular pasts anywhere, '-ed' forms only right after their subject."""
    word = tokens[i].group().lower()
    previous = tokens[i - 1].group().lower() if i else ""
    if word in _PAST_ONLY:
        return previous not in _DETERMINERS | _BE_HAVE | {"to"}
    following = tokens[i + 1].group().lower() if i + 1 < len(tokens) else ""
    if word == "shot" and following == "of":
        return False  # "a wide shot of a street", "Medium shot of Joe": the noun
    known = word in _PAST_FORMS
    if not known and (_GENERIC_ED.fullmatch(word) is None or "-" in word):
        return False
    start = _clause_start(text, tokens, i)
    adverb = i and tokens[i - 1].group().islower() and tokens[i - 1].group().endswith("ly")
    j = i - 1 if adverb else i  # "she slowly turned"
    subject = tokens[j - 1].group().lower() if j > start else ""
    if subject in _NOMINATIVE or (subject in ("it", "you") and j - 1 == start):
        return True
    if not known:
        return False
    if earlier and previous in ("and", "then"):
        return True
    return _is_subject([t.group() for t in tokens[start:j]]) and not _present_after(tokens, i)


def _clause_start(text: str, tokens: list[re.Match[str]], i: int) -> int:
    k = i
    while k > 0:
        between = text[tokens[k - 1].end() : tokens[k].start()]
        if re.search(r"[,;:()—–]", between) or tokens[k - 1].group().lower() in _CLAUSE_WORDS:
            break
        k -= 1
    return k


def _is_subject(words: list[str]) -> bool:
    """A name ('Maya', 'Dr Chen') or a determiner and up to three words ('the old door')."""
    if not words or words[-1].lower().endswith(("'s", "’s")):
        return False
    if any(w.lower() in _FUNCTION - _DETERMINERS for w in words):
        return False
    if len(words) <= 2 and all(w[:1].isupper() for w in words):
        return words[0].lower() not in _DETERMINERS
    rest_ok = all(w.lower() not in _DETERMINERS for w in words[1:])
    return words[0].lower() in _DETERMINERS and 2 <= len(words) <= 4 and rest_ok


def _present_after(tokens: list[re.Match[str]], i: int) -> bool:
    """A present verb later on: the '-ed' word only described the subject ('a man dressed in')."""
    for k in range(i + 1, len(tokens)):
        word = tokens[k].group().lower()
        before = tokens[k - 1].group().lower()
        if word in ("is", "are", "has", "have", "does"):
            return True
        if word in _THIRD_FORMS and before not in _DETERMINERS | _PREPOSITIONS:
            return True
    return False


# --- patterns --------------------------------------------------------------------------------

_LEAD = r"(?P<lead>(?:then|now|next|finally|later|suddenly),?\s+)?"
_SEE = (
    r"(?:we|you)\s+(?:(?:can|could|now|also|then|clearly|just)\s+)*"
    r"(?:see|watch|observe|notice|view|hear)"
)
_BE_SEEN = r"(?:(?:can|could)\s+be\s+seen\b|(?:is|are)\s+seen\b(?=\s+\w+ing\b))"
_MEDIUM = r"(?:video|scene|clip|image|frame|footage|shot|sequence|still)s?"
_ORDINAL = r"(?:(?:first|second|third|next|last|final|following|opening|closing)\s+)?"
_SHOWS = (
    r"(?:shows?|depicts?|features?|displays?|captures?|presents?|portrays?|contains?|"
    r"illustrates?|is\s+of|begins\s+with|opens\s+(?:with|on)|starts\s+with|cuts\s+to)"
)
_IN_SCENE = (
    rf"(?:in|throughout|during|across)\s+(?:this|these|the)\s+{_ORDINAL}{_MEDIUM}\b(?!\s+of\b)"
)
_HEDGE_WORDS = r"(?:possibly|probably|perhaps|apparently|seemingly|maybe|presumably|most\s+likely)"
_EMOTIONS = """furious angry sad happy nervous scared afraid frightened terrified anxious worried
    upset jealous lonely heartbroken disappointed embarrassed ashamed annoyed frustrated depressed
    delighted excited relieved confused bored guilty desperate"""
_IM = re.I | re.M  # with re.M, SENTENCE_START's "^" is also the start of each line

_WE_SEE = re.compile(rf"\b{_SEE}\b|\bwe\s+(?:are|get)\s+(?:shown|a\s+glimpse)\b|\b{_BE_SEEN}", re.I)
_CAMERA = re.compile(
    r"\b(?:the\s+)?camera(?:'s|’s)?\s+(?:[a-z]+ly\s+)?(?:pans?|zooms?|tilts?|tracks?|follows?|"
    r"moves?|cuts?|shows?|focus(?:es)?|lingers?|reveals?|captures?|pulls?|push(?:es)?|cranes?|"
    r"dolly|dollies|rotates?|sweeps?|stays?|holds?|frames?|shifts?|switch(?:es)?|shakes?|"
    r"circles?|swings?|glides?|rises?|descends?|drifts?|spins?|remains?|angles?|view|"
    r"perspective|movement|work)\b",
    re.I,
)
_VIDEO_SHOWS = re.compile(
    rf"\b(?:the|this|these|each)\s+{_ORDINAL}{_MEDIUM}\s+(?:[a-z]+ly\s+)?{_SHOWS}\b"
    r"|\b(?:a|an|the|this)\s+(?:video|clip|footage)\s+(?:of|showing|depicting)\b",
    re.I,
)
_IN_THIS_SCENE = re.compile(rf"\b{_IN_SCENE}", re.I)
_THIS_IS = re.compile(rf"{SENTENCE_START}this\s+is\s+(?:a|an|the)\b", _IM)
_HEDGE = re.compile(
    r"\b(?:what\s+)?(?:appears?|appeared)\s+to\b(?!\s+(?:the|an?|his|her|their|its|him|them)\b)|\b(?:looks?|looked)\s+like\b|\bseem(?:s|ed)?\b"
    r"|\bit\s+(?:appears|looks)\s+(?:that|as\s+if|as\s+though)\b"
    rf"|\b{_HEDGE_WORDS}\b|\b(?:might|may|could)\s+(?:be|have)\b|\b(?:it\s+is|it's|it’s)\s+likely\b",
    re.I,
)
_INTERPRETATION = re.compile(
    rf"\b(?:{'|'.join(_EMOTIONS.split())})\b|\bin\s+love\b|\bis\s+determined\b"
    r"|\b(?:wants?|wanted|decides?|decided)\s+to\b"
    r"|\b(?:thinks?|realizes|realises|remembers|wonders|knows|believes|hopes)\b"
    r"|\bfeels?\b(?!\s+(?:the|a|an|his|her|their|its|for|along|around|over|inside|in|under|"
    r"through|with|something)\b)",
    re.I,
)
_SECOND_PERSON = re.compile(r"\byou(?:rs?|rself|rselves)?\b", re.I)

# --- repairs ---------------------------------------------------------------------------------

_NOT_A_VERB = _words("be not never always also just still really even only")


def _seem_to_verb(m: re.Match[str], _: str) -> str:
    verb = m.group("verb")
    if verb.lower() in _NOT_A_VERB | _FUNCTION | {"him", "them"} or verb.endswith("ly"):
        return m.group()
    return third_person(verb) if m.group("s") else verb


_fix_we_see = masked_edits(
    (
        rf"{SENTENCE_START}{_LEAD}(?P<drop>{_SEE}\s+(?:(?:that|as)\s+)?)[^.!?\n]*",
        _drop_then_finite,
    ),
    (rf"{SENTENCE_START}(?P<subject>[^.!?\n]+?)\s+{_BE_SEEN}(?P<rest>[^.!?\n]*)", _unseen),
)
_fix_video_shows = masked_edits(
    (
        rf"{SENTENCE_START}{_LEAD}(?P<drop>(?:(?:the|this|these|each)\s+{_ORDINAL}{_MEDIUM}\s+{_SHOWS}"
        r"|(?:this\s+is\s+)?"
        r"(?:a|an|the)\s+(?:video|clip|footage|image)\s+(?:of|showing|depicting))"
        r"\s+(?:(?:us|you)\s+)?(?:that\s+)?)[^.!?\n]*",
        _drop_then_finite,
    )
)
_fix_in_scene = masked_edits(
    (sentence_opening(rf"{_IN_SCENE}\s*,?\s*"), drop_and_capitalise),
    (rf",?\s+{_IN_SCENE}(?=[.!?]|$)", ""),
)
_fix_this_is = masked_edits(
    (sentence_opening(r"this\s+is\s+(?=(?:a|an|the)\b)"), drop_and_capitalise)
)
_fix_hedge = masked_edits(
    (r"\bwhat\s+(?:appears|seems)\s+to\s+be\s+", ""),  # "holds what appears to be a gun"
    (r"\b(?:appear|seem)(?P<s>s?)\s+to\s+be\b", lambda m, _: "is" if m.group("s") else "are"),
    (r"\b(?:appear|seem)(?P<s>s?)\s+to\s+(?P<verb>[a-z]+)\b", _seem_to_verb),
    (
        sentence_opening(r"it(?:\s+is|'s|’s)\s+likely\s+that\s+|it\s+(?:appears|seems)\s+that\s+"),
        drop_and_capitalise,
    ),
    (
        r"\bseem(?P<s>s?)\s+(?!to\b|like\b|as\b|that\b)",
        lambda m, _: "is " if m.group("s") else "are ",
    ),
    (rf",\s*{_HEDGE_WORDS}\s*,\s*", " "),  # "She is, perhaps, lost."
    (rf",?\s*\b{_HEDGE_WORDS}(?=\s*[.!?])", ""),  # "She waits, perhaps."
    (sentence_opening(rf"{_HEDGE_WORDS},?\s+"), drop_and_capitalise),
    (rf"\b{_HEDGE_WORDS}\b,?\s+", ""),
)

# --- the table -------------------------------------------------------------------------------

_ABOUT = {  # id: (what it catches, what to write instead)
    "meta": ("talk about the answer ('Description:', 'Here is')", "give the description only"),
    "we-see": ("the viewer in the sentence ('we see', 'can be seen')", "say what is on screen"),
    "camera": ("camera talk ('the camera pans')", "describe what comes into view, not the camera"),
    "video-shows": ("the medium as subject ('the video shows')", "start with who or what is seen"),
    "in-this-scene": ("pointing at the medium ('in this scene')", "leave it out"),
    "this-is": ("'This is a ...' framing", "name what is there: 'A crowded market.'"),
    "hedge": ("guessing ('appears to be', 'probably')", "state what is visible, drop the rest"),
    "past-tense": ("past-tense narration ('walked', 'went')", "use the present tense"),
    "interpretation": ("feelings, not actions ('is furious')", "describe what shows the feeling"),
    "second-person": ("addressing the listener ('you', 'your')", "write in the third person"),
}
_ERROR, _WARNING = Severity.ERROR, Severity.WARNING
RULES: tuple[Rule, ...] = (  # where finds overlap, the earlier rule's is kept
    Rule("meta", *_ABOUT["meta"], _ERROR, CHATTER, fix=strip_chatter),
    Rule("we-see", *_ABOUT["we-see"], _ERROR, _WE_SEE, fix=_fix_we_see),
    Rule("camera", *_ABOUT["camera"], _ERROR, _CAMERA),
    Rule("video-shows", *_ABOUT["video-shows"], _ERROR, _VIDEO_SHOWS, fix=_fix_video_shows),
    Rule("in-this-scene", *_ABOUT["in-this-scene"], _ERROR, _IN_THIS_SCENE, fix=_fix_in_scene),
    Rule("this-is", *_ABOUT["this-is"], _WARNING, _THIS_IS, fix=_fix_this_is),
    Rule("hedge", *_ABOUT["hedge"], _WARNING, _HEDGE, fix=_fix_hedge),
    Rule("past-tense", *_ABOUT["past-tense"], _WARNING, finder=_past_tense_spans),
    Rule("interpretation", *_ABOUT["interpretation"], _WARNING, _INTERPRETATION),
    Rule("second-person", *_ABOUT["second-person"], _ERROR, _SECOND_PERSON),
)
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)


def check_text(text: str, rules: Sequence[Rule] = RULES) -> list[Violation]:
    """Every rule `text` breaks, in reading order; a find hides later rules' overlapping ones."""
    masked = mask_on_screen_text(text)
    found: list[Violation] = []
    for rule in rules:
        for start, end in rule.spans(masked):
            if any(v.span[0] < end and start < v.span[1] for v in found if v.rule != rule.id):
                continue  # "you see" is one we-see, not also second-person
            message = f'"{text[start:end]}": {rule.advice}'
            found.append(Violation(rule.id, (start, end), message, rule.severity))
    return sorted(found, key=lambda v: v.span)  # stable: same span keeps the table's order


def repair(text: str, rules: Sequence[Rule] = RULES) -> RepairResult:
    """Apply every safe mechanical fix until nothing changes; report what is left."""
    current, fixed = text, []
    for _ in range(_MAX_ROUNDS):
        before = current
        for rule in rules:
            if rule.fix is None:
                continue
            after = rule.fix(current)
            if after != current:
                current = tidy(after)
                fixed += [rule.id] if rule.id not in fixed else []
        if current == before:
            break
    remaining = check_text(current, rules)
    if fixed:
        log.debug("repaired %s; %d violation(s) left", ", ".join(fixed), len(remaining))
    return RepairResult(current, fixed, remaining)
