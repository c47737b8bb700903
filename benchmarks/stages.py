"""Wall time of each narrate stage, and of a whole `narrate`, against one ffmpeg decode.

    python benchmarks/stages.py [--duration 60] [--size 1280x720] [--shots pyscenedetect]
                                [--clip FILE] [--repeat N] [--no-narrate]

Prints one line per stage as a multiple of `ffmpeg -i CLIP -f null -` (the
physical floor: every pixel decoded once), the sum of the non-model stages, and
then a whole `autodescribe narrate --describer basic` of the same clip in a
child process: its wall time against the decode, and its peak resident memory
(the narrate process's own high-water mark from the kernel, and the sum over it
and its children such as ffmpeg, both read every 50 ms).

The decode is timed before and after the stages, three times each, and the
fastest is the yardstick: on a shared machine a slow decode would flatter
every ratio. With `--repeat N` each stage and the whole run keep their fastest
of N runs.

Beside each wall time is the CPU time it took (this process's threads and
the children it waited for, such as ffmpeg), against the decode's own CPU
time: on a machine shared with other work, wall times swing with the load
(the same stage 4.5 s one run, 7.6 s the next) while CPU times moved by
under a tenth, so CPU is the figure to compare changes by.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from autodescribe import config
from autodescribe.analysis.film import scene_inputs
from autodescribe.analysis.frames import analyse_frames
from autodescribe.analysis.gaps import find_gaps, plan_slots
from autodescribe.analysis.onscreen_text import read_scene_text
from autodescribe.analysis.scenes import build_scenes
from autodescribe.analysis.speech import detect_speech
from autodescribe.analysis.transcript import transcribe_speech
from autodescribe.backends.voice import voice_for_language
from autodescribe.config import NarrateSettings
from autodescribe.media.probe import probe
from autodescribe.pipeline import make_describer
from autodescribe.presets import preset as loudness_preset
from autodescribe.qc.loudness import mix_as_rendered
from autodescribe.qc.report import check_script
from autodescribe.render.mix import build_narration, render_described
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import spread_plan
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.voicing.voice import SpeakSettings, speak_descriptions
from autodescribe.writing.describe import describe_scenes

Table = list[tuple[str, float, float, bool]]  # (stage, wall s, CPU s, is a model stage)


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of the children it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, table: Table, model: bool, action: Callable[[], Any]) -> Any:
    started, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    table.append((label, time.perf_counter() - started, cpu_seconds() - cpu, model))
    return result


def ffmpeg_decode_seconds(clip: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `ffmpeg -f null` decode of `clip`."""
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "null", "-"],
        check=True,
    )
    return time.perf_counter() - started, cpu_seconds() - cpu


def characters_stage() -> Callable[..., Any] | None:
    """The characters stage, where this version of autodescribe has one."""
    try:
        from autodescribe.analysis.characters import characters_enabled, find_characters
    except ImportError:
        return None
    settings_class = getattr(config, "CharacterSettings", None)
    if settings_class is None:
        return None
    settings = settings_class()
    if not characters_enabled(settings):
        return None

    def run(scenes: Any, stills: Any, texts: Any, dialogue: Any, folder: Path) -> Any:
        return find_characters(scenes, stills, texts, dialogue, settings, folder)

    return run


