"""Answer cleaning: what a model wraps around a text, taken off, and what it cut short, trimmed.

Every text a model writes (descriptions, shortened and rewritten ones, captions,
titles, summaries, translations) comes through `clean_answer`: thinking blocks,
markdown, labels ("**Description:**"), lists (into prose), chatter ("Sure!
Here's the audio description:", "I hope this helps!"), wrapping quotes, the
medium ("Based on the frames,", "The scene is set in") and commentary ("The
overall mood is tense.") are taken off; nothing is capitalised or reordered that
was not touched. `complete_sentences` then keeps whole sentences only: an answer
the token limit cut off loses its unfinished tail. `is_refusal` and `is_skip`
recognise answers that are no description at all. The writing rules
(`writing.rules`) come after, and list chatter as their "meta" rule.

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
    r"(?:(?:sure|certainly|of\s+course|okay|ok|absolutely|alright|great)\b[,!.]?\s*)?"
    r"(?:(?:here(?:'s|’s|\s+is|\s+are)|below\s+is|the\s+following\s+is)\b[^:\n]{0,80}:"
    r"|(?:audio[- ])?description\s*:)"
)
_OPENER = r"(?:sure|certainly|of\s+course|okay|absolutely|alright)\b[,!.]"
# "Based on the frames provided," and the like: the answer talking about its input
_FRAMING = (
    r"(?:as\s+(?:you|we)\s+can\s+see,?\s*|(?:however|but|that\s+said),?\s+i\s+can\s+"
    r"(?:describe|tell\s+you)\b[^:\n]{0,60}:\s*|"
    r"(?:based\s+on|from|looking\s+at|judging\s+(?:by|from)|according\s+to|in)\s+"
    r"(?:the|these|this)\s+(?:provided\s+|given\s+|sequence\s+of\s+|series\s+of\s+)?"
    r"(?:images?|frames?|keyframes?|stills?|screenshots?|video\s+frames?)"
    r"(?:\s+(?:provided|given|shown|you\s+(?:provided|shared|sent)))?\s*,\s*)"
)

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
    (sentence_opening(rf"\s*(?:{_LEAD_IN}|{_OPENER}|{_FRAMING})\s*"), drop_and_capitalise)
)
# Whole sentences that talk to the reader or about the answer: dropped wherever they stand.
_CHATTER_SENTENCE = re.compile(
    r"(?:i\s+hope\b|let\s+me\s+know\b|feel\s+free\b|is\s+there\s+anything\b|would\s+you\s+like\b"
    r"|if\s+you\s+(?:need|want|would|like)\b|do\s+you\s+want\b|(?:please\s+)?note\b|(?:this|the\s+above|my)\s+"
    r"(?:audio\s+|short(?:er)?\s+|revised\s+|rewritten\s+)?(?:description|caption|version)\b"
    r"|word\s+count\b|\(?\d+\s+words?\)?\W*$"
    r"|here(?:'s|’s|\s+is|\s+are)\s+(?:a|an|the|my|your)\s+[^.!?]{0,60}?"
    r"(?:description|caption|version|summary|title)\b)",
    re.I,
)
_WORD_COUNT = re.compile(r"\s*[(\[]\s*(?:word\s+count\s*:?\s*)?\d+\s+words?\s*[)\]]", re.I)

# --- markdown, labels and lists ---------------------------------------------------------------

_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_FENCE = re.compile(r"^[ \t]*```[\w-]*[ \t]*$", re.M)
_RULE_LINE = re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$", re.M)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.M)
_BLOCKQUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]*\)")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
_LABEL_WORDS = (
    r"(?:(?:final|short|shorter|brief|detailed|concise|updated|revised|rewritten|shortened|new|"
    r"visual|audio|scene|clip|video|image|one-sentence)\s+)*"
    r"(?:description|caption|answer|response|output|narration|narrative|ad(?:\s+line)?|version"
    r"|assistant)"
)
_NUMBERED = r"(?:scene|clip|frame|shot|image|part|option)\s*#?\d+(?:\s*\([^)\n]*\))?"
# "Option 2" and what follows: a second version of the same answer
_SECOND_OPTION = re.compile(r"^\W*(?:option|version|alternative)\s*#?\s*2\b.*", re.I | re.M | re.S)
# "(Sound of rain)", "(Music swells)": cues for the ear, not descriptions
_SOUND_CUE = re.compile(
    r"[(\[](?:sound|sounds|music|sfx|audio|noise|ambient)\b[^)\]\n]*[)\]]\s*", re.I
)
_LABEL = re.compile(
    rf"^[ \t]*(?:{_LABEL_WORDS}|{_NUMBERED})(?:\s*\(\d+\s+words?\))?"
    r"[ \t]*(?::|[-–—](?=[ \t]))[ \t]*",
    re.I | re.M,
)
_LABEL_LINE = re.compile(rf"^[ \t]*(?:{_LABEL_WORDS}|{_NUMBERED})[ \t]*:?[ \t]*$", re.I | re.M)
_ITEM = re.compile(r"^[ \t]*(?:[-*•·‣▪◦+]|\(?\d{1,2}[.)])[ \t]+(?P<item>\S.*)$")
_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z' /-]{0,28}?)\s*:\s*(?P<rest>.*)$")


def _keys(text: str) -> frozenset[str]:
    return frozenset(key.strip() for key in text.split("|"))


_ON_SCREEN_KEYS = _keys("text|on-screen text|text on screen|on screen|sign|signs|visible text")
_COMMENTARY_KEYS = _keys(
    """mood|atmosphere|tone|ambiance|ambience|emotion|emotions|feeling|feelings|camera|
    camera movement|camera angle|camera work|shot|shot type|framing|style|interpretation|note|
    notes|overall|overall impression|impression|composition|vibe|summary|context"""
)
# Keys a model lays a description out under, without bullets ("Setting: A dim kitchen.")
_LAYOUT_KEYS = (
    _ON_SCREEN_KEYS
    | _COMMENTARY_KEYS
    | _keys(
        """setting|location|scene|action|actions|activity|people|person|characters|character|
    subject|subjects|main subject|objects|background|foreground|details|clothing|appearance|
    environment|lighting|time|time of day|weather"""
    )
)


_INLINE_KEY = re.compile(
    rf"(?<=[.!?])[ \t]+(?=(?:{'|'.join(sorted(_LAYOUT_KEYS, key=len, reverse=True))})\s*:)", re.I
)


def strip_markdown(text: str) -> str:
    """Text without code fences, headings, rules, quotes blocks, links and emphasis marks."""
    for pattern in (_FENCE, _RULE_LINE, _HEADING, _BLOCKQUOTE):
        text = pattern.sub("", text)
    text = _LINK.sub(r"\1", text)
    for _ in range(2):  # "***bold italic***" and "**a *b* c**"
        text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"\*\*+|`+", "", text)


def lists_to_prose(text: str) -> str:
    """List items and "Key: value" lines as sentences; an intro line ending in ':' goes."""
    lines = text.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        item = _ITEM.match(line)
        body = item.group("item") if item else line.strip()
        key = _KEY.match(body)
        listed = bool(item) or (key is not None and key.group("key").lower() in _LAYOUT_KEYS)
        if listed:
            out.append(_item_sentence(body))
        elif body.endswith(":") and any(_ITEM.match(n) for n in lines[i + 1 : i + 2]):
            continue  # "The frames show:" before a list
        else:
            out.append(line)
    return "\n".join(s for s in out if s)


def _item_sentence(item: str) -> str:
    """One list item as a sentence: its short key dropped, read as text, or the item dropped."""
    key = _KEY.match(item.strip())
    if key and len(key.group("key").split()) <= 3:
        name, rest = key.group("key").lower().strip(), key.group("rest").strip()
        if name in _COMMENTARY_KEYS or not rest:
            return ""
        item = f"Text on screen: {rest}" if name in _ON_SCREEN_KEYS else rest
    item = item.strip()
    if item and not _END.search(item):
        item += "."
    return capitalise(item)


def strip_labels(text: str) -> str:
    """'Description:', 'Scene 2 (0:04):' and bare label lines ('Audio Description') taken off."""
    return _LABEL.sub("", _LABEL_LINE.sub("", text))


# --- quotes, the medium and commentary ------------------------------------------------------

_PAIRS = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "„": "“"}


def unwrap_quotes(text: str) -> str:
    """`"A man waits."` -> `A man waits.`; quotes inside the text keep it as it is."""
    text = text.strip()
    while len(text) >= 2 and text[0] in _PAIRS:
        close = _PAIRS[text[0]]
        if text.endswith(close):
            inner = text[1:-1]
        elif len(text) >= 3 and text[-2] == close and text[-1] in ".!?":
            inner = text[1:-2] + text[-1]
        else:
            break
        if text[0] in "'‘":  # apostrophes inside words are no quotes: "a man's hat"
            nested = re.search(r"(?<!\w)['‘]|['’](?!\w)", inner) is not None
        else:
            nested = text[0] in inner or close in inner
        if nested:
            break
        text = inner.strip()
    return text


_MEDIUM = r"(?:video|clip|footage|scene|image|picture|frame|shot|sequence|still)s?"
strip_medium = masked_edits(
    # "The image is a close-up of a face." -> "A close-up of a face."
    (sentence_opening(rf"(?:the|this)\s+{_MEDIUM}\s+is\s+(?=(?:a|an)\s)"), drop_and_capitalise),
    # "The scene is set in a dim bar." -> "A dim bar."
    (
        sentence_opening(
            rf"(?:the|this)\s+{_MEDIUM}\s+(?:is\s+set|takes\s+place|unfolds)\s+(?:in|at|on)\s+"
            r"(?=(?:a|an|the|what)\b)"
        ),
        drop_and_capitalise,
    ),
    # "The video then transitions to a beach." / "The camera pans across a red room."
    (
        sentence_opening(
            rf"(?:(?:then|next|finally|later),?\s+)?(?:the\s+)?(?:{_MEDIUM}|camera|view|focus)\s+"
            r"(?:then\s+|slowly\s+|quickly\s+|briefly\s+)?(?:transitions?|shifts?|switch(?:es)?|"
            r"changes?|cuts?|pans?|zooms?(?:\s+(?:in|out))?|tilts?(?:\s+(?:up|down))?|moves?|"
            r"sweeps?|tracks?|turns?)\s+(?:to|across|over|along|onto|into|toward|towards|on|in\s+on)"
            r"\s+(?:show\s+|reveal\s+)?(?!the\s+(?:left|right|side|other)\b)"
            r"(?=(?:a|an|the|his|her|their|two|three|several)\b)"
        ),
        drop_and_capitalise,
    ),
)
# Sentences that say what the picture means or feels like, not what is in it.
_COMMENTARY = re.compile(
    r"(?:the\s+)?(?:overall\s+)?(?:mood|atmosphere|tone|ambiance|ambience|vibe|feeling)\b"
    r"|overall\b|in\s+summary\b|in\s+conclusion\b"
    r"|(?:this|it|which)\s+(?:creates?|adds?|conveys?|suggests?|evokes?|hints?\s+at|implies|"
    r"emphasi[sz]es|gives?\s+(?:the|a|an)\s+(?:scene|image|impression|sense|feeling)|"
    r"sets?\s+(?:a|the)\s+(?:mood|tone|scene)|captures\s+(?:the|a)\s+(?:essence|feeling|mood|sense))\b"
    rf"|(?:the\s+)?(?:overall\s+)?(?:{_MEDIUM}|composition|lighting|setting|colou?r\s+palette)\s+"
    r"(?:conveys?|evokes?|suggests?|creates?|gives?|exudes?|captures\s+(?:the|a)\s+"
    r"(?:essence|mood|feeling|sense)|(?:has|had)\s+an?\s+\w+\s+(?:feel|mood|atmosphere|vibe))\b",
    re.I,
)
_TRAILING_COMMENTARY = masked_edits(
    (
        r",\s*(?:creating|suggesting|evoking|conveying|adding\s+to|hinting\s+at|indicating|"
        r"giving\s+(?:the|a|an)\s+(?:scene|image|impression|sense|feeling)|setting\s+(?:a|the)\s+"
        r"(?:mood|tone|scene))\b[^.!?\n]*(?=[.!?]|$)",
        "",
    )
)

# --- refusals ---------------------------------------------------------------------------------

_FIRST_PERSON = re.compile(
    r"\W*(?:(?-i:I(?:'m|’m|'d|’d|'ve|’ve|'ll|’ll)?\s+[a-z])|sorry\b|unfortunately,?\s+i\b"
    r"|as\s+an\s+ai\b"
    r"|my\s+apologies\b|apologies\b|there\s+(?:is|are)\s+no\s+(?:images?|frames?|video)\b"
    r"|no\s+(?:images?|frames?|video)\s+(?:was|were|is|are|has\s+been|have\s+been)\s+"
    r"(?:provided|attached|shown|shared|included))",
    re.I,
)


def is_refusal(text: str) -> bool:
    """True when an (English) answer only talks about itself: "I can't help with that."."""
    sentences = split_sentences(text)
    return bool(sentences) and all(is_first_person(s) for s in sentences)


def is_first_person(sentence: str) -> bool:
    """An English sentence in the answerer's voice ("I cannot identify people."): never AD."""
    return _FIRST_PERSON.match(sentence) is not None


