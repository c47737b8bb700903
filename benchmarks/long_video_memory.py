"""Peak memory and wall time of `narrate` on a long generated video, stage by stage.

    python benchmarks/long_video_memory.py [--minutes 60] [--size 320x180] [--fps 10]

Generates a low-resolution clip (cuts, dialogue and captions spread over its
length), times one `ffmpeg -i CLIP -f null -` decode of it (the physical floor),
runs the whole narrate pipeline in this process and samples resident memory
every 0.1 s. Each row is one progress bar of the pipeline, from its first
report to its last (bars of stages that run side by side overlap: see "from"):
when it started, its wall seconds, as a multiple of the decode, and the peak
resident memory of this process, of its largest child (ffmpeg) and of both
together while it ran. Memory that stays flat from a short to a long video
means frames and audio are streamed, not held.
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
from dataclasses import dataclass, field
from pathlib import Path

from autodescribe.config import NarrateJob, NarrateSettings, VoiceSettings
from autodescribe.pipeline import narrate
from autodescribe.util.progress import OVERALL, add_listener, remove_listener


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmRSS:\s+(\d+)", status)
    return int(found.group(1)) / 1024 if found else 0.0


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (ffmpeg and the like), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in parents.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(Path(w.decode()).name if n == 0 else w.decode() for n, w in enumerate(words))


@dataclass
class Segment:
    label: str
    started: float
    ended: float = 0.0
    finished: bool = False  # its bar reached its total
    peak_self: float = 0.0
    peak_child: float = 0.0
    peak_total: float = 0.0  # this process and every child, summed at one instant
    child: str = ""  # the command line of the largest child


@dataclass
class Sample:
    at: float
    own: float
    child: float
    total: float
    child_command: str


@dataclass
class Sampler:
    """Samples memory every 0.1 s and follows the pipeline's progress bars.

    Each bar is one segment, from its first report to its last; stages that run
    side by side (the soundtrack's beside the picture's) overlap, and a memory
    sample counts for every segment running at that instant.
    """

    started: float = field(default_factory=time.monotonic)
    segments: list[Segment] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def hear(self, label: str, done: float, total: float | None) -> None:
        if label == OVERALL:
            return
        now = time.monotonic() - self.started
        same = [s for s in self.segments if s.label == label]
        segment = same[-1] if same else None
        ended = total is not None and done >= total
        if segment is None or (segment.finished and not ended):  # a new bar of that label
            segment = Segment(label, now)
            self.segments.append(segment)
        segment.ended = now
        segment.finished = ended

    def run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            own = rss_mb(me)
            mine = command_line(me)  # a child between fork and exec shows our memory: skip it
            sizes = [(rss_mb(c), c) for c in children(me) if command_line(c) != mine]
            child, pid = max(sizes, default=(0.0, 0))
            total = own + sum(size for size, _ in sizes)
            at = time.monotonic() - self.started
            self.samples.append(Sample(at, own, child, total, command_line(pid) if pid else ""))

    def stop(self) -> None:
        self._stop.set()

    def rows(self, wall: float) -> list[Segment]:
        """The bars in the order they started, after the start-up before the first one,
        each with the peaks of the samples taken while it ran."""
        first = min((s.started for s in self.segments), default=wall)
        rows = [Segment("(start)", 0.0, first), *sorted(self.segments, key=lambda s: s.started)]
        for row in rows:
            for sample in self.samples:
                if row.started <= sample.at <= row.ended:
                    row.peak_self = max(row.peak_self, sample.own)
                    row.peak_total = max(row.peak_total, sample.total)
                    if sample.child > row.peak_child:
                        row.peak_child, row.child = sample.child, sample.child_command
        return rows


def generate(path: Path, minutes: float, size: tuple[int, int], fps: float) -> float:
    """Write the clip in a child process, so its memory is not counted as narrate's."""
    started = time.perf_counter()
    code = (
        "import sys; from autodescribe.testing.samples import make_sample_video; "
        "from autodescribe.testing.truth import spread_plan; "
        "make_sample_video(sys.argv[1], size=(int(sys.argv[2]), int(sys.argv[3])), "
        "fps=float(sys.argv[4]), **spread_plan(float(sys.argv[5])))"
    )
    args = [str(path), str(size[0]), str(size[1]), str(fps), str(minutes * 60.0)]
    subprocess.run([sys.executable, "-c", code, *args], check=True)
    return time.perf_counter() - started


def decode_seconds(video: Path, runs: int = 2) -> float:
    """The fastest of `runs` plain ffmpeg decodes of `video` (every stream, no output)."""
    import imageio_ffmpeg

    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video)]
        subprocess.run([*command, "-f", "null", "-"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def measure(video: Path, out_dir: Path, voice: str) -> tuple[Sampler, float]:
    """Run narrate on `video` with memory sampling; returns the samples and wall seconds."""
    settings = NarrateSettings(voice=VoiceSettings(voice=voice))
    sampler = Sampler()
    thread = threading.Thread(target=sampler.run, daemon=True)
    add_listener(sampler.hear)
    thread.start()
    try:
        narrate(NarrateJob(video=video, out_dir=out_dir, settings=settings))
    finally:
        sampler.stop()
        remove_listener(sampler.hear)
        thread.join()
    return sampler, time.monotonic() - sampler.started


def report(sampler: Sampler, wall: float, minutes: float, decode: float) -> None:
    print(f"one ffmpeg -f null decode: {decode:.1f} s")
    head = f"{'stage':<12} {'from s':>7} {'wall s':>8} {'x decode':>9} {'peak RSS MB':>12}"
    print(f"{head} {'child MB':>9} {'sum MB':>7}")
    for seg in sampler.rows(wall):
        took = seg.ended - seg.started
        line = f"{seg.label:<12} {seg.started:7.1f} {took:8.1f} {took / decode:9.2f}"
        line += f" {seg.peak_self:12.0f} {seg.peak_child:9.0f} {seg.peak_total:7.0f}"
        print(f"{line}  {seg.child[:60]}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # exact, from the kernel
    kids = max((s.child for s in sampler.samples), default=0.0)  # sampled
    both = max((s.total for s in sampler.samples), default=0.0)  # sampled
    print(
        f"narrate total: {wall:.1f} s for {minutes:g} min of video ({minutes * 60 / wall:.1f}x"
        f" real time) = {wall / decode:.2f}x one decode"
    )
    print(
        f"peak RSS: narrate (this process) {own:.0f} MB, largest child {kids:.0f} MB,"
        f" both together {both:.0f} MB (sampled)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--size", default="320x180", help="WIDTHxHEIGHT")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--voice", default="piper", help="piper | espeak-ng")
    parser.add_argument("--work", type=Path, help="keep the clip and outputs here")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="autodescribe-memory-") as scratch:
        root = args.work or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        video = root / f"long-{args.minutes:g}min-{width}x{height}-{args.fps:g}fps.mp4"
        if video.exists():
            print(f"reusing {video.name}")
        else:
            made = generate(video, args.minutes, (width, height), args.fps)
            print(f"generated {video.name}: {made:.1f} s ({width}x{height}, {args.fps:g} fps)")
        decode = decode_seconds(video)
        out = Path(tempfile.mkdtemp(prefix="out-", dir=root))  # fresh: nothing reused
        sampler, wall = measure(video, out, args.voice)
        report(sampler, wall, args.minutes, min(decode, decode_seconds(video, 1)))


if __name__ == "__main__":
    main()
