"""Deliver: the narration stem, the described video and the script files.

The video is written last-but-scripts under a temporary name and renamed when
complete, so nothing that looks finished is left by a failed run. A render
whose inputs have not changed is not redone.
"""

from __future__ import annotations

import glob
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autodescribe.config import NarrateSettings
from autodescribe.formats.adtext import write_ad_text
from autodescribe.formats.dapt import write_dapt
from autodescribe.formats.script_json import write_script
from autodescribe.formats.srt import write_srt
from autodescribe.formats.webvtt import write_vtt
from autodescribe.media.ffmpeg import has_loopback_decoders
from autodescribe.presets import preset as loudness_preset
from autodescribe.qc.loudness import LoudnessCheck, measure_stem, mix_as_rendered
from autodescribe.qc.report import QCReport, check_script, verdict_line, write_qc
from autodescribe.render.dash import write_dash
from autodescribe.render.hls import write_hls
from autodescribe.render.mix import (
    CHECKING_MIX,
    RenderReport,
    build_narration,
    render_described,
    timeline,
)
from autodescribe.timeline import (
    clock_note,
    described_cues,
    freezes_from_cues,
    on_described_clock,
    plan_freezes,
)
from autodescribe.types import Script, SpeechSpan, VideoInfo, from_jsonable, to_jsonable
from autodescribe.util.background import Beside
from autodescribe.util.cache import WorkDir, move_atomic, stable_hash, write_atomic
from autodescribe.util.progress import Planned

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deliverables:
    video: Path
    stem: Path
    script: Path
    vtt: Path
    srt: Path
    dapt: Path
    text: Path
    qc: Path
    report: RenderReport
    passed_qc: bool = True
    hls: Path | None = None  # master playlist, when asked for
    dash: Path | None = None  # DASH manifest, when asked for
    qc_line: str = ""  # the QC verdict in one line, for the end of the run

    def files(self) -> list[Path]:
        files = [self.video, self.stem, self.script, self.vtt, self.srt, self.dapt, self.text]
        return files + [self.qc] + [p for p in (self.hls, self.dash) if p]


def delivery_plan(settings: NarrateSettings) -> list[Planned]:
    """The bars `deliver` shows, in order, each with its usual share of the time (as
    multiples of one decode of the video: see `pipeline.stage_plan`), for `overall`."""
    plan = [Planned("loudness", 4.5), Planned("rendering", 9.0)]
    # the written mix is measured during its encode where ffmpeg can (see render.mix)
    plan += [] if has_loopback_decoders() else [Planned(CHECKING_MIX, 1.5)]
    plan += [Planned("writing HLS", 1.0)] if settings.render.hls else []
    plan += [Planned("writing DASH", 1.0)] if settings.render.dash else []
    return plan


def output_paths(out_dir: Path, name: str, container_suffix: str = ".mp4") -> dict[str, Path]:
    return {
        "video": out_dir / f"{name}.described{container_suffix}",
        "stem": out_dir / f"{name}.ad.wav",
        "script": out_dir / f"{name}.script.json",
        "vtt": out_dir / f"{name}.ad.vtt",
        "srt": out_dir / f"{name}.ad.srt",
        "dapt": out_dir / f"{name}.dapt.ttml",
        "text": out_dir / f"{name}.ad.txt",
        "qc": out_dir / f"{name}.qc.json",
    }


CONTAINERS = (".mp4", ".mov", ".m4v", ".mkv", ".webm")


def output_container(source: str, chosen: str | None) -> str:
    """The described file's suffix: the chosen one, else the input's when we can write it."""
    if chosen:
        return chosen if chosen.startswith(".") else f".{chosen}"
    suffix = Path(source).suffix.lower()
    return suffix if suffix in CONTAINERS else ".mp4"