# --- sentences, fragments and cut-offs -------------------------------------------------------

_CLOSERS = "\"'”’)»]"
_END = re.compile(rf"[.!?…][{re.escape(_CLOSERS)}]*$")
_BOUNDARY = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s|$)")
_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr vs etc no mt prof gen col lt sgt capt".split())
# Words a whole sentence does not end on: it was cut off ("A man walks into the").
_DANGLING = frozenset(
    """a an the this these those his its their my our your some each every another any no
    of at with to from into onto for toward towards against between among beside beneath
    during without like than as via and but or nor so then while when because if although
    whose who which where whom is are was were be been being has have had do does very
    not""".split()
)


class Answer(str):
    """A model's answer; `cut_off` says whether the token limit ended it (None: not known)."""

    cut_off: bool | None

    def __new__(cls, text: str, cut_off: bool | None = None) -> Answer:
        answer = super().__new__(cls, text)
        answer.cut_off = cut_off
        return answer


def split_sentences(text: str) -> list[str]:
    """Sentences, split after . ! ? outside on-screen text, not after 'Dr.' or an initial."""
    masked = mask_on_screen_text(text)
    sentences, start = [], 0
    for m in _BOUNDARY.finditer(text):
        word = re.search(r"(\w+)\W*$", text[start : m.start() + 1])
        abbreviated = (
            m.group().startswith(".")
            and word is not None
            and (word.group(1).lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1)))
        )
        if abbreviated or (masked[m.start()] == _MASK and not _quote_closes(text, m.end())):
            continue
        sentences.append(text[start : m.end()].strip())
        start = m.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _quote_closes(text: str, end: int) -> bool:
    """A quoted sentence closed at `end`, with a new sentence after it."""
    return text[end - 1 : end] in _CLOSERS and re.match(r"\s+[A-Z]", text[end:]) is not None