def run(clip: Path, work_root: Path, shots: str) -> Table:
    """Each stage of narrate in turn, as the pipeline calls them, timed."""
    settings = NarrateSettings()
    settings = settings.model_copy(
        update={"shots": settings.shots.model_copy(update={"detector": shots})}
    )
    work = WorkDir(work_root)
    table: Table = []
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
    dialogue = timed(
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
    characters = characters_stage()
    if characters is not None:
        folder = work.folder("characters", "bench")
        timed(
            "characters (faces)",
            table,
            True,
            lambda: characters(scenes, stills, texts, dialogue, folder),
        )
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
    described = work_root / "clip.described.mp4"
    report = timed(
        "render: mix + mux",
        table,
        False,
        lambda: render_described(info, stem, cues, described, settings.render, "en", speech.spans),
    )
    preset = loudness_preset(settings.render.loudness)
    measured = mix_as_rendered(
        described,
        preset,
        report.integrated_lufs,
        report.dialogue_lufs,
        report.true_peak_dbtp,
        report.loudness_range_lu,
    )
    timed(
        "QC (check)",
        table,
        False,
        lambda: check_script(
            clip,
            cues,
            mix=described,
            stem=stem,
            preset=preset.name,
            speech=list(speech.spans),
            speech_padding=settings.speech.padding,
            measured_mix=measured,
        ),
    )
    return table


@dataclass
class WholeRun:
    wall: float
    cpu: float  # narrate and the children it waited for
    peak_self_mb: float  # the narrate process, its high-water mark from the kernel
    peak_tree_mb: float  # narrate plus every child alive at once, sampled


def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants, in MB, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        try:
            found = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            found = None
        total += int(found.group(1)) / 1024 if found else 0.0
        stack.extend(parents.get(pid, []))
    return total


def _high_water_mb(pid: int) -> float:
    """The most memory `pid` has held resident (VmHWM), in MB; 0 when it is gone.

    Not `ru_maxrss`: a process started by this one (fork, then exec) is charged this
    process's own resident memory at its exec, so the stages run above, with their
    models loaded here, would show as the narrate child's peak.
    """
    try:
        found = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0.0
    return int(found.group(1)) / 1024 if found else 0.0


def narrate_whole(clip: Path, out_dir: Path) -> WholeRun:
    """`autodescribe narrate CLIP --describer basic` in a child process, timed and sampled."""
    command = [sys.executable, "-m", "autodescribe", "narrate", str(clip)]
    command += ["--describer", "basic", "--out-dir", str(out_dir), "--force"]
    peak, own = [0.0], [0.0]
    done = threading.Event()
    log = out_dir.with_suffix(".log")
    started = time.perf_counter()
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
                own[0] = max(own[0], _high_water_mb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"narrate failed ({proc.returncode}):\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return WholeRun(wall, cpu, own[0], peak[0])


def fastest(tables: list[Table]) -> Table:
    """Per stage, the fastest of several runs (stages in the order of the first)."""
    return [
        (label, min(t[i][1] for t in tables), min(t[i][2] for t in tables), model)
        for i, (label, _, _, model) in enumerate(tables[0])
    ]


def report(
    args: argparse.Namespace,
    decodes: list[tuple[float, float]],
    table: Table,
    whole: list[WholeRun],
) -> None:
    decode = min(wall for wall, _ in decodes)
    decode_cpu = min(cpu for _, cpu in decodes)
    spread = ", ".join(f"{wall:.2f}" for wall, _ in decodes)
    print(
        f"clip: {args.duration:g} s {args.size}; ffmpeg -f null decode: {decode:.2f} s"
        f" wall, {decode_cpu:.2f} s CPU"
    )
    print(f"  (fastest of {spread} s, before and after; load average {os.getloadavg()[0]:.1f})")
    print(f"  {'stage':<32} {'wall':>9}  {'x decode':>8}  {'CPU':>8}  {'x decode':>8}")
    for label, seconds, cpu, model in table:
        tag = "  (model)" if model else ""
        print(
            f"  {label:<32} {seconds:7.2f} s  {seconds / decode:7.2f}x"
            f"  {cpu:6.2f} s  {cpu / decode_cpu:7.2f}x{tag}"
        )
    plain = sum(s for _, s, _, m in table if not m)
    plain_cpu = sum(c for _, _, c, m in table if not m)
    print(
        f"non-model stages: {plain:.2f} s = {plain / decode:.2f}x one ffmpeg decode"
        f" (CPU {plain_cpu:.2f} s = {plain_cpu / decode_cpu:.2f}x)"
    )
    print(f"all stages: {sum(s for _, s, _, _ in table):.2f} s for {args.duration:g} s of video")
    over = [label for label, s, _, _ in table if s > 3 * decode and not label.startswith("voice")]
    print(f"stages above 3x decode (voice aside): {', '.join(over) or 'none'}")
    if whole:
        best = min(whole, key=lambda w: w.wall)
        walls = ", ".join(f"{w.wall:.1f}" for w in whole)
        cpu = min(w.cpu for w in whole)
        print(
            f"narrate --describer basic: {best.wall:.2f} s wall = {best.wall / decode:.2f}x decode"
            f" (runs: {walls} s); CPU {cpu:.2f} s = {cpu / decode_cpu:.2f}x the decode's"
        )
        print(
            f"  peak RSS: narrate process {max(w.peak_self_mb for w in whole):.0f} MB;"
            f" with its children {max(w.peak_tree_mb for w in whole):.0f} MB (sampled)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--shots", default="pyscenedetect")
    parser.add_argument("--clip", type=Path, help="use this video instead of generating one")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    parser.add_argument("--no-narrate", action="store_true", help="skip the whole narrate run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clip = args.clip or root / "clip.mp4"
        if args.clip is None:
            width, height = (int(x) for x in args.size.split("x"))
            make_sample_video(clip, size=(width, height), **spread_plan(args.duration))
        else:
            info = probe(clip)
            args.duration, args.size = info.duration, f"{info.width}x{info.height}"
        decodes = [ffmpeg_decode_seconds(clip) for _ in range(3)]
        tables = []
        for n in range(args.repeat):
            tables.append(run(clip, root / f"stages-{n}", args.shots))
        whole = []
        if not args.no_narrate:
            for n in range(args.repeat):
                whole.append(narrate_whole(clip, root / f"narrate-{n}"))
        decodes += [ffmpeg_decode_seconds(clip) for _ in range(3)]
    report(args, decodes, fastest(tables), whole)


if __name__ == "__main__":
    main()
