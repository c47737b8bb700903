"""Every registered shot detector finds the generated cuts within one frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from autodescribe.analysis.frames import analyse_frames
from autodescribe.backends.shots import cuts_to_shots, shot_detectors
from autodescribe.config import SceneSettings, ShotSettings
from autodescribe.media.decode import iter_analysis_frames
from autodescribe.media.probe import probe
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth


@pytest.fixture(scope="module")
def many_cuts(media_dir: Path) -> SampleTruth:
    cuts = (1.2, 3.04, 5.48, 7.48, 9.0)
    return make_sample_video(media_dir / "cuts.mp4", duration=10.0, cuts=cuts, speech=(), texts=())


@pytest.mark.parametrize("name", shot_detectors.names())
def test_cuts_within_one_frame(name: str, many_cuts: SampleTruth) -> None:
    detector = shot_detectors.create(name)
    width, height = many_cuts.size
    frames = iter_analysis_frames(
        Path(many_cuts.path), detector.frame_size(width, height), detector.channel_order
    )
    found = [round(t * many_cuts.fps) for t in detector.detect(frames, many_cuts.fps)]
    assert len(found) == len(many_cuts.cut_frames), found
    for got, want in zip(found, many_cuts.cut_frames, strict=True):
        assert abs(got - want) <= 1


def test_transnetv2_leaves_global_torch_state_alone() -> None:
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    detector = shot_detectors.create("transnetv2")
    detector._load()
    assert torch.are_deterministic_algorithms_enabled() == before
    assert torch.equal(torch.rand(3), expected)


def test_frame_pass_keeps_stills_at_the_interval(many_cuts: SampleTruth, tmp_path: Path) -> None:
    info = probe(Path(many_cuts.path))
    result = analyse_frames(
        info, ShotSettings(), SceneSettings(still_interval=0.5, still_width=320), tmp_path
    )
    times = [s.time for s in result.stills]
    assert times[0] == 0.0 and len(times) == 20
    assert all(abs(b - a - 0.5) < 0.05 for a, b in zip(times, times[1:]))
    assert all(Path(s.path).stat().st_size > 1000 for s in result.stills)
    assert result.shots[0].start == 0.0 and result.shots[-1].end == info.duration
    assert len(result.shots) == len(many_cuts.cut_frames) + 1


def test_cuts_to_shots_covers_the_programme() -> None:
    shots = cuts_to_shots([2.0, 5.0], 8.0)
    assert [(s.start, s.end) for s in shots] == [(0.0, 2.0), (2.0, 5.0), (5.0, 8.0)]
