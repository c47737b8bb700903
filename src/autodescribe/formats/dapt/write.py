"""Writing our script as a DAPT audio description script (`NAME.dapt.ttml`).

Each cue is a Script Event (`<div xml:id="adN">`) holding the ramps of
programme gain around it (`<animate tta:gain>`, DAPT's Mixing Instructions)
and one Text (`<p>`) with the cue's exact times, its words and, once voiced,
its Audio Recording (`<audio src type>`).

What each event represents (§ Represents): `visual.text` when the cue reads
out text seen on screen (`reads_on_screen_text`), else `visual.nonText`. Its
Text Language Source (§ Text Language Source) follows: `zxx` (no inherent
language) for a description of the picture, the script's language for text
read from the screen, which we take to be in the narration's language.

Recordings: with `audio_dir`, each voiced cue's recording is copied there as
`adN.wav` and linked relative to the document, so the document and its folder
travel together and every link stays inside what was delivered; we chose
per-cue files over clips of the stem (`clipBegin`/`clipEnd`) because each is
exactly what is heard for its event, any processor can play it, and reading
the document back gives each cue its own file again. Without `audio_dir` the
recordings are linked where they are, relative to the document.

Times are clock times to the millisecond. Fields DAPT has no place for
(scene, rate, extension, duration) are attributes in our own namespace on
`<metadata>` elements, where DAPT allows foreign vocabulary, so the document
is valid against DAPT's XML Schema as written.
"""

from __future__ import annotations

import os
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.formats import format_timestamp, text_lines
from autodescribe.formats.dapt.names import (
    AD,
    CONTENT_PROFILE,
    DAPTM,
    EBUTTM,
    NO_LANGUAGE,
    NON_TEXT,
    ON_SCREEN_TEXT,
    PREFIXES,
    SCRIPT_REPRESENTS,
    TT,
    TTA,
    TTM,
    TTP,
    XML,
    q,
)
from autodescribe.types import Cue, Script
from autodescribe.util.cache import write_atomic

DEFAULT_DUCK_DB = 10.0
DEFAULT_RAMP_SECONDS = 0.25

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AUDIO_TYPES = {".wav": "audio/wave", ".mp3": "audio/mpeg", ".flac": "audio/flac"}
_OUR_CLIP = re.compile(r"^ad\d+\.(?:wav|mp3|flac|ogg|m4a)$")

# "Text on screen: ...", "Caption: ...", "Sign: ..." (a label, then what it says)
_LABEL = re.compile(
    r"\b(?:text on screen|on-screen text|caption|subtitle|title|sign|headline|banner)\s*:\s*\S",
    re.I,
)
# "... reads "EXIT 12"", "... says: CLOSED", "... spells out “HELLO”"
_READING = re.compile(
    r"\b(?:reads?|reading|says|saying|spells?(?: out)?|labell?ed|titled|entitled|marked)\b"
    r"\s*:?\s*(?:\"[^\"\n]+\"|“[^”\n]+”|«[^»\n]+»|„[^“\n]+“|[A-Z0-9][A-Z0-9'’&-]*[A-Z0-9]\b)"
)


def reads_on_screen_text(text: str) -> bool:
    """Whether a cue reads out text seen on screen, so represents `visual.text`.

    Our rule: a label such as "Text on screen:" (what the basic describer
    writes), "Caption:" or "Sign:" followed by text; or a reading verb
    ("reads", "says", "spells", "labelled", "titled", "marked") followed by a
    quotation or by a word in capitals, as in 'A sign reads "EXIT 12".'
    """
    return bool(_LABEL.search(text) or _READING.search(text))


