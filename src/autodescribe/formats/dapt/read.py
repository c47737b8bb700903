"""Reading a DAPT document into our cues: one cue per Script Event with text.

Times are the chosen Text's (`<p>`), narrowed to its timed `<span>`s when only
those are timed, as in DAPT's own examples. An As-recorded Script
(`daptm:scriptType="asRecorded"`, or a document that does not say) keeps each
event's recording: the first `<audio>` in the chosen Text with a file `src`
(or `<source>`, WAV preferred), resolved against the document's folder, and
heard from the `<audio>`'s own begin. `revoice=True` drops every recording so
the text is synthesised instead. Recordings this model cannot carry (embedded
data, remote URLs, `clipBegin`/`clipEnd`) are dropped with a warning, so
those events are voiced.

What cannot be read at all is a MediaError naming the line and element;
what is skipped is logged once per reason, with a count and the first place.
"""

from __future__ import annotations

import logging
import math
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autodescribe.formats.dapt.events import (
    Event,
    Text,
    choose_text,
    script_events,
    stray_paragraphs,
)
from autodescribe.formats.dapt.names import (
    AD,
    CONTENT_PROFILE,
    DAPTM,
    EBUTTM,
    TTM,
    TTP,
    XML,
    is_tt,
    q,
)
from autodescribe.formats.dapt.timing import Interval, Rates, has_timing, interval
from autodescribe.formats.dapt.tree import Document, parse_document
from autodescribe.types import Cue, Script

log = logging.getLogger(__name__)

_RECORDED = {"", "asRecorded"}  # script types whose <audio> is the recording to play
_WAVE_TYPES = {"audio/wave", "audio/wav", "audio/x-wav", "audio/vnd.wave"}


@dataclass
class _Notes:
    """Events skipped or changed, grouped by reason, for one warning each."""

    found: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, where: str) -> None:
        self.found.setdefault(reason, []).append(where)

    def log(self, name: str) -> None:
        for reason, places in self.found.items():
            count = f"{len(places)} script events" if len(places) > 1 else "a script event"
            log.warning("%s: %s: %s (first at %s)", name, count, reason, places[0])


@dataclass(frozen=True)
class _Reading:
    doc: Document
    rates: Rates
    base: Path
    keep_audio: bool
    script_type: str
    notes: _Notes


def read_dapt(
    path: Path, audio_base: Path | None = None, language: str | None = None, revoice: bool = False
) -> list[Cue]:
    """Cues of a DAPT document; see `read_dapt_script`."""
    return read_dapt_script(path, audio_base, language, revoice).cues


def read_dapt_script(
    path: Path, audio_base: Path | None = None, language: str | None = None, revoice: bool = False
) -> Script:
    """The script: one cue per Script Event with text, plus title, summary, language, video.

    `language` picks each event's Text (see `events.choose_text`); relative
    audio links resolve against `audio_base` (the document's folder when None);
    `revoice` drops the recordings of an As-recorded Script.
    """
    doc = parse_document(path)
    _check_profile(doc)
    script_type = doc.root.get(q(DAPTM, "scriptType"), "")
    reading = _Reading(
        doc,
        Rates.of(doc),
        audio_base if audio_base is not None else path.parent,
        not revoice and script_type in _RECORDED,
        script_type,
        _Notes(),
    )
    events = script_events(doc, reading.rates)
    _note_strays(doc, events)
    default = doc.root.get(q(XML, "lang"), "")
    cues: list[Cue] = []
    languages: Counter[str] = Counter()
    for event in events:
        text, matched = choose_text(event.texts, language, default)
        cue = _cue(reading, event, text) if text is not None else None
        if cue is None or text is None:
            continue
        if not matched:
            reason = f"no text in {language!r}, so the {text.lang!r} one is used"
            reading.notes.add(reason, doc.where(event.div))
        cues.append(cue)
        languages[text.lang] += 1
    reading.notes.log(doc.name)
    cues.sort(key=lambda cue: cue.start)
    return _script(doc, cues, _script_language(languages, language, default))


def _check_profile(doc: Document) -> None:
    """Refuse timing DAPT prohibits (§ Timing constraints); warn about a missing designator."""
    root = doc.root
    base = root.get(q(TTP, "timeBase"), "media")
    if base != "media":
        raise doc.error(root, f"ttp:timeBase={base!r}: DAPT allows only media time")
    for element in root.iter():
        container = element.get("timeContainer", "par")
        if container != "par":
            raise doc.error(element, f"timeContainer={container!r}: DAPT allows only par")
    if CONTENT_PROFILE not in root.get(q(TTP, "contentProfiles"), "").split():
        log.warning("%s does not declare the DAPT content profile; read as DAPT anyway", doc.name)


def _note_strays(doc: Document, events: list[Event]) -> None:
    strays = stray_paragraphs(doc, events)
    if strays:
        log.warning(
            "%s: %d <p> outside script events (a <div> needs an xml:id and no child <div>) "
            "not read (first at %s)",
            doc.name,
            len(strays),
            doc.where(strays[0]),
        )


