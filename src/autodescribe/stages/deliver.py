"""Deliver: the narration stem, the described video and the script files.

The video is written last-but-scripts under a temporary name and renamed when
complete, so nothing that looks finished is left by a failed run. A render
whose inputs have not changed is not redone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from autodescribe.cache import WorkDir, stable_hash, write_atomic
from autodescribe.config import NarrateSettings
from autodescribe.formats.script_json import write_script
from autodescribe.formats.srt import write_srt
from autodescribe.formats.webvtt import write_vtt
from autodescribe.stages.render import RenderReport, build_narration, render_described
from autodescribe.types import Script, VideoInfo, from_jsonable, to_jsonable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deliverables:
    video: Path
    stem: Path
    script: Path
    vtt: Path
    srt: Path
    report: RenderReport

    def files(self) -> list[Path]:
        return [self.video, self.stem, self.script, self.vtt, self.srt]


def output_paths(out_dir: Path, name: str, container_suffix: str = ".mp4") -> dict[str, Path]:
    return {
        "video": out_dir / f"{name}.described{container_suffix}",
        "stem": out_dir / f"{name}.ad.wav",
        "script": out_dir / f"{name}.script.json",
        "vtt": out_dir / f"{name}.ad.vtt",
        "srt": out_dir / f"{name}.ad.srt",
    }


def deliver(
    info: VideoInfo,
    script: Script,
    out_dir: Path,
    name: str,
    settings: NarrateSettings,
    work: WorkDir,
) -> Deliverables:
    paths = output_paths(out_dir, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = stable_hash(
        "render", to_jsonable(script.cues, list), settings.render, info.path, info.size_bytes
    )
    stamp = work.root / f"render-{name}-{key}.json"
    if stamp.exists() and paths["video"].exists() and paths["stem"].exists():
        log.info("render: reusing %s", paths["video"].name)
        report = from_jsonable(RenderReport, json.loads(stamp.read_text()))
    else:
        build_narration(script.cues, info.duration, paths["stem"])
        report = render_described(
            info, paths["stem"], script.cues, paths["video"], settings.render, script.language
        )
        write_atomic(stamp, json.dumps(to_jsonable(report)))
        work.computed.append("render")
    write_script(script, paths["script"])
    write_vtt(script.cues, paths["vtt"])
    write_srt(script.cues, paths["srt"])
    return Deliverables(report=report, **paths)
