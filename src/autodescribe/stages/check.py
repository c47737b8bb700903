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

from autodescribe.backends.speech.base import pad_and_merge
from autodescribe.cache import write_atomic
from autodescribe.config import GapSettings, SpeechSettings
from autodescribe.errors import ConfigError, MediaError
from autodescribe.formats import format_timestamp
from autodescribe.loudness import PRESETS, LoudnessPreset
from autodescribe.media.audio import iter_audio, read_audio, write_wav
from autodescribe.media.probe import probe
from autodescribe.rules import Severity, check_text
from autodescribe.stages.gaps import find_gaps
from autodescribe.stages.normalize import measure_loudness, measure_raw, only_spans
from autodescribe.stages.speech import VAD_RATE, detect_speech
from autodescribe.types import Cue, SpeechSpan, VideoInfo, to_jsonable

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SCRIPT_SUFFIXES = (".script", ".ad", ".dapt")


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds; a figure beyond a `max_*` fails the check, beyond a `warn_*` only warns."""

    max_overlap_ms: float = 100.0  # total narration over (unpadded) dialogue, per cue
    max_words_per_second: float = 3.5  # 210 wpm
    warn_words_per_second: float = 3.0  # 180 wpm
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
    words_per_second: float
    dialogue_overlap_ms: float
    passed: bool
    rules: list[RuleFinding] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extension: float = 0.0  # seconds heard over a frozen picture (extended description)


@dataclass(frozen=True)
class LoudnessCheck:
    what: str  # "mix" or "stem"
    path: str
    stream: int  # audio stream index within the file
    gating: str  # "programme" or "dialogue"
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    target_lufs: float
    tolerance_lu: float
    max_true_peak_dbtp: float
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
) -> QCReport:
    """Measure `cues` against `video` and the `preset`; `passed` is False if any threshold broke.

    `speech` skips the VAD: pass the spans already found, with the padding
    they carry in `speech_padding` (it is taken off again). Without `mix`, a
    track of `video` marked for the visually impaired is measured, if any.
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
    checks = check_cues(cues, cue_audio_seconds(cues), dialogue, info.duration, settings)
    loudness = _loudness_checks(info, mix, stem, PRESETS[preset], dialogue, settings, notes)
    failures = [line for c in checks for line in c.failures]
    failures += timing_failures(checks, settings)
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


# --- pure judging ------------------------------------------------------------------------


def shrink_spans(spans: Sequence[SpeechSpan], padding: float) -> list[SpeechSpan]:
    """Undo `padding` on each side: back to what was actually spoken."""
    inner = (replace(s, start=s.start + padding, end=s.end - padding) for s in spans)
    return [s for s in inner if s.end > s.start]


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
    where = f"cue {index} at {format_timestamp(cue.start)}"
    failures = _timing_problems(where, cue, end, duration, settings)
    warnings: list[str] = []
    if overlap_ms > settings.max_overlap_ms:
        failures.append(
            f"{where}: overlaps dialogue by {overlap_ms:.0f} ms "
            f"(limit {settings.max_overlap_ms:.0f} ms); move it into a silence or shorten it"
        )
    if rate > settings.max_words_per_second:
        failures.append(
            f"{where}: {rate:.2f} words/s is too fast (limit {settings.max_words_per_second}); "
            "shorten the text"
        )
    elif rate > settings.warn_words_per_second:
        warnings.append(f"{where}: {rate:.2f} words/s is fast; consider a shorter text")
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
    if cue.end <= cue.start:
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
    )


def judge_loudness(
    item: LoudnessCheck, preset: LoudnessPreset, *, integrated_must_match: bool = True
) -> LoudnessCheck:
    """Fill in the failures (and warnings) of a measured item against `preset`."""
    failures: list[str] = []
    warnings: list[str] = []
    gate = "dialogue-gated " if item.gating == "dialogue" else ""
    lufs, peak = item.integrated_lufs, item.true_peak_dbtp
    if lufs is None:
        failures.append(f"{item.what}: no measurable loudness (silent?) in {Path(item.path).name}")
    elif abs(lufs - preset.target_lufs) > preset.tolerance_lu:
        line = (
            f"{item.what}: {gate}integrated {lufs:.1f} LUFS, outside "
            f"{preset.target_lufs:.0f} ±{preset.tolerance_lu:.0f} ({preset.name})"
        )
        (failures if integrated_must_match else warnings).append(line)
    if peak is not None and peak > preset.max_true_peak_dbtp:
        failures.append(
            f"{item.what}: true peak {peak:.1f} dBTP above {preset.max_true_peak_dbtp:.0f} dBTP "
            f"({preset.name}); lower it or limit it"
        )
    return replace(item, failures=failures, warnings=warnings)


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


