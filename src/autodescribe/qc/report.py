"""Check: hold any audio-description script (ours or another tool's) to the delivery rules.

Per cue and overall: overlap with dialogue, speaking rate, writing rules, cue
timing, use of the usable silences, and the loudness of the mix and the stem.

Dialogue overlap is measured against the *unpadded* speech: the 0.15 s padding
is a placement margin for our planner, not dialogue, so a script placed
tightly by another tool is not failed for using it. `max_overlap_ms` is the
tolerance instead. Judging (`check_cues`, `timing_failures`) is pure; only
`check_script` runs the VAD and ffmpeg.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import av

from autodescribe.analysis.gaps import find_gaps
from autodescribe.analysis.speech import VAD_RATE, detect_speech
from autodescribe.backends.speech.base import pad_and_merge
from autodescribe.config import GapSettings, SpeechSettings
from autodescribe.errors import ConfigError
from autodescribe.formats import format_timestamp
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.media.probe import probe
from autodescribe.presets import PRESETS
from autodescribe.qc.alignment import alignment_failures
from autodescribe.qc.loudness import (
    LoudnessCheck,
    judge_loudness,
    loudness_checks,
    visual_impaired_flags,
)
from autodescribe.qc.pace import (
    MAX_SYLLABLES_PER_SECOND,
    WARN_SYLLABLES_PER_SECOND,
    syllables,
    syllables_per_second,
)
from autodescribe.timeline import on_described_clock
from autodescribe.types import Cue, SpeechSpan, VideoInfo, to_jsonable
from autodescribe.util.cache import write_atomic
from autodescribe.writing.rules import Severity, check_text

__all__ = [  # the loudness half lives in qc_loudness; callers import the whole check from here
    "CheckSettings",
    "LoudnessCheck",
    "QCReport",
    "check_script",
    "judge_loudness",
    "qc_path",
    "write_qc",
]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SCRIPT_SUFFIXES = (".script", ".ad", ".dapt")
ALL_DESCRIBED = (
    "every audio track is a described mix: what it says outside the cues is taken as dialogue"
)


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds; a figure beyond a `max_*` fails the check, beyond a `warn_*` only warns."""

    max_overlap_ms: float = 100.0  # total narration over (unpadded) dialogue, per cue
    max_syllables_per_second: float = MAX_SYLLABLES_PER_SECOND  # see qc.pace
    warn_syllables_per_second: float = WARN_SYLLABLES_PER_SECOND
    gap_padding: float = SpeechSettings().padding  # usable gaps are found as the planner does
    min_gap: float = GapSettings().min_gap
    time_tolerance: float = 0.001  # scripts store whole milliseconds
    min_gated_seconds: float = 1.0  # less dialogue than this: gate on the whole programme


@dataclass(frozen=True)
class RuleFinding:
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class CueCheck:
    index: int  # 1-based, in script order
    start: float
    end: float  # as the script says
    heard_end: float  # when the narration stops: start + audio length where there is audio
    text: str
    words: int
    words_per_second: float  # for reference; the pace is judged in syllables/s
    syllables: int
    syllables_per_second: float
    dialogue_overlap_ms: float
    passed: bool
    rules: list[RuleFinding] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extension: float = 0.0  # seconds heard over a frozen picture (extended description)


@dataclass(frozen=True)
class Figures:
    duration: float
    cues: int
    dialogue_seconds: float
    usable_gaps: int
    usable_gap_seconds: float
    narration_seconds: float
    narration_in_gaps_seconds: float
    dialogue_overlap_ms: float
    max_words_per_second: float
    max_syllables_per_second: float


@dataclass
class QCReport:
    video: str
    preset: str
    passed: bool
    figures: Figures
    cues: list[CueCheck]
    loudness: list[LoudnessCheck]
    failures: list[str]  # one line each: what broke which threshold
    warnings: list[str]
    notes: list[str]  # how things were measured
    settings: CheckSettings
    script: str | None = None


