"""The Ray runner on a local two-CPU Ray: the same worker, rows and resume as the local runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray runner needs Ray Data: pip install 'autodescribe[ray]'")
pytest.importorskip("ray.data", reason="the ray runner needs Ray Data: pip install 'ray[data]'")

from autodescribe.bulk.output import read_rows  # noqa: E402
from autodescribe.bulk.run import caption  # noqa: E402
from autodescribe.bulk.settings import CaptionSettings  # noqa: E402
from autodescribe.testing.samples import make_audio_only, make_corrupt, make_sample_video  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three good 4 s clips (cut at 2 s), random bytes named .mp4 and an audio-only .mp4."""
    folder = tmp_path_factory.mktemp("ray-videos")
    make_sample_video(
        folder / "a.mp4",
        duration=4.0,
        size=(320, 180),
        cuts=(2.0,),
        speech=(),
        texts=(),
        audio=False,
    )
    shutil.copy(folder / "a.mp4", folder / "b.mp4")
    shutil.copy(folder / "a.mp4", folder / "c.mp4")
    make_corrupt(folder / "noise.mp4", "noise")
    make_audio_only(folder / "voice.mp4", duration=1.0, speech=())
    return folder


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ray_rows_match_the_local_runner_and_resume(
    local_ray: None, dataset: Path, tmp_path: Path
) -> None:
    settings = CaptionSettings()
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    caption(dataset, local_out, settings, runner="local", workers=0)

    report = caption(dataset, ray_out, settings, runner="ray")

    assert (report.ok, report.failed, report.skipped) == (3, 2, 0)
    local, remote = read_rows(local_out), read_rows(ray_out)
    assert sorted(remote) == ["a.mp4", "b.mp4", "c.mp4", "noise.mp4", "voice.mp4"]
    for ident, row in local.items():
        same = ("status", "duration", "scenes", "summary", "model", "prompt_version", "error")
        assert {k: remote[ident][k] for k in same} == {k: row[k] for k in same}

    again = caption(dataset, ray_out, settings, runner="ray", retry_failed=True)
    assert (again.ok, again.failed, again.skipped) == (0, 2, 3)
    assert len(_lines(ray_out)) == 7


def test_ray_continues_a_file_the_local_runner_started(
    local_ray: None, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "captions.jsonl"
    manifest = tmp_path / "first.csv"
    manifest.write_text(f"path\n{dataset / 'a.mp4'}\n")
    caption(manifest, out, CaptionSettings(), runner="local", workers=0)
    first = out.read_bytes()
    everything = tmp_path / "all.csv"
    everything.write_text("path\n" + "".join(f"{dataset / n}.mp4\n" for n in "abc"))

    report = caption(everything, out, CaptionSettings(), runner="ray")

    assert (report.ok, report.skipped) == (2, 1)
    assert out.read_bytes().startswith(first)
    assert sorted(r["id"] for r in _lines(out)) == sorted(str(dataset / f"{n}.mp4") for n in "abc")


def test_ray_runs_a_tiny_smolvlm_like_the_local_runner(
    local_ray: None, dataset: Path, tmp_path: Path
) -> None:
    pytest.importorskip("transformers")
    from autodescribe.testing.tiny_models import build_model

    model = build_model("smolvlm", tmp_path / "smolvlm")
    settings = CaptionSettings(
        describer="transformers", model=str(model), frames=2, max_new_tokens=6, batch_size=4
    )
    manifest = tmp_path / "two.csv"
    manifest.write_text(f"path\n{dataset / 'a.mp4'}\n{dataset / 'noise.mp4'}\n")

    remote = caption(manifest, tmp_path / "ray.jsonl", settings, runner="ray")
    local = caption(manifest, tmp_path / "local.jsonl", settings, runner="local", workers=0)

    assert (remote.ok, remote.failed) == (local.ok, local.failed) == (1, 1)
    ray_rows, local_rows = read_rows(tmp_path / "ray.jsonl"), read_rows(tmp_path / "local.jsonl")
    for ident in ray_rows:
        assert ray_rows[ident]["scenes"] == local_rows[ident]["scenes"]
        assert ray_rows[ident]["model"] == local_rows[ident]["model"]
    good = ray_rows[str(dataset / "a.mp4")]
    assert good["prompt_version"] == "caption-short-2" and len(good["scenes"]) == 2
