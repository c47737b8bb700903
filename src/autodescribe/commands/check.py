"""`autodescribe check`: quality control of an audio-description script and its audio.

Exit codes are part of the interface: 0 the script passes, 1 it fails QC,
2 it could not be checked (bad input), so a pipeline can tell them apart.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from autodescribe.commands import _options as opt
from autodescribe.commands._common import setup_logging
from autodescribe.errors import AutodescribeError
from autodescribe.qc.pace import MAX_SYLLABLES_PER_SECOND

if TYPE_CHECKING:
    from autodescribe.qc.report import LoudnessCheck, QCReport
    from autodescribe.types import Cue

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def check(
    video: Annotated[Path, typer.Argument(help="the programme, or our described video")],
    script: Annotated[
        Path, typer.Option("--script", "-s", help="description script: .json, .vtt, .srt")
    ],
    mix: Annotated[
        Path | None,
        typer.Option(help="mixed programme + description (default: VIDEO's AD track, if any)"),
    ] = None,
    stem: Annotated[
        Path | None,
        typer.Option(help="description stem (default: NAME.ad.wav beside the script)"),
    ] = None,
    preset: Annotated[
        opt.LoudnessName, typer.Option(help="loudness preset the mix must meet")
    ] = opt.DEFAULT_LOUDNESS,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "-o", "--out-dir", help="where NAME.qc.json goes (default: beside the script)"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the report as JSON instead of a table")
    ] = False,
    max_overlap_ms: Annotated[
        float, typer.Option(help="narration allowed over dialogue, per cue")
    ] = 100.0,
    max_rate: Annotated[
        float, typer.Option(metavar="SYLLABLES/S", help="fastest allowed narration")
    ] = MAX_SYLLABLES_PER_SECOND,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each step")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Check SCRIPT against VIDEO: dialogue overlap, rate, writing rules, timing, loudness.

    Writes NAME.qc.json. Exit code 0: passes; 1: fails QC; 2: could not check (bad input).
    """
    setup_logging(verbose)
    try:
        report, path = _run(
            video, script, mix, stem, preset.value, out_dir, max_overlap_ms, max_rate
        )
    except AutodescribeError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(path.read_text(encoding="utf-8"), nl=False)
    else:
        typer.echo(render_table(report, path))
    raise typer.Exit(EXIT_PASS if report.passed else EXIT_FAIL)


def _run(
    video: Path,
    script: Path,
    mix: Path | None,
    stem: Path | None,
    preset: str,
    out_dir: Path | None,
    max_overlap_ms: float,
    max_rate: float,
) -> tuple[QCReport, Path]:
    """Read the script first (the cheapest input to get wrong), then measure and write."""
    from autodescribe.errors import ConfigError, MediaError
    from autodescribe.formats import read_cues
    from autodescribe.qc.report import CheckSettings, check_script, qc_path, write_qc

    if not script.is_file():
        raise MediaError(f"no such script: {script}", "check the --script path")
    if stem is not None and not stem.is_file():
        raise MediaError(f"no such stem: {stem}", "check the --stem path")
    if max_rate <= 0 or max_overlap_ms < 0:
        raise ConfigError(
            "thresholds must be positive", "pass --max-rate > 0, --max-overlap-ms >= 0"
        )
    cues = paired_clock(video, script, resolve_audio(read_cues(script), script.parent))
    defaults = CheckSettings()
    settings = CheckSettings(
        max_overlap_ms=max_overlap_ms,
        max_syllables_per_second=max_rate,
        warn_syllables_per_second=min(defaults.warn_syllables_per_second, max_rate),
    )
    report = check_script(
        video,
        cues,
        mix=mix,
        stem=stem or stem_beside(script),
        preset=preset,
        settings=settings,
    )
    report = replace(report, script=str(script))
    path = qc_path(script, out_dir)
    write_qc(report, path)
    return report, path