def check_script(
    video: Path,
    cues: list[Cue],
    *,
    mix: Path | None,
    stem: Path | None,
    preset: str,
    speech: list[SpeechSpan] | None = None,
    speech_padding: float = 0.0,
    settings: CheckSettings | None = None,
    measured_mix: LoudnessCheck | None = None,
    measured_stem: LoudnessCheck | None = None,
) -> QCReport:
    """Measure `cues` against `video` and the `preset`; `passed` is False if any threshold broke.

    `speech` skips the VAD: pass the spans already found, with the padding
    they carry in `speech_padding` (it is taken off again). Without `mix`, a
    track of `video` marked for the visually impaired is measured, if any.
    `measured_mix` and `measured_stem` (from the render) are judged instead of measuring
    the mix and the stem again.
    """
    settings = settings or CheckSettings()
    if preset not in PRESETS:
        known = ", ".join(PRESETS)
        raise ConfigError(f"unknown loudness preset '{preset}'", f"use one of: {known}")
    info = probe(video)
    notes = [
        "dialogue overlap is measured against unpadded speech; "
        f"usable gaps use {settings.gap_padding:.2f} s padding and {settings.min_gap:.1f} s minimum"
    ]
    if speech is None:
        dialogue = _programme_speech(info, notes)
    else:
        dialogue = shrink_spans(speech, speech_padding)
    audio_seconds = cue_audio_seconds(cues)
    if ALL_DESCRIBED in notes:
        # no programme track to listen to: the narration itself is not dialogue
        heard = [(c.start, heard_end(c, s)) for c, s in zip(cues, audio_seconds, strict=True)]
        dialogue = without_spans(dialogue, heard, margin=0.1)
    checks = check_cues(cues, audio_seconds, dialogue, info.duration, settings)
    loudness = loudness_checks(
        info,
        mix,
        stem,
        PRESETS[preset],
        dialogue,
        settings.min_gated_seconds,
        notes,
        measured_mix,
        narrated=bool(cues),
        measured_stem=measured_stem,
    )
    failures = [line for c in checks for line in c.failures]
    failures += timing_failures(checks, settings)
    failures += _alignment(cues, stem, info, notes)
    failures += [line for item in loudness for line in item.failures]
    warnings = [line for c in checks for line in c.warnings] or (
        [] if cues else ["the script has no cues: nothing is described"]
    )
    warnings += [line for item in loudness for line in item.warnings]
    log.info("check: %d cues, %d failures", len(checks), len(failures))
    return QCReport(
        video=str(video),
        preset=preset,
        passed=not failures,
        figures=figures(checks, dialogue, info.duration, settings),
        cues=checks,
        loudness=loudness,
        failures=failures,
        warnings=warnings,
        notes=notes,
        settings=settings,
    )


def _alignment(cues: list[Cue], stem: Path | None, info: VideoInfo, notes: list[str]) -> list[str]:
    """Cues whose narration is not heard in the stem where the script puts it."""
    if stem is None:
        return []
    notes.append(f"each cue's narration was looked for in {stem.name} within one frame")
    return alignment_failures(on_described_clock(cues), stem, info.frame_seconds)


# --- pure judging ------------------------------------------------------------------------


def shrink_spans(spans: Sequence[SpeechSpan], padding: float) -> list[SpeechSpan]:
    """Undo `padding` on each side: back to what was actually spoken."""
    inner = (replace(s, start=s.start + padding, end=s.end - padding) for s in spans)
    return [s for s in inner if s.end > s.start]


def without_spans(
    spans: Sequence[SpeechSpan], removed: Sequence[tuple[float, float]], margin: float = 0.0
) -> list[SpeechSpan]:
    """`spans` with the parts inside any of `removed` (widened by `margin`) cut out."""
    kept = list(spans)
    for start, end in sorted(removed):
        cut_start, cut_end = start - margin, end + margin
        pieces: list[SpeechSpan] = []
        for span in kept:
            if span.end <= cut_start or span.start >= cut_end:
                pieces.append(span)
                continue
            if span.start < cut_start:
                pieces.append(replace(span, end=cut_start))
            if span.end > cut_end:
                pieces.append(replace(span, start=cut_end))
        kept = pieces
    return kept


def overlap_seconds(start: float, end: float, spans: Sequence[SpeechSpan]) -> float:
    return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in spans)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def heard_end(cue: Cue, audio_seconds: float | None) -> float:
    """Where the narration stops: its audio decides when it has audio, else the script."""
    return cue.start + audio_seconds if audio_seconds is not None else cue.end


