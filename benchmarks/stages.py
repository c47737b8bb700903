"""Wall time of each narrate stage on a 60 s 720p clip, against one ffmpeg decode.

    python benchmarks/stages.py [--duration 60] [--size 1280x720] [--shots pyscenedetect]

Prints one line per stage and the sum of the non-model stages as a multiple of
`ffmpeg -i CLIP -f null -` (the physical floor: every pixel decoded once).
Model stages (speech detection, OCR, voice) are listed apart.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from autodescribe.analysis.frames import analyse_frames
from autodescribe.analysis.gaps import find_gaps, plan_slots
from autodescribe.analysis.onscreen_text import read_scene_text
from autodescribe.analysis.scenes import build_scenes
from autodescribe.analysis.speech import detect_speech
from autodescribe.analysis.transcript import transcribe_speech
from autodescribe.backends.voice import voice_for_language
from autodescribe.config import NarrateSettings
from autodescribe.media.probe import probe
from autodescribe.pipeline import make_describer, scene_inputs
from autodescribe.render.mix import build_narration, render_described
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import spread_plan
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.voicing.voice import SpeakSettings, speak_descriptions
from autodescribe.writing.describe import describe_scenes


def timed(
    label: str, table: list[tuple[str, float, bool]], model: bool, action: Callable[[], Any]
) -> Any:
    started = time.perf_counter()
    result = action()
    table.append((label, time.perf_counter() - started, model))
    return result


def ffmpeg_decode_seconds(clip: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "null", "-"],
        check=True,
    )
    return time.perf_counter() - started


def run(clip: Path, work_root: Path, shots: str) -> list[tuple[str, float, bool]]:
    settings = NarrateSettings()
    settings = settings.model_copy(
        update={"shots": settings.shots.model_copy(update={"detector": shots})}
    )
    work = WorkDir(work_root)
    table: list[tuple[str, float, bool]] = []
    info = timed("probe", table, False, lambda: probe(clip))
    frames = timed(
        f"frames ({shots} + stills)",
        table,
        shots == "transnetv2",
        lambda: analyse_frames(
            info, settings.shots, settings.scenes, work.folder("stills", "bench")
        ),
    )
    scenes = timed(
        "scenes", table, False, lambda: build_scenes(frames.shots, frames.stills, 2.0, 3)
    )
    speech = timed("speech (silero VAD)", table, True, lambda: detect_speech(info, settings.speech))
    timed(
        "transcript (whisper tiny.en)",
        table,
        True,
        lambda: transcribe_speech(info, speech.spans, settings.transcribe),
    )
    slots = timed(
        "gaps",
        table,
        False,
        lambda: plan_slots(
            scenes, find_gaps(speech.spans, info.duration, settings.gaps), settings.gaps
        ),
    )
    stills = {s.time: s.path for s in frames.stills}
    texts = timed("on-screen text (OCR)", table, True, lambda: read_scene_text(scenes, stills))
    inputs = scene_inputs(scenes, slots, texts, stills)
    describer = Lazy(lambda: make_describer(settings.describe))
    descriptions = timed(
        "describe (basic)",
        table,
        True,
        lambda: describe_scenes(inputs, describer, work, "bench", "en", 1),
    )
    slot_of = {i.scene.index: i.slot for i in inputs}
    items = [(d, slot_of[d.scene]) for d in descriptions if d.text]
    voice = Lazy(lambda: voice_for_language("en"))
    cues = timed(
        "voice (piper)",
        table,
        True,
        lambda: speak_descriptions(
            items,
            voice,
            describer,
            work,
            "bench",
            SpeakSettings(settings.voice, settings.fit, speech.dialogue_rms_db),
        ),
    )
    stem = work_root / "clip.ad.wav"
    timed("render: stem", table, False, lambda: build_narration(cues, info.duration, stem))
    timed(
        "render: mix + mux",
        table,
        False,
        lambda: render_described(
            info, stem, cues, work_root / "clip.described.mp4", settings.render, "en"
        ),
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--shots", default="pyscenedetect")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clip = root / "clip.mp4"
        make_sample_video(clip, size=(width, height), **spread_plan(args.duration))
        decode = min(ffmpeg_decode_seconds(clip) for _ in range(3))
        table = run(clip, root, args.shots)
    print(f"clip: {args.duration:.0f} s {args.size}; ffmpeg -f null decode: {decode:.2f} s")
    for label, seconds, model in table:
        tag = "  (model)" if model else ""
        print(f"  {label:<32} {seconds:7.2f} s  {seconds / decode:6.2f}x decode{tag}")
    plain = sum(s for _, s, m in table if not m)
    print(f"non-model stages: {plain:.2f} s = {plain / decode:.2f}x one ffmpeg decode")
    print(f"all stages: {sum(s for _, s, _ in table):.2f} s for {args.duration:.0f} s of video")


if __name__ == "__main__":
    main()
