"""W3C DAPT (Dubbing and Audio description Profiles of TTML2): `NAME.dapt.ttml`.

Broadcasters and AD houses exchange description scripts as DAPT, so this is
the format a describer's tool or a mixing desk can take without knowing us.
Each cue becomes a script event (`<div>`) whose interval also holds the
programme-audio ramps: gain instructions (`<animate tta:gain>`) duck the
programme by the render's depth, and the `<p>` inside carries the cue's exact
times, its text and, once voiced, an `<audio>` link to its recording. That is
how the specification's own examples lay out a ducked description.

Times are written as clock times to the millisecond, so a round trip through
DAPT keeps them exactly. The reader is tolerant: offset times (`12.5s`,
`300ms`, `25f`), nested timing and unknown elements are accepted. Fields DAPT
has no place for (scene, rate, extension, duration) travel as attributes in
our own namespace, which TTML processors ignore.
"""

from __future__ import annotations

import logging
import math
import os
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodescribe.errors import MediaError
from autodescribe.formats import format_timestamp, text_lines
from autodescribe.types import Cue, Script
from autodescribe.util.cache import write_atomic

log = logging.getLogger(__name__)

TT = "http://www.w3.org/ns/ttml"
TTP = "http://www.w3.org/ns/ttml#parameter"
TTM = "http://www.w3.org/ns/ttml#metadata"
TTA = "http://www.w3.org/ns/ttml#audio"
DAPTM = "http://www.w3.org/ns/ttml/profile/dapt#metadata"
EBUTTM = "urn:ebu:tt:metadata"
XML = "http://www.w3.org/XML/1998/namespace"
AD = "urn:autodescribe:metadata"
CONTENT_PROFILE = "http://www.w3.org/ns/ttml/profile/dapt1.0/content"
SCRIPT_REPRESENTS = "visual.nonText visual.text"
EVENT_REPRESENTS = "visual.nonText"
DEFAULT_DUCK_DB = 10.0
DEFAULT_RAMP_SECONDS = 0.25

_PREFIXES = {
    "ttp": TTP,
    "ttm": TTM,
    "tta": TTA,
    "daptm": DAPTM,
    "ebuttm": EBUTTM,
    "autodescribe": AD,
}
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_HINT = "fix the file, or export it again as DAPT (TTML2)"
_CLOCK = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d|60)(?:(\.\d+)|:(\d{2,})(?:\.(\d+))?)?$")
_OFFSET = re.compile(r"^(\d+(?:\.\d+)?)(h|ms|m|s|f|t)$")
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SKIPPED_IN_TEXT = {f"{{{TT}}}{name}" for name in ("animate", "set", "audio", "metadata")}


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


# ---------------------------------------------------------------------------- writing


def write_dapt(script: Script, path: Path, audio_base: Path | None = None) -> None:
    """Write `script` as a DAPT audio description script, atomically.

    `audio_base` is the folder the cue recordings are linked from (normally the
    folder the document is delivered in); without it the paths are written as
    stored in the script.
    """
    for prefix, uri in _PREFIXES.items():
        ET.register_namespace(prefix, uri)
    ET.register_namespace("", TT)
    root = _root_element(script)
    _head(root, script)
    body = ET.SubElement(root, _q(TT, "body"))
    render = script.settings.get("render", {}) if isinstance(script.settings, dict) else {}
    duck_db = float(render.get("duck_db", DEFAULT_DUCK_DB))
    ramp_ms = round(float(render.get("ramp_seconds", DEFAULT_RAMP_SECONDS)) * 1000)
    plans = _plan_events(script.cues, ramp_ms, round(script.duration * 1000))
    for number, (cue, plan) in enumerate(zip(script.cues, plans, strict=True), start=1):
        _event(body, number, cue, plan, script.language, duck_db, audio_base)
    ET.indent(root, space="  ")
    document = _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
    write_atomic(path, document.encode("utf-8"))