def visual_impaired_flags(path: Path) -> list[bool]:
    """For each audio stream of `path`: is it marked as an audio-description track?"""
    try:
        with av.open(str(path)) as container:
            flag = av.stream.Disposition.visual_impaired
            return [bool(s.disposition & flag) for s in container.streams.audio]
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open {path.name} ({exc})", "check the file plays") from exc


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
        notes.append(
            "every audio track is a described mix: dialogue found in it includes narration"
        )
        return detect_speech(info, unpadded).spans
    notes.append(f"dialogue detected on audio track {programme + 1} (the original programme)")
    with tempfile.TemporaryDirectory(prefix="autodescribe-check-") as tmp:
        wav = Path(tmp) / "programme.wav"
        write_wav(wav, read_audio(Path(info.path), VAD_RATE, 1, programme), VAD_RATE)
        return detect_speech(replace(info, path=str(wav)), unpadded).spans


def _loudness_checks(
    info: VideoInfo,
    mix: Path | None,
    stem: Path | None,
    preset: LoudnessPreset,
    dialogue: Sequence[SpeechSpan],
    settings: CheckSettings,
    notes: list[str],
) -> list[LoudnessCheck]:
    items = []
    source = _mix_source(info, mix, notes)
    if source is not None:
        path, stream = source
        items.append(_measure_mix(path, stream, preset, dialogue, settings, notes))
    if stem is not None:
        notes.append("stem: true peak must meet the preset; its integrated loudness only warns")
        item = _measured("stem", stem, 0, preset)
        items.append(judge_loudness(item, preset, integrated_must_match=False))
    else:
        notes.append("no description stem found: stem loudness not checked")
    return items


def _mix_source(info: VideoInfo, mix: Path | None, notes: list[str]) -> tuple[Path, int] | None:
    """File and audio stream of the mix: `mix` (its AD track if marked), else VIDEO's AD track."""
    if mix is not None:
        if not mix.is_file():
            raise MediaError(f"no such mix file: {mix}", "check the --mix path")
        flags = visual_impaired_flags(mix)
        if not flags:
            raise MediaError(f"{mix.name} has no audio", "pass the mixed programme + description")
        return mix, flags.index(True) if any(flags) else 0
    flags = visual_impaired_flags(Path(info.path)) if info.has_audio else []
    if any(flags):
        return Path(info.path), flags.index(True)
    notes.append("no mix given and the video has no audio-description track: mix not checked")
    return None


def _measure_mix(
    path: Path,
    stream: int,
    preset: LoudnessPreset,
    dialogue: Sequence[SpeechSpan],
    settings: CheckSettings,
    notes: list[str],
) -> LoudnessCheck:
    """The whole mix for true peak; its integrated loudness over dialogue when the preset gates."""
    item = _measured("mix", path, stream, preset)
    spoken = sum(s.end - s.start for s in dialogue)
    if preset.dialogue_gated and spoken >= settings.min_gated_seconds:
        gated = _dialogue_loudness(path, stream, dialogue)
        item = replace(item, gating="dialogue", integrated_lufs=gated)
        notes.append(
            f"{preset.name}: mix integrated loudness measured over the dialogue only "
            f"({spoken:.1f} s); true peak over the whole mix"
        )
    elif preset.dialogue_gated:
        notes.append(
            f"{preset.name}: only {spoken:.1f} s of dialogue, so the mix is gated on the "
            "whole programme"
        )
    return judge_loudness(item, preset)


def _measured(what: str, path: Path, stream: int, preset: LoudnessPreset) -> LoudnessCheck:
    """EBU R128 figures of one stream over the whole file, not yet judged."""
    measured = measure_loudness(path, audio_index=stream)
    return LoudnessCheck(
        what=what,
        path=str(path),
        stream=stream,
        gating="programme",
        integrated_lufs=measured.integrated_lufs,
        true_peak_dbtp=measured.true_peak_dbtp,
        loudness_range_lu=measured.loudness_range_lu,
        target_lufs=preset.target_lufs,
        tolerance_lu=preset.tolerance_lu,
        max_true_peak_dbtp=preset.max_true_peak_dbtp,
    )


def _dialogue_loudness(path: Path, stream: int, dialogue: Sequence[SpeechSpan]) -> float | None:
    """Loudness of the mix's dialogue stretches, back to back.

    The same helpers render uses to normalise, so narrate's output and `check` agree.
    """
    blocks = (b.astype("<f4").tobytes() for b in iter_audio(path, 48_000, 2, stream_index=stream))
    return measure_raw(only_spans(blocks, [(s.start, s.end) for s in dialogue])).integrated_lufs


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


def write_qc(report: QCReport, path: Path) -> None:
    """Write what was measured as indented JSON, atomically."""
    data = to_jsonable(report, QCReport)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