def _cue(reading: _Reading, event: Event, text: Text) -> Cue | None:
    doc, where = reading.doc, reading.doc.where(event.div)
    words = text_of(text.p)
    if not words:
        reading.notes.add("no text, so nothing to voice", where)
        return None
    if event.span.end is not None and event.span.end < event.span.begin:
        raise doc.error(
            event.div, f"ends ({event.span.end:.3f} s) before it begins ({event.span.begin:.3f} s)"
        )
    span = interval(doc, text.p, event.span, reading.rates)
    timed = _timed(doc, text.p, span, reading.rates)
    span = _narrowed(text.p, span, timed)
    if span.end is None:
        reading.notes.add("no end time, so it is skipped", where)
        return None
    recording = _recording(reading, timed, where)
    start = recording[1] if recording else span.begin
    extras = _extras(event.div)
    return Cue(
        start=round(start, 6),
        end=round(max(span.end, start), 6),
        text=words,
        scene=_int(extras.get("scene")),
        audio=recording[0] if recording else None,
        rate=_number(extras.get("rate")) or 1.0,
        extension=_number(extras.get("extension")) or 0.0,
    )


def _timed(
    doc: Document, parent: ET.Element, span: Interval, rates: Rates
) -> list[tuple[ET.Element, Interval]]:
    """The `<span>`s and `<audio>`s inside `parent` with their intervals, in document order."""
    found: list[tuple[ET.Element, Interval]] = []
    for child in parent:
        if is_tt(child, "span") or is_tt(child, "audio"):
            inner = interval(doc, child, span, rates)
            found.append((child, inner))
            if is_tt(child, "span"):
                found += _timed(doc, child, inner, rates)
    return found


def _narrowed(p: ET.Element, span: Interval, timed: list[tuple[ET.Element, Interval]]) -> Interval:
    """When only the `<span>`s are timed, the text lasts from the first to the last of them."""
    if has_timing(p):
        return span
    spans = [inner for element, inner in timed if is_tt(element, "span") and has_timing(element)]
    if not spans:
        return span
    ends = [inner.end for inner in spans if inner.end is not None]
    return Interval(min(inner.begin for inner in spans), max(ends) if ends else span.end)


def text_of(p: ET.Element) -> str:
    """The Text: `<p>` and `<span>` character content, `<br>` as line breaks, spaces collapsed.

    Metadata, audio, animation and foreign elements are pruned (§ Text).
    """
    parts: list[str] = []
    _gather(p, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _gather(element: ET.Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text.replace("\n", " "))
    for child in element:
        if is_tt(child, "br"):
            parts.append("\n")
        elif is_tt(child, "span"):
            _gather(child, parts)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))


def _recording(
    reading: _Reading, timed: list[tuple[ET.Element, Interval]], where: str
) -> tuple[str, float] | None:
    """The recording to play and when it starts, if this event keeps one."""
    audios = [(element, inner) for element, inner in timed if is_tt(element, "audio")]
    if not audios or not reading.keep_audio:
        if audios and reading.script_type not in _RECORDED:
            kind = reading.script_type
            reading.notes.add(f"<audio> in a {kind} script is not a recording; voiced", where)
        return None
    element, inner = audios[0]
    if element.get("clipBegin") or element.get("clipEnd"):
        reading.notes.add("<audio> clipBegin/clipEnd is not supported; voiced", where)
        return None
    src = _external_source(element)
    if src is None:
        reading.notes.add("embedded <audio> data is not supported; voiced", where)
        return None
    local = _local_path(src, reading.base)
    if local is None:
        reading.notes.add(f"remote <audio> {src} is not fetched; voiced", where)
        return None
    return local, inner.begin


def _external_source(audio: ET.Element) -> str | None:
    """The `src` of a linked (not embedded) recording, preferring WAV among `<source>`s."""
    src = audio.get("src")
    if src is not None:
        return None if src.startswith("#") else src
    linked = [
        (source.get("src", ""), source.get("type", ""))
        for source in audio
        if is_tt(source, "source")
        and source.get("src")
        and not source.get("src", "").startswith("#")
    ]
    wave = [s for s, kind in linked if kind in _WAVE_TYPES or s.lower().endswith(".wav")]
    choices = wave or [s for s, _ in linked]
    return choices[0] if choices else None


def _local_path(src: str, base: Path) -> str | None:
    """A file path for `src`: relative links resolve against `base`; None for a remote URL."""
    parsed = urllib.parse.urlparse(src)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:
        return None
    local = Path(urllib.parse.unquote(src))
    return str(local if local.is_absolute() else base / local)


def _extras(div: ET.Element) -> dict[str, str]:
    """Our own fields: attributes in our namespace on the event's `<metadata>` (or the div)."""
    carriers = [div, *(child for child in div if is_tt(child, "metadata"))]
    prefix = f"{{{AD}}}"
    return {
        key[len(prefix) :]: value
        for carrier in carriers
        for key, value in carrier.attrib.items()
        if key.startswith(prefix)
    }


def _script(doc: Document, cues: list[Cue], language: str) -> Script:
    root = doc.root
    metadata = [m for head in root if is_tt(head, "head") for m in head if is_tt(m, "metadata")]
    duration = _number(root.get(q(AD, "duration")))
    for element in metadata:
        duration = duration if duration is not None else _number(element.get(q(AD, "duration")))
    return Script(
        video=_meta_text(metadata, EBUTTM, "sourceMediaIdentifier") or "",
        language=language,
        duration=duration if duration is not None else max((c.end for c in cues), default=0.0),
        cues=cues,
        title=_meta_text(metadata, TTM, "title"),
        summary=_meta_text(metadata, TTM, "desc"),
    )


def _script_language(languages: Counter[str], wanted: str | None, default: str) -> str:
    """The language most events are voiced in; else the one asked for, else the default."""
    if languages:
        return languages.most_common(1)[0][0]
    return wanted or default or "und"


def _meta_text(metadata: list[ET.Element], namespace: str, name: str) -> str | None:
    for element in metadata:
        found = element.find(q(namespace, name))
        if found is not None:
            text = " ".join("".join(found.itertext()).split())
            if text:
                return text
    return None


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None
