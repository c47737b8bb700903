"""`narrate` keeps resident memory bounded: frames and audio are streamed, never all held.

Peak RSS of the whole run (the narrate process or any child it waited for, from
the kernel via wait4) on a 1-minute and a 5-minute low-resolution clip must not
differ by more than a margin. Holding the 5-minute clip's frames would take
hundreds of MB (3,000 frames of 320x180 RGB are 520 MB); holding its 48 kHz
stereo audio as float32 would take 115 MB, 92 MB more than the 1-minute clip's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth, spread_plan

pytestmark = pytest.mark.slow

MARGIN_MB = 60.0
MINUTES = (1, 5)


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, SampleTruth]:
    """320x180 at 10 fps, with cuts, dialogue and captions spread over the whole length."""
    folder = tmp_path_factory.mktemp("long")
    return {
        minutes: make_sample_video(
            folder / f"long-{minutes}min.mp4",
            size=(320, 180),
            fps=10,
            **spread_plan(60.0 * minutes),
        )
        for minutes in MINUTES
    }


def _narrate_peak_mb(video: Path, out: Path) -> float:
    """Run `autodescribe narrate` to the end; its peak resident memory in MB."""
    out.mkdir(parents=True)
    # faces are looked for on a bounded number of keyframes per scene, one at a time: the
    # stage's memory does not grow with length, and leaving it out keeps this test's time down
    command = [sys.executable, "-m", "autodescribe", "narrate", str(video), "-o", str(out)]
    command += ["--characters", "off"]
    with (out / "stderr.txt").open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    tail = (out / "stderr.txt").read_text(errors="replace")[-2000:]
    assert process.returncode == 0, tail
    return usage.ru_maxrss / 1024  # KB on Linux


def _seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration / av.time_base)


def test_peak_memory_does_not_grow_with_length(
    long_clips: dict[int, SampleTruth],
    tmp_path: Path,
    passes_check,  # noqa: ANN001
) -> None:
    peaks = {}
    for minutes, truth in long_clips.items():
        out = tmp_path / f"{minutes}min"
        peaks[minutes] = _narrate_peak_mb(Path(truth.path), out)
        name = Path(truth.path).stem
        cues = json.loads((out / f"{name}.script.json").read_text())["cues"]
        frozen = sum(cue["extension"] for cue in cues)  # extended description adds time
        length = _seconds(out / f"{name}.described.mp4")
        assert length == pytest.approx(truth.duration + frozen, abs=0.2)
        # a caption every 20 s and a cut every 5 s: the whole length was described
        assert len(cues) >= minutes * 6, f"{len(cues)} cues for {minutes} min"
        assert cues[-1]["start"] > truth.duration - 30
        passes_check(out, name, truth.path)

    short, long = peaks[MINUTES[0]], peaks[MINUTES[-1]]
    assert long - short < MARGIN_MB, (
        f"peak RSS {short:.0f} MB for {MINUTES[0]} min but {long:.0f} MB for {MINUTES[-1]} min"
    )
