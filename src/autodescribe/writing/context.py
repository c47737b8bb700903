"""Context across scenes: what each describe request knows about the story so far.

A model sees one scene at a time; a describer needs to know who is who and what
happened. So each request carries, at a size that does not grow with the video:
the last few descriptions verbatim, a synopsis of everything before them (made
without a model call), a character sheet (descriptor -> name once the film gives
it), and the dialogue and on-screen text around the pause (from the caller).

All deterministic; only `SceneContextBuilder` holds state. English heuristics.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from autodescribe.backends.describe.base import Conversation, DescribeContext
from autodescribe.types import Description, Gap, ScenePerson, SpeechSpan

KEEP_PREVIOUS = 3
SYNOPSIS_WORDS = 120
MAX_CHARACTERS = 12
MAX_DIALOGUE_LINES = 6
MAX_TEXT_LINES = 6
MAX_LINE_WORDS = 30
PENDING_SCENES = 64

# Words that carry no story: left out when comparing sentences or descriptors.
_FUNCTION_WORDS = frozenset(
    "a an the this that these those his her their its my your our some any no and or but "
    "with in on at to from of for by into onto over under near behind beside while as who "
    "which is are was were be been being has have had does do did not he she they it him "
    "them there here then than so very one another also still just again each both other "
    "wearing carrying holding".split()
)
# Singular nouns that name a person; aliases share one key so "a lady" matches "the woman".
_PERSON_NOUNS = frozenset(
    "man woman boy girl person child kid teenager teen baby toddler officer policeman "
    "policewoman soldier nurse doctor driver waiter waitress guard lady gentleman guy "
    "student teacher worker stranger figure chef pilot priest nun reporter detective "
    "farmer musician dancer athlete runner cyclist shopkeeper clerk customer passenger".split()
)
_ALIASES = {"lady": "woman", "gentleman": "man", "guy": "man", "teen": "teenager", "kid": "child"}
# What can end an "in a red coat" / "with a beard" phrase after a person noun.
_ATTIRE = frozenset(
    "coat jacket dress shirt t-shirt blouse sweater jumper hoodie suit uniform hat cap helmet "
    "scarf tie skirt jeans trousers pants shorts boots shoes sneakers gloves glasses "
    "sunglasses beard moustache mustache hair ponytail braids apron robe gown vest overalls "
    "backpack bag briefcase umbrella cane mask headscarf hijab turban cardigan raincoat parka "
    "blazer tracksuit bandana earrings necklace tattoo tattoos".split()
)
_TAIL_WORDS = frozenset({"in", "with", "wearing", "carrying"})
_MENTION = re.compile(
    r"\b(?P<det>a|an|the|another)\s+"
    r"(?P<mods>(?:(?!(?:" + "|".join(sorted(_FUNCTION_WORDS)) + r")\b)[a-z][a-z-]*,?\s+){0,3}?)"
    r"(?P<head>" + "|".join(sorted(_PERSON_NOUNS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[.!?,;:]")
# Capitalised words that start lines or sentences but are not names.
_NOT_NAMES = frozenset(
    "i i'm i'll i've i'd you we he she they it this that these those there here what where "
    "when why who how which yes no not okay ok oh ah hey hi hello bye goodbye please thanks "
    "thank sorry well wait stop look listen come go get let now then so and but or if just "
    "god jesus sir madam ma'am mom mum dad mother father son honey baby darling everyone "
    "everybody nobody somebody someone all good great right sure fine nice my your our his "
    "her their the a an is are was do don't can can't will won't did didn't what's where's "
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december christmas".split()
)
_TITLES = frozenset("mr mrs ms miss mister dr doctor detective officer captain professor".split())
# Words of signs and shop fronts: an on-screen line with one is a place, not a person.
_PLACE_WORDS = frozenset(
    "street st road avenue lane square bridge hotel station bank cafe bar school hospital "
    "park exit entrance police city university museum office center centre store shop "
    "market restaurant church airport hall house theatre theater cinema club company inc "
    "ltd news open closed welcome".split()
)
_BEFORE_PLACES = frozenset("in at from to into near of on across through the".split())


def content_words(text: str) -> frozenset[str]:
    """The lower-case words of `text` that carry meaning (no articles, pronouns...)."""
    return frozenset(w for w in _words_of(text) if len(w) > 2 and w not in _FUNCTION_WORDS)


def _words_of(text: str) -> frozenset[str]:
    return frozenset(t.lower() for t in _WORD.findall(text) if t[0].isalpha())


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


@dataclass(frozen=True)
class Synopsis:
    """Sentences kept from descriptions that left the verbatim window, in story order.

    The first `pinned` sentences come from the video's first description and are
    never dropped: they set the scene for everything after.
    """

    sentences: tuple[str, ...] = ()
    pinned: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def words(self) -> int:
        return sum(len(s.split()) for s in self.sentences)


def fold(synopsis: Synopsis, description: str, max_words: int = SYNOPSIS_WORDS) -> Synopsis:
    """The synopsis with one more description folded in, at most `max_words` words.

    New sentences that repeat a kept one (most of their content words already in
    it) are left out. While over the bound, the unpinned sentence that adds the
    fewest content words found nowhere else is dropped; ties drop the shorter,
    then the older sentence.
    """
    sentences = list(synopsis.sentences)
    fresh = split_sentences(description)
    first = not sentences
    if first:
        fresh = _pin_within(fresh, max(1, max_words // 2))
    for sentence in fresh:
        if not _repeats(sentence, sentences):
            sentences.append(sentence)
    pinned = len(sentences) if first else synopsis.pinned
    while sum(len(s.split()) for s in sentences) > max_words and len(sentences) > pinned:
        del sentences[_least_informative(sentences, pinned)]
    return Synopsis(sentences=tuple(sentences), pinned=pinned)


def _pin_within(sentences: list[str], limit: int) -> list[str]:
    """The leading sentences that fit in `limit` words (the first one cut to fit)."""
    kept = [" ".join(s.split()[:limit]) for s in sentences[:1]]
    for sentence in sentences[1:]:
        if sum(len(k.split()) for k in kept) + len(sentence.split()) > limit:
            break
        kept.append(sentence)
    return kept


def _repeats(sentence: str, kept: Sequence[str], share: float = 0.8) -> bool:
    words = content_words(sentence)
    if not words:
        return True
    return any(len(words & content_words(other)) >= share * len(words) for other in kept)


def _least_informative(sentences: Sequence[str], pinned: int) -> int:
    bags = [content_words(s) for s in sentences]

    def rank(i: int) -> tuple[int, int, int]:
        others = frozenset().union(*(b for j, b in enumerate(bags) if j != i))
        return (len(bags[i] - others), len(sentences[i].split()), i)

    return min(range(pinned, len(sentences)), key=rank)


@dataclass(frozen=True)
class Character:
    """One person: the descriptor they were first given, and their name once the film says it."""

    descriptor: str
    kind: str  # the person noun, aliases merged: "woman"
    words: frozenset[str]  # content words of the descriptor: {"tall", "red", "coat"}
    name: str | None = None
    first_seen: int = 0
    last_seen: int = 0


@dataclass(frozen=True)
class Mention:
    descriptor: str
    kind: str
    words: frozenset[str]


@dataclass(frozen=True)
class CharacterSheet:
    characters: tuple[Character, ...] = ()

    def entries(self) -> tuple[tuple[str, str | None], ...]:
        """(descriptor, name) in order of first appearance, as the prompt shows them."""
        ordered = sorted(self.characters, key=lambda c: c.first_seen)
        return tuple((c.descriptor, c.name) for c in ordered)

    def names(self) -> dict[str, str]:
        """descriptor -> name for the people the film has named (for `Script.characters`)."""
        return {c.descriptor: c.name for c in self.characters if c.name}


def find_mentions(text: str) -> list[Mention]:
    """Person noun phrases: "a tall woman in a red coat", "the officer", "an old man with a cane".

    Up to three modifiers before one of the person nouns, and an "in / with /
    wearing / carrying ..." phrase after it when it ends, within five words, on
    a piece of clothing or a feature such as hair or a beard.
    """
    mentions = []
    for match in _MENTION.finditer(text):
        mods = [w.lower() for w in match.group("mods").replace(",", " ").split()]
        head = match.group("head").lower()
        tail = _tail(text[match.end() : match.end() + 80])
        phrase = [*mods, head, *tail]
        mentions.append(
            Mention(
                descriptor=" ".join([_article(phrase[0]), *phrase]),
                kind=_ALIASES.get(head, head),
                words=frozenset(w for w in (*mods, *tail) if w not in _FUNCTION_WORDS),
            )
        )
    return mentions


def _tail(rest: str) -> list[str]:
    """ "in a red coat" after a person noun, with "the" made "a"; none after "the woman's"."""
    if not rest[:1].isspace() and not rest.startswith(","):
        return []
    tokens = [t.lower() for t in _WORD.findall(rest[:80])]
    tokens = tokens[1:] if tokens[:1] == [","] else tokens
    if not tokens or tokens[0] not in _TAIL_WORDS:
        return []
    end = 0
    for i, token in enumerate(tokens[1:6], start=1):
        if not token[0].isalpha():
            break
        end = i if token in _ATTIRE else end
    tail = tokens[: end + 1] if end else []
    return [_article(tail[i + 1]) if t == "the" else t for i, t in enumerate(tail)]


def _article(word: str) -> str:
    vowel = word[0] in "aeiou" and not word.startswith(("uni", "use", "eu", "one"))
    return "an" if vowel else "a"


def learn(
    sheet: CharacterSheet,
    text: str,
    scene: int,
    heard: Iterable[str] = (),
    limit: int = MAX_CHARACTERS,
) -> CharacterSheet:
    """The sheet after one description, and the names heard or read in its scene.

    People are matched by person noun and shared descriptor words; a descriptor,
    once given, never changes (except that a bare "a man" takes the first fuller
    descriptor of the only man on the sheet). A name is attached only when it is
    unambiguous: exactly one new name was heard or read in the scene (see
    `names_in_line`) and exactly one person without a name appears in its
    description. A name is never moved to another person.
    """
    people = list(sheet.characters)
    present: set[int] = set()
    for mention in find_mentions(text):
        index = _match(people, mention, len(sheet.characters))
        if index is None:
            if not mention.words and any(p.kind == mention.kind for p in people):
                continue  # "a man" beside other men: too vague to be someone new
            people.append(
                Character(mention.descriptor, mention.kind, mention.words, None, scene, scene)
            )
            index = len(people) - 1
        elif not people[index].words and mention.words:
            people[index] = replace(
                people[index], descriptor=mention.descriptor, words=mention.words
            )
        present.add(index)
    said = set(_WORD.findall(text))  # names as written: "Rose", not "rose from her chair"
    present |= {i for i, p in enumerate(people) if p.name and said & set(p.name.split())}
    people = [replace(p, last_seen=scene) if i in present else p for i, p in enumerate(people)]
    people = _attach_name(people, present, heard)
    return CharacterSheet(characters=tuple(_within_limit(people, limit)))


def _match(people: Sequence[Character], mention: Mention, known: int) -> int | None:
    same = [i for i, p in enumerate(people) if p.kind == mention.kind]
    if not same:
        return None
    if not mention.words:  # "the woman": the one seen last, before any this text introduced
        earlier = [i for i in same if i < known] or same
        return max(earlier, key=lambda i: (people[i].last_seen, i))
    scored = [
        (len(mention.words & people[i].words) / min(len(mention.words), len(people[i].words)), i)
        for i in same
        if people[i].words
    ]
    best = max(scored, default=(0.0, -1))
    if best[0] > 0.5:  # most of the shorter descriptor: "the woman in the coat"
        return best[1]
    if len(same) == 1 and not people[same[0]].words:
        return same[0]
    return None


def _attach_name(
    people: list[Character], present: set[int], heard: Iterable[str]
) -> list[Character]:
    taken = frozenset().union(*(_name_words(p.name) for p in people if p.name))
    new_names = {n.lower(): n for n in heard if not _name_words(n) & taken}
    unnamed = [i for i in present if people[i].name is None]
    if len(new_names) != 1 or len(unnamed) != 1:
        return people
    (name,) = new_names.values()
    people[unnamed[0]] = replace(people[unnamed[0]], name=name)
    return people


def _within_limit(people: list[Character], limit: int) -> list[Character]:
    """Drop the people not seen for longest, unnamed ones first, down to `limit`."""
    while len(people) > limit:
        stale = min(
            range(len(people)), key=lambda i: (people[i].name is not None, people[i].last_seen, i)
        )
        del people[stale]
    return people


def _name_words(name: str) -> frozenset[str]:
    """ "Mr. Jones" -> {"jones"}: the words that identify a person, without titles."""
    return frozenset(w for w in _words_of(name) if w not in _TITLES)


def names_in_line(line: str, on_screen: bool = False) -> list[str]:
    """Capitalised names in a line of dialogue or on-screen text, conservatively.

    A run of capitalised words ("Maya", "Mr. Jones", "Maya Chen") counts unless
    it is a common word ("Okay", "Hey", days, months), follows a preposition or
    "the" (a place or thing: "to Paris"), or opens a sentence without being
    called out ("Maya, wait!" counts, "Paris is lovely" does not). On screen,
    only a line of two or more capitalised words with no sign words counts (a
    name caption such as "Maya Chen", not "Exit" or "Main Street"). ALL-CAPS
    words never count.
    """
    tokens = _WORD.findall(line)
    if on_screen:
        words = [t for t in tokens if t[0].isalpha()]
        if len(words) < 2 or len(words) != len(tokens) or not all(map(_capitalised, words)):
            return []
        if any(w.lower() in _PLACE_WORDS | _NOT_NAMES for w in words):
            return []
        return [" ".join(words)]
    names: list[str] = []
    i = 0
    while i < len(tokens):
        if not _capitalised(tokens[i]):
            i += 1
            continue
        start = i
        run: list[str] = []
        while i < len(tokens) and (
            _capitalised(tokens[i]) or (tokens[i] == "." and run and run[-1].lower() in _TITLES)
        ):
            if tokens[i] != ".":
                run.append(tokens[i])
            i += 1
        before = tokens[start - 1] if start else "."
        after = tokens[i] if i < len(tokens) else ""
        name = _name_from_run(run, before, after)
        if name:
            names.append(name)
    return names


def _capitalised(token: str) -> bool:
    """ "Maya", "O'Brien", "Jean-Luc"; not "EXIT", "OK" or "iPhone"."""
    return len(token) > 1 and token[0].isupper() and not token.isupper()


def _name_from_run(run: list[str], before: str, after: str) -> str | None:
    while run and re.sub(r"['’]s$", "", run[0].lower()) in _NOT_NAMES:
        run, before = run[1:], run[0]
    if not run or all(w.lower() in _TITLES for w in run):
        return None
    if before.lower() in _BEFORE_PLACES:
        return None
    opens_sentence = before in {".", "!", "?"}
    if opens_sentence and run[0].lower() not in _TITLES and after not in {",", "!", "?", ""}:
        return None
    return " ".join(run)


def names_heard(dialogue: Iterable[str], on_screen_text: Iterable[str]) -> tuple[str, ...]:
    """Distinct names in the scene's dialogue and on-screen text, first occurrence first."""
    found = [n for line in dialogue for n in names_in_line(line)]
    found += [n for line in on_screen_text for n in names_in_line(line, on_screen=True)]
    return tuple(dict.fromkeys(found))