def _root_element(script: Script) -> ET.Element:
    voiced = any(cue.audio for cue in script.cues)
    attrs = {
        _q(TTP, "contentProfiles"): CONTENT_PROFILE,
        _q(TTP, "timeBase"): "media",
        _q(XML, "lang"): script.language or "und",
        _q(DAPTM, "scriptRepresents"): SCRIPT_REPRESENTS,
        # Voiced cues make an as-recorded script; text alone is ready to be recorded.
        _q(DAPTM, "scriptType"): "asRecorded" if voiced else "preRecording",
        _q(AD, "duration"): _seconds_text(script.duration),
    }
    return ET.Element(_q(TT, "tt"), attrs)


def _head(root: ET.Element, script: Script) -> None:
    metadata = ET.SubElement(ET.SubElement(root, _q(TT, "head")), _q(TT, "metadata"))
    if script.title:
        ET.SubElement(metadata, _q(TTM, "title")).text = _xml_safe(script.title)
    if script.summary:
        ET.SubElement(metadata, _q(TTM, "desc")).text = _xml_safe(script.summary)
    if script.video:
        source = ET.SubElement(metadata, _q(EBUTTM, "sourceMediaIdentifier"))
        source.text = _xml_safe(script.video)


@dataclass(frozen=True)
class _Plan:
    """One event in whole milliseconds: the cue's interval and the ramps around it."""

    start: int
    end: int
    lead: int
    tail: int


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


def _event(
    body: ET.Element,
    number: int,
    cue: Cue,
    plan: _Plan,
    language: str,
    duck_db: float,
    audio_base: Path | None,
) -> None:
    div = ET.SubElement(
        body,
        _q(TT, "div"),
        {
            _q(XML, "id"): f"ad{number}",
            "begin": _clock(plan.start - plan.lead),
            "end": _clock(plan.end + plan.tail),
            _q(DAPTM, "represents"): EVENT_REPRESENTS,
        },
    )
    _extras(div, cue)
    if cue.audio:
        _ducking(div, plan, duck_db)
    p = ET.SubElement(div, _q(TT, "p"), {_q(XML, "lang"): language or "und"})
    p.set(_q(DAPTM, "langSrc"), language or "und")
    if plan.lead or plan.tail:
        p.set("begin", _clock(plan.lead))
        p.set("end", _clock(plan.lead + plan.end - plan.start))
    if cue.audio:
        audio = ET.SubElement(p, _q(TT, "audio"), {"src": _audio_src(cue.audio, audio_base)})
        audio.set("type", "audio/wave")
    _paragraph_text(p, cue.text)


def _extras(div: ET.Element, cue: Cue) -> None:
    """Our fields that DAPT has no slot for, so a round trip loses nothing."""
    if cue.scene is not None:
        div.set(_q(AD, "scene"), str(cue.scene))
    if cue.rate != 1.0:
        div.set(_q(AD, "rate"), repr(cue.rate))
    if cue.extension:
        div.set(_q(AD, "extension"), repr(cue.extension))


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
            attrs = {"begin": _clock(begin), "end": _clock(end), _q(TTA, "gain"): values}
            ET.SubElement(div, _q(TT, "animate"), attrs)


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
        ET.SubElement(p, _q(TT, "br")).tail = line


def _audio_src(audio: str, audio_base: Path | None) -> str:
    """A URL for the recording: relative to `audio_base` when given, else as stored."""
    path = Path(audio)
    if audio_base is not None:
        relative = os.path.relpath(path.resolve(), audio_base.resolve())
        return urllib.parse.quote(Path(relative).as_posix())
    if path.is_absolute():
        return path.as_uri()
    return urllib.parse.quote(path.as_posix())


def _clock(millis: int) -> str:
    return format_timestamp(millis / 1000)


def _seconds_text(value: float) -> str:
    return repr(float(value))


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text)


# ---------------------------------------------------------------------------- reading


def read_dapt(path: Path, audio_base: Path | None = None) -> list[Cue]:
    """Cues of a DAPT/TTML document; relative audio links resolve against `audio_base`.

    Without `audio_base`, links resolve against the document's folder.
    """
    return read_dapt_script(path, audio_base).cues