def check_cues(
    cues: Sequence[Cue],
    audio_seconds: Sequence[float | None],
    dialogue: Sequence[SpeechSpan],
    duration: float,
    settings: CheckSettings,
) -> list[CueCheck]:
    """Per cue: timing, overlap with dialogue, rate and writing rules, each judged."""
    return [
        _check_cue(index, cue, seconds, dialogue, duration, settings)
        for index, (cue, seconds) in enumerate(zip(cues, audio_seconds, strict=True), start=1)
    ]


def _check_cue(
    index: int,
    cue: Cue,
    audio_seconds: float | None,
    dialogue: Sequence[SpeechSpan],
    duration: float,
    settings: CheckSettings,
) -> CueCheck:
    end = heard_end(cue, audio_seconds)
    # Extension seconds play over a frozen frame, so they cannot cover dialogue.
    on_programme = max(cue.start, end - cue.extension)
    overlap_ms = round(overlap_seconds(cue.start, on_programme, dialogue) * 1000, 1)
    words = count_words(cue.text)
    seconds = end - cue.start
    rate = round(words / seconds, 2) if seconds > 0 else 0.0
    sounds = syllables(cue.text)
    pace = syllables_per_second(cue.text, seconds)
    where = f"cue {index} at {format_timestamp(cue.start)}"
    failures = _timing_problems(where, cue, end, duration, settings)
    warnings: list[str] = []
    if overlap_ms > settings.max_overlap_ms:
        failures.append(
            f"{where}: overlaps dialogue by {overlap_ms:.0f} ms "
            f"(limit {settings.max_overlap_ms:.0f} ms); move it into a silence or shorten it"
        )
    if pace > settings.max_syllables_per_second:
        failures.append(
            f"{where}: {pace:.2f} syllables/s is too fast "
            f"(limit {settings.max_syllables_per_second}); shorten the text or give it more time"
        )
    elif pace > settings.warn_syllables_per_second:
        warnings.append(f"{where}: {pace:.2f} syllables/s is fast; consider a shorter text")
    if audio_seconds is None and cue.audio:
        warnings.append(f"{where}: audio {cue.audio} not readable; timed from the script")
    findings = [RuleFinding(v.rule, v.severity.value, v.message) for v in check_text(cue.text)]
    for finding in findings:
        target = failures if finding.severity == Severity.ERROR.value else warnings
        target.append(f"{where}: writing rule '{finding.rule}': {finding.message}")
    return CueCheck(
        index=index,
        start=cue.start,
        end=cue.end,
        heard_end=round(end, 3),
        text=cue.text,
        words=words,
        words_per_second=rate,
        syllables=sounds,
        syllables_per_second=pace,
        dialogue_overlap_ms=overlap_ms,
        passed=not failures,
        rules=findings,
        failures=failures,
        warnings=warnings,
        extension=cue.extension,
    )


def _timing_problems(
    where: str, cue: Cue, end: float, duration: float, settings: CheckSettings
) -> list[str]:
    failures: list[str] = []
    tolerance = settings.time_tolerance
    # heard wholly over a frozen picture, an extended cue takes no programme time
    if cue.end < cue.start or (cue.end == cue.start and cue.extension <= 0):
        failures.append(f"{where}: ends at {cue.end:.3f} s, not after its start; fix its times")
    if cue.start < -tolerance:
        failures.append(f"{where}: starts before the video (at {cue.start:.3f} s)")
    if max(cue.end, end) > duration + cue.extension + tolerance:
        failures.append(
            f"{where}: runs to {max(cue.end, end):.3f} s, past the end of the video "
            f"({duration:.3f} s); move it earlier or shorten it"
        )
    if not cue.text.strip():
        failures.append(f"{where}: has no text")
    return failures


def timing_failures(checks: Sequence[CueCheck], settings: CheckSettings) -> list[str]:
    """Cues whose narration runs into the next cue's start."""
    ordered = sorted(checks, key=lambda c: c.start)
    problems = []
    for first, second in zip(ordered, ordered[1:], strict=False):
        # the frozen part of an extended cue takes no programme time
        overlap = max(first.end, first.heard_end) - first.extension - second.start
        if overlap > settings.time_tolerance:
            problems.append(
                f"cues {first.index} and {second.index} overlap by {overlap:.3f} s "
                f"(at {format_timestamp(second.start)}); move one of them"
            )
    return problems


