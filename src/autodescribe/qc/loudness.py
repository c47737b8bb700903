"""QC of loudness: the mix and the stem against a delivery preset.

The mix is measured on the file (its audio-description track), or taken from
what the render already measured, which is in the mix's own timeline even
when extended description made it longer than the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import av

from autodescribe.errors import MediaError
from autodescribe.media.audio import iter_audio
from autodescribe.presets import LoudnessPreset
from autodescribe.render.loudness import measure_loudness, measure_raw, only_spans
from autodescribe.types import SpeechSpan, VideoInfo


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


def judge_loudness(
    item: LoudnessCheck,
    preset: LoudnessPreset,
    *,
    integrated_must_match: bool = True,
    silence_expected: bool = False,
) -> LoudnessCheck:
    """Fill in the failures (and warnings) of a measured item against `preset`.

    `silence_expected`: nothing is narrated, so a silent stem (or the mix of a
    programme without sound) is what it should be: a warning, not a failure.
    """
    failures: list[str] = []
    warnings: list[str] = []
    gate = "dialogue-gated " if item.gating == "dialogue" else ""
    lufs, peak = item.integrated_lufs, item.true_peak_dbtp
    if lufs is None:
        silent = f"{item.what}: no measurable loudness (silent?) in {Path(item.path).name}"
        (warnings if silence_expected else failures).append(silent)
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


def visual_impaired_flags(path: Path) -> list[bool]:
    """For each audio stream of `path`: is it marked as an audio-description track?"""
    try:
        with av.open(str(path)) as container:
            flag = av.stream.Disposition.visual_impaired
            return [bool(s.disposition & flag) for s in container.streams.audio]
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open {path.name} ({exc})", "check the file plays") from exc


def mix_as_rendered(
    path: Path,
    preset: LoudnessPreset,
    integrated_lufs: float | None,
    dialogue_lufs: float | None,
    true_peak_dbtp: float | None,
    loudness_range_lu: float | None,
) -> LoudnessCheck:
    """The mix's figures as the render measured them (dialogue-gated where the preset gates)."""
    gated = preset.dialogue_gated and dialogue_lufs is not None
    return LoudnessCheck(
        what="mix",
        path=str(path),
        stream=0,
        gating="dialogue" if gated else "programme",
        integrated_lufs=dialogue_lufs if gated else integrated_lufs,
        true_peak_dbtp=true_peak_dbtp,
        loudness_range_lu=loudness_range_lu,
        target_lufs=preset.target_lufs,
        tolerance_lu=preset.tolerance_lu,
        max_true_peak_dbtp=preset.max_true_peak_dbtp,
    )


def loudness_checks(
    info: VideoInfo,
    mix: Path | None,
    stem: Path | None,
    preset: LoudnessPreset,
    dialogue: Sequence[SpeechSpan],
    min_gated_seconds: float,
    notes: list[str],
    measured_mix: LoudnessCheck | None = None,
    narrated: bool = True,
    measured_stem: LoudnessCheck | None = None,
) -> list[LoudnessCheck]:
    """The mix and the stem, each measured here unless its measure (`measure_stem`'s for the
    stem) is given, judged.

    `narrated` is False for a script without cues: silence is then expected.
    """
    items = []
    source = None if measured_mix else _mix_source(info, mix, notes)
    quiet = not narrated
    if measured_mix is not None:
        items.append(judge_loudness(measured_mix, preset, silence_expected=quiet))
    elif source is not None:
        path, stream = source
        measured = _measure_mix(path, stream, preset, dialogue, min_gated_seconds, notes)
        if quiet and measured.integrated_lufs is None:
            measured = judge_loudness(measured, preset, silence_expected=True)
        items.append(measured)
    if stem is not None:
        notes.append("stem: true peak must meet the preset; its integrated loudness only warns")
        item = measured_stem or measure_stem(stem, preset)
        items.append(
            judge_loudness(item, preset, integrated_must_match=False, silence_expected=quiet)
        )
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
    min_gated_seconds: float,
    notes: list[str],
) -> LoudnessCheck:
    """The whole mix for true peak; its integrated loudness over dialogue when the preset gates."""
    item = _measured("mix", path, stream, preset)
    spoken = sum(s.end - s.start for s in dialogue)
    if preset.dialogue_gated and spoken >= min_gated_seconds:
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


def measure_stem(stem: Path, preset: LoudnessPreset) -> LoudnessCheck:
    """The description stem's figures, not yet judged (a render measures its stem this way
    while it mixes, instead of after)."""
    return _measured("stem", stem, 0, preset)


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