def read_dapt_script(path: Path, audio_base: Path | None = None) -> Script:
    """The whole script: cues plus the title, summary, language and source video."""
    root = _parse(path)
    timing = _Timing.of(root)
    base = audio_base if audio_base is not None else path.parent
    cues: list[Cue] = []
    body = root.find(_q(TT, "body"))
    if body is not None:
        body_begin, body_end = _interval(body, 0.0, None, timing, path)
        _collect(body, body_begin, body_end, timing, path, base, cues)
    metadata = root.find(f"{_q(TT, 'head')}/{_q(TT, 'metadata')}")
    duration = _float_or_none(root.get(_q(AD, "duration")))
    return Script(
        video=_meta_text(metadata, EBUTTM, "sourceMediaIdentifier") or "",
        language=root.get(_q(XML, "lang")) or "und",
        duration=duration if duration is not None else max((c.end for c in cues), default=0.0),
        cues=cues,
        title=_meta_text(metadata, TTM, "title"),
        summary=_meta_text(metadata, TTM, "desc"),
    )


def _parse(path: Path) -> ET.Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read script {path} ({exc.strerror})", "check the path") from exc
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise MediaError(
            f"{path.name} is not well-formed XML (line {line}, column {column + 1})", _HINT
        ) from exc
    if root.tag != _q(TT, "tt"):
        raise MediaError(f"{path.name} is not a TTML document (its root is not <tt>)", _HINT)
    return root


@dataclass(frozen=True)
class _Timing:
    """Document parameters that give frames and ticks a length."""

    frame_rate: float
    tick_rate: float

    @classmethod
    def of(cls, root: ET.Element) -> _Timing:
        rate = _float_or_none(root.get(_q(TTP, "frameRate"))) or 30.0
        multiplier = root.get(_q(TTP, "frameRateMultiplier"), "1 1").split()
        if len(multiplier) == 2 and all(part.isdigit() for part in multiplier):
            rate *= int(multiplier[0]) / max(int(multiplier[1]), 1)
        ticks = _float_or_none(root.get(_q(TTP, "tickRate")))
        return cls(frame_rate=rate, tick_rate=ticks or rate or 1.0)


def parse_time(text: str, timing: _Timing | None = None) -> float:
    """Seconds from a TTML clock time (`01:02:03.250`, `01:02:03:12`) or offset (`12.5s`)."""
    timing = timing or _Timing(frame_rate=30.0, tick_rate=30.0)
    value = text.strip()
    clock = _CLOCK.match(value)
    if clock:
        hours, minutes, seconds, fraction, frames, subframes = clock.groups()
        total = float(int(hours) * 3600 + int(minutes) * 60 + int(seconds))
        if fraction:
            total += float(fraction)
        if frames:
            total += (int(frames) + float(f"0.{subframes}" if subframes else 0)) / timing.frame_rate
        return total
    offset = _OFFSET.match(value)
    if offset:
        number, unit = float(offset.group(1)), offset.group(2)
        scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        if unit in scale:
            return number * scale[unit]
        return number / (timing.frame_rate if unit == "f" else timing.tick_rate)
    raise ValueError(f"not a TTML time expression: {text!r}")


def _time_attr(element: ET.Element, name: str, timing: _Timing, path: Path) -> float | None:
    raw = element.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw, timing)
    except ValueError as exc:
        where = element.get(_q(XML, "id")) or element.tag.rpartition("}")[2]
        raise MediaError(
            f"{path.name}: bad {name} time {raw!r} on {where}",
            "write times as 00:00:01.500 or 1.5s",
        ) from exc


def _interval(
    element: ET.Element, parent_begin: float, parent_end: float | None, timing: _Timing, path: Path
) -> tuple[float, float | None]:
    """Absolute (begin, end) of a timed element inside a parallel time container."""
    begin = parent_begin + (_time_attr(element, "begin", timing, path) or 0.0)
    end_attr = _time_attr(element, "end", timing, path)
    dur = _time_attr(element, "dur", timing, path)
    ends = [parent_begin + end_attr] if end_attr is not None else []
    if dur is not None:
        ends.append(begin + dur)
    if parent_end is not None:
        ends.append(parent_end)
    return begin, min(ends) if ends else None