def is_fragment(sentence: str, english: bool = True) -> bool:
    """A sentence cut short: it ends on a comma or colon, a quote is open, or (in English) it
    ends on a word no sentence ends on ('the', 'with')."""
    sentence = sentence.strip()
    body = re.sub(rf"[.!?…{re.escape(_CLOSERS)}\s]+$", "", sentence)
    if not re.search(r"\w", body) or body.endswith((",", ";", ":", "-", "–", "—", "(")):
        return True
    if sentence.count('"') % 2 or sentence.count("“") != sentence.count("”"):
        return True
    if sentence.count("(") != sentence.count(")"):
        return True
    if not english:
        return False
    last = re.findall(r"[\w'’]+", body)[-1].lower()
    return last in _DANGLING or bool(_LABEL_LINE.fullmatch(body)) or _bare_on_screen(body)


def _bare_on_screen(body: str) -> bool:
    return body.lower().strip() in _ON_SCREEN_KEYS


def complete_sentences(text: str, cut_off: bool | None = None, english: bool = True) -> str:
    """Whole sentences only: a tail cut off by the token limit goes, a finished one gets its period.

    The last sentence counts as cut off when `cut_off` says so (the server reported the
    token limit) and it has no final punctuation, or when it ends on a word no sentence
    ends on. Fragments elsewhere ("Text on screen.") go too.
    """
    sentences = split_sentences(text.strip())
    if sentences and not _END.search(sentences[-1]):
        if cut_off or is_fragment(sentences[-1], english):
            sentences.pop()
        else:
            sentences[-1] += "."
    return " ".join(s for s in sentences if not is_fragment(s, english))


