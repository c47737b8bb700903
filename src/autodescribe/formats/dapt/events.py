"""Script Events and their Text objects, found as DAPT says (§ Handling <div> and <p> elements).

A `<div>` with `<div>` children is never a Script Event: its children are
looked at instead, depth first. A `<div>` without children `<div>` is a Script
Event when it has an `xml:id` (the Script Event Identifier, DAPT's one
mandatory non-metadata property); any other `<div>` is not, and `<p>`s outside
Script Events are not Text. Intermediate `<div>`s still count for timing and
for the inherited `xml:lang` and `daptm:langSrc` (§ Using computed attribute
values).

Which Text is voiced: the one in the requested language (the same tag, else
the same primary language subtag), else the one in the document's Default
Language (`xml:lang` on `<tt>`), else the Original (§ Text Language Source:
`daptm:langSrc` empty, `zxx` or equal to its language), else the first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from autodescribe.formats.dapt.names import DAPTM, TT, XML, is_tt, q
from autodescribe.formats.dapt.timing import Interval, Rates, interval
from autodescribe.formats.dapt.tree import Document

_NOT_LINGUISTIC = {"", "und", "zxx", "mul", "mis"}


@dataclass(frozen=True)
class Text:
    """A `<p>` of a Script Event with its computed language and language source."""

    p: ET.Element
    lang: str
    lang_src: str

    @property
    def original(self) -> bool:
        source = self.lang_src.lower()
        return source in _NOT_LINGUISTIC or source == self.lang.lower()


@dataclass(frozen=True)
class Event:
    """A Script Event: its `<div>`, its interval and its Text objects in document order."""

    div: ET.Element
    span: Interval
    texts: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class _Inherited:
    span: Interval
    lang: str
    lang_src: str

    def inside(self, doc: Document, element: ET.Element, rates: Rates) -> _Inherited:
        return _Inherited(
            interval(doc, element, self.span, rates),
            element.get(q(XML, "lang"), self.lang),
            element.get(q(DAPTM, "langSrc"), self.lang_src),
        )


def script_events(doc: Document, rates: Rates) -> list[Event]:
    """Every Script Event under `<body>`, in document order."""
    root = doc.root
    top = _Inherited(
        Interval(0.0, None), root.get(q(XML, "lang"), ""), root.get(q(DAPTM, "langSrc"), "")
    )
    events: list[Event] = []
    for body in (child for child in root if is_tt(child, "body")):
        _collect(doc, body, top.inside(doc, body, rates), rates, events)
    return events


def stray_paragraphs(doc: Document, events: Sequence[Event]) -> list[ET.Element]:
    """`<p>` elements that are not Text of any Script Event, so are not read."""
    mapped = {id(text.p) for event in events for text in event.texts}
    return [p for p in doc.root.iter(q(TT, "p")) if id(p) not in mapped]


def _collect(
    doc: Document, container: ET.Element, inherited: _Inherited, rates: Rates, out: list[Event]
) -> None:
    for div in (child for child in container if is_tt(child, "div")):
        here = inherited.inside(doc, div, rates)
        if any(is_tt(child, "div") for child in div):
            _collect(doc, div, here, rates, out)
        elif div.get(q(XML, "id")):
            texts = [_text(p, here) for p in div if is_tt(p, "p")]
            out.append(Event(div, here.span, texts))


def _text(p: ET.Element, inherited: _Inherited) -> Text:
    return Text(
        p, p.get(q(XML, "lang"), inherited.lang), p.get(q(DAPTM, "langSrc"), inherited.lang_src)
    )


def choose_text(
    texts: Sequence[Text], wanted: str | None, default: str
) -> tuple[Text | None, bool]:
    """The Text to voice, and whether it is in the `wanted` language."""
    if not texts:
        return None, wanted is None
    if wanted:
        best = max(texts, key=lambda text: _closeness(text.lang, wanted))
        if _closeness(best.lang, wanted):
            return best, True
    in_default = [text for text in texts if _closeness(text.lang, default)]
    originals = [text for text in texts if text.original]
    return (in_default or originals or list(texts))[0], wanted is None


def _closeness(tag: str, wanted: str) -> int:
    """2 for the same language tag, 1 for the same primary language, 0 otherwise."""
    a, b = tag.strip().lower().replace("_", "-"), wanted.strip().lower().replace("_", "-")
    if not a or not b:
        return 0
    if a == b:
        return 2
    return 1 if a.split("-")[0] == b.split("-")[0] else 0