def figures(
    checks: Sequence[CueCheck],
    dialogue: Sequence[SpeechSpan],
    duration: float,
    settings: CheckSettings,
) -> Figures:
    """Overall numbers: how much silence there was to use, and how much narration used it."""
    padded = pad_and_merge(dialogue, settings.gap_padding, duration)
    gaps = find_gaps(padded, duration, GapSettings(min_gap=settings.min_gap))
    gap_spans = [SpeechSpan(g.start, g.end) for g in gaps]
    spans = [(c.start, min(c.heard_end, duration)) for c in checks if c.heard_end > c.start]
    return Figures(
        duration=round(duration, 3),
        cues=len(checks),
        dialogue_seconds=round(sum(s.end - s.start for s in dialogue), 3),
        usable_gaps=len(gaps),
        usable_gap_seconds=round(sum(g.duration for g in gaps), 3),
        narration_seconds=round(sum(max(0.0, b - a) for a, b in spans), 3),
        narration_in_gaps_seconds=round(sum(overlap_seconds(a, b, gap_spans) for a, b in spans), 3),
        dialogue_overlap_ms=round(sum(c.dialogue_overlap_ms for c in checks), 1),
        max_words_per_second=max((c.words_per_second for c in checks), default=0.0),
        max_syllables_per_second=max((c.syllables_per_second for c in checks), default=0.0),
    )


# --- measuring -----------------------------------------------------------------------------


def cue_audio_seconds(cues: Sequence[Cue]) -> list[float | None]:
    """Length of each cue's audio file, None where there is none or it cannot be read."""
    return [_audio_seconds(Path(cue.audio)) if cue.audio else None for cue in cues]


def _audio_seconds(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, EOFError, wave.Error):
        pass
    try:
        with av.open(str(path)) as container:
            return None if container.duration is None else container.duration / 1e6
    except (av.error.FFmpegError, OSError):
        return None


def _programme_speech(info: VideoInfo, notes: list[str]) -> list[SpeechSpan]:
    """Unpadded dialogue from the programme track (not the described mix, which has narration)."""
    unpadded = SpeechSettings(padding=0.0)
    if not info.has_audio:
        notes.append("the video has no audio: no dialogue to overlap")
        return []
    flags = visual_impaired_flags(Path(info.path))
    if not flags[0]:
        return detect_speech(info, unpadded).spans
    programme = next((i for i, marked in enumerate(flags) if not marked), None)
    if programme is None:
        notes.append(ALL_DESCRIBED)
        return detect_speech(info, unpadded).spans
    notes.append(f"dialogue detected on audio track {programme + 1} (the original programme)")
    with tempfile.TemporaryDirectory(prefix="autodescribe-check-") as tmp:
        wav = Path(tmp) / "programme.wav"
        write_wav(wav, read_audio(Path(info.path), VAD_RATE, 1, programme), VAD_RATE)
        return detect_speech(replace(info, path=str(wav)), unpadded).spans


# --- files ---------------------------------------------------------------------------------


def script_name(script: Path) -> str:
    """NAME of `NAME.script.json`, `NAME.ad.vtt`, `NAME.dapt.ttml` or plain `NAME.srt`."""
    name = script.stem
    for suffix in _SCRIPT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def qc_path(script: Path, out_dir: Path | None = None) -> Path:
    """Where the report goes: `NAME.qc.json` in `out_dir`, else beside the script."""
    return (out_dir or script.parent) / f"{script_name(script)}.qc.json"


def verdict_line(report: QCReport, path: Path) -> str:
    """One line for the end of a run: pass, or the first failure, and where the report is."""
    warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    if report.passed:
        return f"QC: pass{warned} ({path})"
    more = f" and {len(report.failures) - 1} more" if len(report.failures) > 1 else ""
    return f"QC: FAIL: {report.failures[0]}{more} (report: {path})"


def write_qc(report: QCReport, path: Path) -> None:
    """Write what was measured as indented JSON, atomically."""
    data = to_jsonable(report, QCReport)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