def _partial(path: Path) -> Path:
    """Where a deliverable is written until everything else is done (hidden, same suffix)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def _render(
    info: VideoInfo,
    script: Script,
    paths: dict[str, Path],
    settings: NarrateSettings,
    dialogue: Sequence[SpeechSpan],
) -> tuple[RenderReport, Beside[LoudnessCheck]]:
    """The stem and the described video, under their partial names; and the stem's
    measure for the quality check, taken on its own thread while the mix is rendered
    (each is one core's work)."""
    _, shifted, duration = timeline(info, script.cues)
    stem, video = _partial(paths["stem"]), _partial(paths["video"])
    build_narration(shifted, duration, stem)
    preset = loudness_preset(settings.render.loudness)
    stem_measure = Beside("stem loudness", lambda: measure_stem(stem, preset))
    report = render_described(
        info, stem, script.cues, video, settings.render, script.language, dialogue
    )
    return replace(report, path=str(paths["video"])), stem_measure


def _write_scripts(script: Script, paths: dict[str, Path], out_dir: Path) -> None:
    """Every script format; those paired with the described video on its clock.

    The canonical JSON keeps both clocks per cue. DAPT stays on programme time:
    its script events are timed against the programme it describes, and the
    model has no way to say the programme pauses.
    """
    write_script(script, paths["script"])
    heard = on_described_clock(script.cues)
    note = clock_note("described", paths["video"].name, freezes_from_cues(script.cues))
    write_vtt(heard, paths["vtt"], note=note)
    write_srt(heard, paths["srt"])
    write_dapt(script, paths["dapt"], audio_dir=paths["dapt"].with_suffix(".audio"))
    write_ad_text(replace(script, cues=heard), paths["text"], clock_video=paths["video"].name)


def with_described_times(script: Script, info: VideoInfo) -> Script:
    """`script` with each cue's time in the described video and the described duration."""
    frame = 1.0 / info.fps if info.fps > 0 else 0.04
    cues = described_cues(script.cues, frame)
    extended = sum(f.seconds for f in plan_freezes(script.cues, frame))
    return replace(script, cues=cues, described_duration=round(info.duration + extended, 6))


def deliver(
    info: VideoInfo,
    script: Script,
    out_dir: Path,
    name: str,
    settings: NarrateSettings,
    work: WorkDir,
    dialogue: Sequence[SpeechSpan] = (),
) -> Deliverables:
    """Render (unless an identical render is already there), write every script format, check."""
    paths = output_paths(out_dir, name, output_container(info.path, settings.render.container))
    out_dir.mkdir(parents=True, exist_ok=True)
    key = stable_hash(
        "render",
        to_jsonable([replace(c, described_start=None, described_end=None) for c in script.cues]),
        settings.render,
        info.path,
        info.size_bytes,
        to_jsonable(list(dialogue), list[SpeechSpan]),
    )
    stamp = work.root / f"render-{name}-{key}.json"
    if stamp.exists() and paths["video"].exists() and paths["stem"].exists():
        log.info("render: reusing %s", paths["video"].name)
        report = from_jsonable(RenderReport, json.loads(stamp.read_text()))
        measured_stem = None
        script = with_described_times(script, info)
        _write_scripts(script, paths, out_dir)
    else:
        report, stem_measure = _render(info, script, paths, settings, dialogue)
        script = with_described_times(script, info)
        _write_scripts(script, paths, out_dir)
        # the picture and its stem take their real names last: a file under its final name is done
        move_atomic(_partial(paths["stem"]), paths["stem"])
        move_atomic(_partial(paths["video"]), paths["video"])
        # the files now hold this render: another render's stamp no longer describes them
        for stale in work.root.glob(f"render-{glob.escape(name)}-*.json"):
            stale.unlink(missing_ok=True)
        write_atomic(stamp, json.dumps(to_jsonable(report)))
        work.computed.append("render")
        measured_stem = replace(stem_measure.result(), path=str(paths["stem"]))
    hls, dash = _streaming(paths["video"], out_dir, name, script.language, settings)
    qc = _quality_check(info, script, paths, settings, report, dialogue, measured_stem)
    return Deliverables(
        report=report,
        passed_qc=qc.passed,
        hls=hls,
        dash=dash,
        qc_line=verdict_line(qc, paths["qc"]),
        **paths,
    )


def _streaming(
    video: Path, out_dir: Path, name: str, language: str, settings: NarrateSettings
) -> tuple[Path | None, Path | None]:
    """The HLS and DASH packages of the described video, where asked for."""
    default = settings.render.described_default
    hls = dash = None
    if settings.render.hls:
        hls = write_hls(video, out_dir / f"{name}.hls", language, described_default=default)
    if settings.render.dash:
        dash = write_dash(video, out_dir / f"{name}.dash", language, described_default=default)
    return hls, dash


def _quality_check(
    info: VideoInfo,
    script: Script,
    paths: dict[str, Path],
    settings: NarrateSettings,
    report: RenderReport,
    dialogue: Sequence[SpeechSpan],
    measured_stem: LoudnessCheck | None = None,
) -> QCReport:
    """`check` on what was delivered, written to NAME.qc.json."""
    qc = check_script(
        Path(info.path),
        script.cues,
        mix=paths["video"],
        stem=paths["stem"],
        preset=settings.render.loudness,
        speech=list(dialogue),
        speech_padding=settings.speech.padding,
        # the render measured the mix in its own timeline (longer when frozen): no second pass
        measured_mix=mix_as_rendered(
            paths["video"],
            loudness_preset(settings.render.loudness),
            report.integrated_lufs,
            report.dialogue_lufs,
            report.true_peak_dbtp,
            report.loudness_range_lu,
        ),
        measured_stem=measured_stem,
    )
    write_qc(qc, paths["qc"])
    for failure in qc.failures:
        log.info("QC: %s", failure)
    return qc