def write_dapt(script: Script, path: Path, audio_dir: Path | None = None) -> None:
    """Write `script` as a DAPT audio description script, atomically.

    With `audio_dir`, each voiced cue's recording is copied there and linked
    relative to `path`; without it, recordings are linked where they are.
    """
    for prefix, uri in PREFIXES.items():
        ET.register_namespace(prefix, uri)
    ET.register_namespace("", TT)
    root = _root_element(script)
    _head(root, script)
    body = ET.SubElement(root, q(TT, "body"))
    render = script.settings.get("render", {}) if isinstance(script.settings, dict) else {}
    duck_db = float(render.get("duck_db", DEFAULT_DUCK_DB))
    ramp_ms = round(float(render.get("ramp_seconds", DEFAULT_RAMP_SECONDS)) * 1000)
    plans = _plan_events(script.cues, ramp_ms, round(script.duration * 1000))
    sources = _audio_sources(script.cues, path, audio_dir)
    for number, (cue, plan) in enumerate(zip(script.cues, plans, strict=True), start=1):
        event = _Event(f"ad{number}", cue, plan, sources.get(number))
        _event(body, event, script.language, duck_db)
    ET.indent(root, space="  ")
    document = _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
    write_atomic(path, document.encode("utf-8"))


def _root_element(script: Script) -> ET.Element:
    voiced = any(cue.audio for cue in script.cues)
    attrs = {
        q(TTP, "contentProfiles"): CONTENT_PROFILE,
        q(TTP, "timeBase"): "media",
        q(XML, "lang"): script.language or "und",
        q(DAPTM, "scriptRepresents"): SCRIPT_REPRESENTS,
        # Voiced cues make an as-recorded script; text alone is ready to be recorded.
        q(DAPTM, "scriptType"): "asRecorded" if voiced else "preRecording",
    }
    return ET.Element(q(TT, "tt"), attrs)


def _head(root: ET.Element, script: Script) -> None:
    head = ET.SubElement(root, q(TT, "head"))
    metadata = ET.SubElement(head, q(TT, "metadata"), {q(AD, "duration"): repr(script.duration)})
    if script.title:
        ET.SubElement(metadata, q(TTM, "title")).text = _xml_safe(script.title)
    if script.summary:
        ET.SubElement(metadata, q(TTM, "desc")).text = _xml_safe(script.summary)
    if script.video:
        source = ET.SubElement(metadata, q(EBUTTM, "sourceMediaIdentifier"))
        source.text = _xml_safe(script.video)


@dataclass(frozen=True)
class _Plan:
    """One event in whole milliseconds: the cue's interval and the ramps around it."""

    start: int
    end: int
    lead: int
    tail: int


@dataclass(frozen=True)
class _Event:
    ident: str
    cue: Cue
    plan: _Plan
    audio: tuple[str, str] | None  # (src, type)


def _plan_events(cues: Sequence[Cue], ramp_ms: int, duration_ms: int) -> list[_Plan]:
    """Ramps of up to `ramp_ms` outside each voiced cue, shortened so events never overlap."""
    spans = [(round(c.start * 1000), max(round(c.end * 1000), round(c.start * 1000))) for c in cues]
    plans: list[_Plan] = []
    for index, (cue, (start, end)) in enumerate(zip(cues, spans, strict=True)):
        if not cue.audio:
            plans.append(_Plan(start, end, 0, 0))
            continue
        room_before = start if index == 0 else (start - spans[index - 1][1]) // 2
        if index + 1 < len(spans):
            room_after = (spans[index + 1][0] - end) // 2
        else:
            room_after = duration_ms - end if duration_ms > end else ramp_ms
        lead = max(0, min(ramp_ms, room_before))
        tail = max(0, min(ramp_ms, room_after))
        plans.append(_Plan(start, end, lead, tail))
    return plans


def _event(body: ET.Element, event: _Event, language: str, duck_db: float) -> None:
    cue, plan = event.cue, event.plan
    on_screen = reads_on_screen_text(cue.text)
    div = ET.SubElement(
        body,
        q(TT, "div"),
        {
            q(XML, "id"): event.ident,
            "begin": _clock(plan.start - plan.lead),
            "end": _clock(plan.end + plan.tail),
            q(DAPTM, "represents"): ON_SCREEN_TEXT if on_screen else NON_TEXT,
        },
    )
    _extras(div, cue)
    if event.audio:
        _ducking(div, plan, duck_db)
    p = ET.SubElement(div, q(TT, "p"), {q(XML, "lang"): language or "und"})
    p.set(q(DAPTM, "langSrc"), (language or "") if on_screen else NO_LANGUAGE)
    if plan.lead or plan.tail:
        p.set("begin", _clock(plan.lead))
        p.set("end", _clock(plan.lead + plan.end - plan.start))
    if event.audio:
        src, kind = event.audio
        ET.SubElement(p, q(TT, "audio"), {"src": src, "type": kind})
    _paragraph_text(p, cue.text)


