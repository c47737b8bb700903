"""Runs on one output never race, and reruns of one input agree to the millisecond.

Two runs on the same output folder (a double start, two terminals, a retry by a
script): the second stops at once naming the first one's pid, or waits for it
with `--wait`. A lock left by a killed run is free again. And two separate runs
of the same input with the default (neural) voice give the same cue times.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.testing.truth import SampleTruth

pytestmark = pytest.mark.slow


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "autodescribe", *args]


def _start(video: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    """A narrate run in its own process group; its stderr goes to OUT/../NAME.log (no pipe
    to fill up while nobody reads it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"run-{len(list(out.parent.glob('run-*.log')))}.log"
    with log.open("w") as stderr:
        return subprocess.Popen(
            _cli("narrate", video, "-o", str(out), "--voice", "espeak-ng", *extra),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )


def _wait_for_lock(out: Path, name: str, first: subprocess.Popen[str]) -> str:
    lock = out / f".{name}.autodescribe" / "lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()):
        assert first.poll() is None, "the first run ended before taking its lock"
        assert time.monotonic() < deadline, "the first run never took its lock"
        time.sleep(0.01)
    return lock.read_text().strip()


def _cues(script: Path) -> list[tuple[float, float, str]]:
    data = json.loads(script.read_text())
    return [(c["start"], c["end"], c["text"]) for c in data["cues"]]


def test_a_second_run_on_the_same_output_stops_at_once_naming_the_first(
    sample: SampleTruth, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _start(sample.path, out)
    try:
        pid = _wait_for_lock(out, "sample", first)
        assert pid == str(first.pid)
        started = time.monotonic()
        second = subprocess.run(
            _cli("narrate", sample.path, "-o", str(out)), capture_output=True, text=True
        )
        assert time.monotonic() - started < 15
        assert second.returncode == 1
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ")
        assert f"pid {pid}" in lines[0] and "--wait" in lines[0]
        assert first.wait(timeout=300) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)


def test_a_second_run_with_wait_runs_after_the_first_and_agrees(
    sample: SampleTruth, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _start(sample.path, out)
    try:
        _wait_for_lock(out, "sample", first)
        second = _start(sample.path, out, "--wait")
        assert second.wait(timeout=300) == 0
        assert first.wait(timeout=30) == 0
        waited = (tmp_path / "run-1.log").read_text()
        assert "waiting for pid" in waited and "QC: pass" in waited
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    result = CliRunner().invoke(
        app, ["check", sample.path, "--script", str(out / "sample.script.json")]
    )
    assert result.exit_code == 0, result.output


def test_a_lock_left_by_a_killed_run_is_taken_over(sample: SampleTruth, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _start(sample.path, out)
    _wait_for_lock(out, "sample", first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    rerun = subprocess.run(
        _cli("narrate", sample.path, "-o", str(out), "--voice", "espeak-ng"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "QC: pass" in rerun.stderr


def test_two_runs_of_one_input_give_the_same_cue_times_to_the_millisecond(
    sample: SampleTruth, tmp_path: Path
) -> None:
    scripts = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        video = folder / "film.mp4"
        shutil.copy(sample.path, video)
        done = subprocess.run(_cli("narrate", str(video)), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        scripts.append(_cues(folder / "film.script.json"))
    assert scripts[0] == scripts[1]
    assert len(scripts[0]) >= 2