def within_budget(text: str, word_budget: int) -> str:
    """The longest run of whole leading sentences that fits `word_budget` words."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        if len(" ".join([*kept, sentence]).split()) > word_budget:
            break
        kept.append(sentence)
    return " ".join(kept)


# --- the answer as a whole ----------------------------------------------------------------


_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # line breaks by other names
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\ufeff]")


def clean_answer(text: str) -> str:
    """A model's answer without what it wrapped around the text, on one line.

    Safe for any language: the English patterns (chatter, the medium) find nothing
    in others; nothing is capitalised or trimmed that was not touched.
    """
    text = _BREAKS.sub("\n", text.replace("\t", " "))
    text = _CONTROL.sub("", text)  # a stray \x08 from a sampler is not text
    text = _SECOND_OPTION.sub("", strip_markdown(_THINKING.sub("", text)))
    text = _INLINE_KEY.sub("\n", strip_labels(_SOUND_CUE.sub("", text)))
    text = strip_labels(lists_to_prose(text))
    lines = [_clean_line(line) for line in text.splitlines()]
    text = re.sub(r"\s+", " ", " ".join(line for line in lines if line)).strip()
    sentences = [s for s in split_sentences(text) if not _chatter_sentence(s)]
    sentences = [s for i, s in enumerate(sentences) if s not in sentences[:i]]  # repeats go
    text = _TRAILING_COMMENTARY(" ".join(sentences))
    return tidy(unwrap_quotes(text))


def _clean_line(line: str) -> str:
    line = unwrap_quotes(_WORD_COUNT.sub("", line))
    for _ in range(3):  # "Sure! Here's the description: Based on the frames, ..."
        before = line
        line = unwrap_quotes(strip_medium(strip_chatter(strip_labels(line)).strip()))
        if line == before:
            break
    return line


def _chatter_sentence(sentence: str) -> bool:
    bare = sentence.lstrip("(\"'“ ")
    return bool(_CHATTER_SENTENCE.match(bare) or _COMMENTARY.match(bare))


def is_skip(answer: str) -> bool:
    """True when a model answered SKIP (nothing new to describe) instead of a description.

    "SKIP", "skip.", "[SKIP]" and "SKIP - nothing changed" count; a description
    that merely starts with a word like "Skipping" or "Skip, a dog," does not.
    """
    text = answer.strip().strip("\"'`*[]() ")
    return bool(re.fullmatch(r"skip\W*", text, re.IGNORECASE) or re.match(r"SKIP\b", text))