def dialogue_around(
    spans: Sequence[SpeechSpan],
    gap: Gap,
    seconds: float = 20.0,
    max_lines: int = MAX_DIALOGUE_LINES,
) -> tuple[str, ...]:
    """The transcribed lines nearest the pause (within `seconds`), in spoken order."""

    def distance(span: SpeechSpan) -> float:
        return max(0.0, gap.start - span.end, span.start - gap.end)

    near = [s for s in spans if s.text and s.text.strip() and distance(s) <= seconds]
    nearest = sorted(near, key=lambda s: (distance(s), s.start))[:max_lines]
    return tuple(s.text.strip() for s in sorted(nearest, key=lambda s: s.start) if s.text)


def _clip(line: str, max_words: int = MAX_LINE_WORDS) -> str:
    """One line of dialogue or text, cut to `max_words` words so no line can swell the prompt."""
    words = line.split()
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def prompt_tokens_estimate(conversation: Conversation, image_tokens: int = 0) -> int:
    """Rough prompt size: words and punctuation marks of every text part, plus images.

    Subword tokenizers give about this for English prose; pass the model's
    per-image cost as `image_tokens` to include the frames.
    """
    total = 0
    for message in conversation:
        content = message["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for part in parts:
            if part.get("type") == "text":
                total += len(re.findall(r"\w+|[^\w\s]", part["text"]))
            elif part.get("type") == "image":
                total += image_tokens
    return total


class SceneContextBuilder:
    """Running context for a video, scene by scene.

    Call `request_context` for a scene, describe it, then `add` the result. Scenes
    requested in one batch before their `add` see the same earlier context; `add`
    must follow scene order (cached descriptions too, so a rerun rebuilds the same
    context).
    """

    def __init__(
        self,
        keep: int = KEEP_PREVIOUS,
        synopsis_words: int = SYNOPSIS_WORDS,
        max_characters: int = MAX_CHARACTERS,
    ) -> None:
        self.keep = keep
        self.synopsis_words = synopsis_words
        self.max_characters = max_characters
        self.window: deque[str] = deque()
        self.synopsis = Synopsis()
        self.sheet = CharacterSheet()
        self._heard: dict[int, tuple[str, ...]] = {}

    def request_context(
        self, scene_index: int, on_screen_text: Sequence[str] = (), dialogue: Sequence[str] = ()
    ) -> DescribeContext:
        """The context for one scene; remembers the names heard or read in it for `add`."""

        text = tuple(dict.fromkeys(_clip(t) for t in on_screen_text if t.strip()))[:MAX_TEXT_LINES]
        lines = tuple(_clip(line) for line in dialogue if line.strip())[:MAX_DIALOGUE_LINES]
        self._heard[scene_index] = names_heard(lines, text)
        while len(self._heard) > PENDING_SCENES:  # requested but never added: forget the oldest
            del self._heard[min(self._heard)]
        return DescribeContext(
            previous=tuple(self.window),
            on_screen_text=text,
            dialogue=lines,
            synopsis=self.synopsis.text,
            characters=self.sheet.entries(),
        )

    def people_in(self, scene_index: int) -> tuple[ScenePerson, ...]:
        """Who is on screen in the scene; nobody is known without the characters stage."""
        return ()

    def add(self, description: Description) -> None:
        """Advance past one described scene; skipped or empty descriptions change nothing."""
        heard = self._heard.pop(description.scene, ())
        text = description.text.strip()
        if description.skip or not text:
            return
        self.sheet = learn(self.sheet, text, description.scene, heard, self.max_characters)
        self.window.append(text)
        while len(self.window) > self.keep:
            self.synopsis = fold(self.synopsis, self.window.popleft(), self.synopsis_words)