def _extras(div: ET.Element, cue: Cue) -> None:
    """Our fields that DAPT has no slot for, on a `<metadata>`, so a round trip loses nothing."""
    fields = {}
    if cue.scene is not None:
        fields[q(AD, "scene")] = str(cue.scene)
    if cue.rate != 1.0:
        fields[q(AD, "rate")] = repr(cue.rate)
    if cue.extension:
        fields[q(AD, "extension")] = repr(cue.extension)
    if fields:
        ET.SubElement(div, q(TT, "metadata"), fields)


def _ducking(div: ET.Element, plan: _Plan, duck_db: float) -> None:
    """Programme gain for the event: ramp down, hold under the narration, ramp back up."""
    low = f"{10 ** (-duck_db / 20):.4f}"
    length = plan.end - plan.start
    steps = [
        (0, plan.lead, f"1;{low}"),
        (plan.lead, plan.lead + length, low),
        (plan.lead + length, plan.lead + length + plan.tail, f"{low};1"),
    ]
    for begin, end, values in steps:
        if end > begin:
            attrs = {"begin": _clock(begin), "end": _clock(end), q(TTA, "gain"): values}
            ET.SubElement(div, q(TT, "animate"), attrs)


def _paragraph_text(p: ET.Element, text: str) -> None:
    """Lines of the cue, separated by `<br/>` (TTML collapses newlines to spaces)."""
    lines = [_xml_safe(line) for line in text_lines(text)]
    if not lines:
        return
    children = list(p)
    if children:
        children[-1].tail = lines[0]
    else:
        p.text = lines[0]
    for line in lines[1:]:
        ET.SubElement(p, q(TT, "br")).tail = line


def _audio_sources(
    cues: Sequence[Cue], path: Path, audio_dir: Path | None
) -> dict[int, tuple[str, str]]:
    """Event number -> (src relative to the document, MIME type), copying into `audio_dir`."""
    sources: dict[int, tuple[str, str]] = {}
    written: set[str] = set()
    for number, cue in enumerate(cues, start=1):
        if not cue.audio:
            continue
        recording = Path(cue.audio)
        suffix = recording.suffix.lower() or ".wav"
        if audio_dir is not None:
            recording = _copy(recording, audio_dir / f"ad{number}{suffix}", cue)
            written.add(recording.name)
        sources[number] = (_link(recording, path.parent), _AUDIO_TYPES.get(suffix, "audio/wave"))
    if audio_dir is not None:
        _remove_stale(audio_dir, written)
    return sources


def _copy(recording: Path, target: Path, cue: Cue) -> Path:
    try:
        data = recording.read_bytes()
    except OSError as exc:
        raise MediaError(
            f"audio for the cue at {cue.start:.2f} s not found: {recording}",
            "voice the script again",
        ) from exc
    write_atomic(target, data)
    return target


def _remove_stale(audio_dir: Path, written: set[str]) -> None:
    """Recordings an earlier export left for events this script no longer has."""
    if audio_dir.is_dir():
        for old in audio_dir.iterdir():
            if _OUR_CLIP.match(old.name) and old.name not in written:
                old.unlink(missing_ok=True)


def _link(recording: Path, folder: Path) -> str:
    """A URL for `recording` relative to `folder` (a file URL if no relative path exists)."""
    try:
        relative = os.path.relpath(recording.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return recording.resolve().as_uri()
    return urllib.parse.quote(Path(relative).as_posix())


def _clock(millis: int) -> str:
    return format_timestamp(millis / 1000)


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text)