def _collect(
    container: ET.Element,
    begin: float,
    end: float | None,
    timing: _Timing,
    path: Path,
    base: Path,
    cues: list[Cue],
) -> None:
    """Walk nested `<div>`s: every one holding a `<p>` is a script event."""
    for div in container.findall(_q(TT, "div")):
        div_begin, div_end = _interval(div, begin, end, timing, path)
        paragraphs = div.findall(_q(TT, "p"))
        if paragraphs:
            cue = _event_cue(div, paragraphs, div_begin, div_end, timing, path, base)
            if cue is not None:
                cues.append(cue)
        _collect(div, div_begin, div_end, timing, path, base, cues)


def _event_cue(
    div: ET.Element,
    paragraphs: list[ET.Element],
    begin: float,
    end: float | None,
    timing: _Timing,
    path: Path,
    base: Path,
) -> Cue | None:
    p = next((p for p in paragraphs if _text_of(p)), paragraphs[0])
    start, stop = _interval(p, begin, end, timing, path)
    start, stop = _narrowed_by_spans(p, start, stop, timing, path)
    name = div.get(_q(XML, "id")) or "an event"
    if stop is None:
        log.warning("%s: %s has no end time; skipped", path.name, name)
        return None
    return Cue(
        start=round(start, 6),
        end=round(max(stop, start), 6),
        text=_text_of(p),
        scene=_int_or_none(div.get(_q(AD, "scene"))),
        audio=_audio_of(p, base),
        rate=_float_or_none(div.get(_q(AD, "rate"))) or 1.0,
        extension=_float_or_none(div.get(_q(AD, "extension"))) or 0.0,
    )


def _narrowed_by_spans(
    p: ET.Element, start: float, stop: float | None, timing: _Timing, path: Path
) -> tuple[float, float | None]:
    """When only the `<span>`s are timed (as in DAPT's own examples), they give the times."""
    if p.get("begin") or p.get("end") or p.get("dur"):
        return start, stop
    timed = [
        _interval(span, start, stop, timing, path)
        for span in p.findall(_q(TT, "span"))
        if span.get("begin") or span.get("end") or span.get("dur")
    ]
    if not timed:
        return start, stop
    ends = [end for _, end in timed if end is not None]
    return min(begin for begin, _ in timed), max(ends) if ends else stop


def _text_of(p: ET.Element) -> str:
    """The paragraph's words: `<br/>` ends a line, other whitespace collapses as in TTML."""
    parts: list[str] = []
    _gather(p, parts)
    lines = ("".join(parts)).split("\n")
    cleaned = (" ".join(line.split()) for line in lines)
    return "\n".join(line for line in cleaned if line)


def _gather(element: ET.Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text.replace("\n", " "))
    for child in element:
        if child.tag == _q(TT, "br"):
            parts.append("\n")
        elif child.tag not in _SKIPPED_IN_TEXT and not child.tag.startswith(f"{{{TTM}}}"):
            _gather(child, parts)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))


def _audio_of(p: ET.Element, base: Path) -> str | None:
    for audio in p.iter(_q(TT, "audio")):
        src = audio.get("src")
        if src is None:
            source = audio.find(_q(TT, "source"))
            src = source.get("src") if source is not None else None
        if src and not src.startswith("#"):
            return _resolve_src(src, base)
    return None


def _resolve_src(src: str, base: Path) -> str:
    parsed = urllib.parse.urlparse(src)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:
        return src  # a remote URL: kept as written
    local = Path(urllib.parse.unquote(src))
    return str(local if local.is_absolute() else base / local)


def _meta_text(metadata: ET.Element | None, namespace: str, name: str) -> str | None:
    if metadata is None:
        return None
    element = metadata.find(_q(namespace, name))
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _float_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None
