"""`autodescribe caption` end to end on the local runner: rows, bad files, resume, kill."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autodescribe.bulk.output import read_rows
from autodescribe.bulk.run import caption
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.cli import app
from autodescribe.testing.samples import make_audio_only, make_corrupt, make_sample_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s, 320x180, silent, one cut at 2 s."""
    path = tmp_path_factory.mktemp("caption-media") / "clip.mp4"
    make_sample_video(
        path, duration=4.0, size=(320, 180), cuts=(2.0,), speech=(), texts=(), audio=False
    )
    return path


@pytest.fixture
def dataset(tmp_path: Path, clip: Path) -> Path:
    """Two good videos, random bytes named .mp4, an audio-only .mp4 and an empty file."""
    folder = tmp_path / "videos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(clip, folder / "good1.mp4")
    shutil.copy(clip, folder / "sub" / "good2.mp4")
    make_corrupt(folder / "noise.mp4", "noise")
    make_audio_only(folder / "voice.mp4", duration=1.0, speech=())
    (folder / "empty.mkv").write_bytes(b"")
    return folder


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["caption", *args])
    return result.exit_code, result.stderr


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_folder_run_writes_a_row_per_video_and_counts(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"

    code, stderr = _invoke(str(dataset), "--out", str(out), "--workers", "1")

    assert code == 0, stderr
    assert "2 ok, 3 failed, 0 already done" in stderr
    rows = {r["id"]: r for r in _lines(out)}
    assert sorted(rows) == ["empty.mkv", "good1.mp4", "noise.mp4", "sub/good2.mp4", "voice.mp4"]
    good = rows["sub/good2.mp4"]
    assert good["status"] == "ok" and good["error"] is None
    assert good["duration"] == pytest.approx(4.0)
    assert [(s["start"], s["end"]) for s in good["scenes"]] == [
        (0.0, pytest.approx(2.0, abs=0.05)),
        (pytest.approx(2.0, abs=0.05), 4.0),
    ]
    assert all(s["caption"] for s in good["scenes"]) and good["summary"]
    assert good["model"] == "basic-1" and good["timings"]["total"] > 0
    assert "audio-only" in rows["voice.mp4"]["error"]
    assert "empty" in rows["empty.mkv"]["error"]
    assert "not a readable video" in rows["noise.mp4"]["error"]


def test_rerun_skips_done_rows_and_retry_supersedes_failures(
    dataset: Path, tmp_path: Path, clip: Path
) -> None:
    out = tmp_path / "captions.jsonl"
    assert _invoke(str(dataset), "--out", str(out), "--workers", "0")[0] == 0
    first = out.read_bytes()

    code, stderr = _invoke(str(dataset), "--out", str(out), "--workers", "0")
    assert code == 0 and "0 ok, 0 failed, 5 already done" in stderr
    assert out.read_bytes() == first

    shutil.copy(clip, dataset / "noise.mp4")  # the broken file was replaced by a good copy
    code, stderr = _invoke(str(dataset), "--out", str(out), "--workers", "0", "--retry-failed")
    assert code == 0 and "1 ok, 2 failed, 2 already done" in stderr
    assert out.read_bytes().startswith(first)
    latest = read_rows(out)
    assert latest["noise.mp4"]["status"] == "ok"
    assert [r["status"] for r in _lines(out) if r["id"] == "noise.mp4"] == ["failed", "ok"]


def test_parquet_output_from_a_manifest_with_stride_clips(clip: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    shutil.copy(clip, tmp_path / "a.mp4")
    manifest = tmp_path / "list.jsonl"
    manifest.write_text(
        json.dumps({"id": "first", "path": "a.mp4"})
        + "\n"
        + json.dumps({"path": "gone.mp4"})
        + "\n"
    )
    out = tmp_path / "out" / "captions.parquet"

    code, stderr = _invoke(
        str(manifest), "--out", str(out), "--clips", "stride:1", "--frames", "1", "--workers", "0"
    )

    assert code == 0, stderr
    rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    assert rows["first"]["status"] == "ok"
    assert [(s["start"], s["end"]) for s in rows["first"]["scenes"]] == [
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
    ]
    assert rows["gone.mp4"]["status"] == "failed" and "no such file" in rows["gone.mp4"]["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--describer", "nope"], "'nope' is not one of"),
        (["--clips", "every:3"], "invalid option"),
        (["--out", "x.csv"], "name the output *.jsonl or *.parquet"),
    ],
)
def test_bad_options_fail_in_one_line(
    dataset: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = ["--out", str(tmp_path / "c.jsonl")] if "--out" not in args else []
    code, stderr = _invoke(str(dataset), *out, *args)

    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1


@pytest.fixture
def big_manifest(tmp_path: Path, clip: Path) -> Iterator[Path]:
    """Twelve copies of the clip listed in a CSV manifest with relative paths."""
    folder = tmp_path / "many"
    folder.mkdir()
    with (folder / "list.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "path"])
        for n in range(12):
            shutil.copy(clip, folder / f"v{n:02d}.mp4")
            writer.writerow([f"video-{n:02d}", f"v{n:02d}.mp4"])
    yield folder / "list.csv"


def _start(manifest: Path, out: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "autodescribe", "caption", str(manifest), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--workers", "1", "--batch-size", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill reaches its decoder too
    )


def test_sigkill_loses_only_videos_in_flight(big_manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "captions.jsonl"
    process = _start(big_manifest, out)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.read_bytes().count(b"\n") >= 1):
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "no row was written within a minute"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    killed = out.read_bytes()
    complete = killed[: killed.rfind(b"\n") + 1]
    done_before = [json.loads(line)["id"] for line in complete.splitlines()]
    assert 1 <= len(done_before) < 12
    with out.open("ab") as fh:  # as if the kill had landed in the middle of a row
        fh.write(b'{"id":"video-99","status":"o')

    rerun = subprocess.run(
        [sys.executable, "-m", "autodescribe", "caption", str(big_manifest), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert rerun.returncode == 0, rerun.stderr
    assert "already done" in rerun.stderr and f"{len(done_before)} already done" in rerun.stderr
    rows = _lines(out)
    ids = [r["id"] for r in rows]
    assert sorted(ids) == [f"video-{n:02d}" for n in range(12)]  # each once, torn row gone
    assert ids[: len(done_before)] == done_before
    assert all(r["status"] == "ok" for r in rows)


def test_transformers_describer_captions_with_the_prompt_template(
    clip: Path, tmp_path: Path
) -> None:
    pytest.importorskip("transformers")
    from autodescribe.testing.tiny_models import build_model

    model = build_model("smolvlm", tmp_path / "smolvlm")
    shutil.copy(clip, tmp_path / "a.mp4")
    shutil.copy(clip, tmp_path / "b.mp4")
    settings = CaptionSettings(
        describer="transformers", model=str(model), frames=2, prompt="detailed", max_new_tokens=6
    )
    out = tmp_path / "captions.jsonl"

    report = caption(f"{tmp_path}/*.mp4", out, settings, workers=0)

    assert (report.ok, report.failed) == (2, 0)
    rows = _lines(out)
    assert {r["prompt_version"] for r in rows} == {"caption-detailed-2"}
    assert {r["model"] for r in rows} == {str(model)}
    assert all(len(r["scenes"]) == 2 for r in rows)
    assert all(isinstance(s["caption"], str) for r in rows for s in r["scenes"])
    # greedy decoding of identical videos gives identical captions, batched or not
    assert rows[0]["scenes"] == rows[1]["scenes"]
    assert all(r["timings"]["describe"] > 0 for r in rows)