def paired_clock(video: Path, script: Path, cues: list[Cue]) -> list[Cue]:
    """`cues` on the clock of `video`: the described video's when it is one, else the programme's.

    A file paired with the described video (our VTT, SRT, text) is on its clock;
    the canonical JSON holds both; the programme itself has no freezes.
    """
    from autodescribe.errors import MediaError
    from autodescribe.formats import read_clock
    from autodescribe.qc.loudness import visual_impaired_flags
    from autodescribe.timeline import on_described_clock, to_programme_clock

    clock, freezes = read_clock(script, cues)
    try:
        described_video = any(visual_impaired_flags(video))
    except MediaError:  # not a video we can open: the check's probe says so in its own words
        return cues
    if described_video and clock == "programme":
        return on_described_clock(cues)  # described times where the script has them
    if not described_video and clock == "described":
        at = {round(f.at, 3): f.seconds for f in freezes}
        programme = to_programme_clock(cues, freezes)
        return [replace(c, extension=at.get(round(c.start, 3), 0.0)) for c in programme]
    return cues


def stem_beside(script: Path) -> Path | None:
    """The description stem `NAME.ad.wav` next to the script, if there is one."""
    from autodescribe.qc.report import script_name

    candidate = script.parent / f"{script_name(script)}.ad.wav"
    return candidate if candidate.is_file() else None


def resolve_audio(cues: list[Cue], base: Path) -> list[Cue]:
    """Cue audio paths missing as given, looked up relative to `base` (the script's folder)."""
    resolved = []
    for cue in cues:
        path = Path(cue.audio) if cue.audio else None
        if path is not None and not path.is_absolute() and not path.exists():
            if (base / path).exists():
                cue = replace(cue, audio=str(base / path))
        resolved.append(cue)
    return resolved


def render_table(report: QCReport, path: Path) -> str:
    """The report for a person at a terminal: one row per cue, then totals and the verdict."""
    from autodescribe.formats import format_timestamp

    lines = [f"{'#':>3}  {'start':<12}  {'end':<12}  {'syll/s':>7}  {'overlap ms':>10}  result"]
    for cue in report.cues:
        rules = ",".join(sorted({r.rule for r in cue.rules}))
        verdict = "pass" if cue.passed else "FAIL"
        start, end = format_timestamp(cue.start), format_timestamp(cue.heard_end)
        rate, overlap = cue.syllables_per_second, cue.dialogue_overlap_ms
        lines.append(
            f"{cue.index:>3}  {start:<12}  {end:<12}  {rate:>7.2f}  {overlap:>10.0f}  {verdict}"
            + (f" ({rules})" if rules else "")
        )
    f = report.figures
    lines.append(
        f"dialogue {f.dialogue_seconds:.1f} s; usable gaps {f.usable_gaps} "
        f"({f.usable_gap_seconds:.1f} s); narration {f.narration_seconds:.1f} s "
        f"({f.narration_in_gaps_seconds:.1f} s in gaps)"
    )
    lines += [_loudness_line(item) for item in report.loudness]
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"warning: {line}" for line in report.warnings]
    lines += [f"FAIL: {line}" for line in report.failures]
    verdict = "PASS" if report.passed else "FAIL"
    lines.append(
        f"{verdict} ({_count(report.failures, 'failure')}, {_count(report.warnings, 'warning')}, "
        f"preset {report.preset}); report: {path}"
    )
    return "\n".join(lines)


def _count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _loudness_line(item: LoudnessCheck) -> str:
    def db(value: float | None, unit: str) -> str:
        return f"{value:.1f} {unit}" if value is not None else f"- {unit}"

    verdict = "FAIL" if item.failures else "warning" if item.warnings else "pass"
    return (
        f"{item.what}: {Path(item.path).name} track {item.stream + 1}: "
        f"{db(item.integrated_lufs, 'LUFS')} ({item.gating}-gated), "
        f"true peak {db(item.true_peak_dbtp, 'dBTP')}; target {item.target_lufs:.0f} "
        f"±{item.tolerance_lu:.0f}, peak <= {item.max_true_peak_dbtp:.0f}: {verdict}"
    )


def register(app: typer.Typer) -> None:
    app.command()(check)
