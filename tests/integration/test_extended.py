"""Extended description: a scene with no pause in its dialogue gets a frozen picture.

The clip's second scene is talked over from its cut to its end, so the only
way to describe it is to stop the programme (the third scene is quiet, so its
description comes after the freeze, later in the described video than in the
programme): the output must grow by exactly
the extension, the picture must hold while the narration plays, the programme
audio must pause with it, and the dialogue must come back intact afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from autodescribe.config import FitSettings, NarrateJob, NarrateSettings
from autodescribe.media.audio import read_audio
from autodescribe.pipeline import narrate
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth

RATE = 16000
LINES = (
    (3.2, "We should leave before it gets dark."),
    (5.4, "Did you hear that noise outside?"),
    (7.4, "I think the car is still in the garage."),
)


@pytest.fixture(scope="module")
def talky(tmp_path_factory: pytest.TempPathFactory) -> SampleTruth:
    folder = tmp_path_factory.mktemp("extended")
    return make_sample_video(
        folder / "talky.mp4", duration=13.0, cuts=(3.0, 10.0), speech=LINES, texts=(), bed=False
    )


@pytest.fixture(scope="module")
def extended(talky: SampleTruth) -> tuple[Path, dict]:
    out = Path(talky.path).parent / "out"
    result = narrate(NarrateJob(video=Path(talky.path), out_dir=out))
    (out / "report.json").write_text(json.dumps({"video": result.outputs["en"].report.video}))
    return out, json.loads((out / "talky.script.json").read_text())


def _packets(path: Path) -> list[tuple[bytes, bool]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.pts is not None]
        found = [(p.pts, bytes(p), p.is_keyframe) for p in packets]
    return [(data, key) for _, data, key in sorted(found)]


def _frames(path: Path, start: float, end: float) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [
            frame.to_ndarray(format="gray").astype(np.int16)
            for frame in container.decode(video=0)
            if start <= float(frame.time) < end
        ]


def _onsets(samples: np.ndarray, threshold: float = 0.02) -> float:
    return float(np.flatnonzero(np.abs(samples) > threshold)[0] / RATE)


def test_the_talked_over_scene_is_described_over_a_frozen_picture(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    _, script = extended
    frozen = [c for c in script["cues"] if c["extension"] > 0]
    assert len(frozen) == 1
    cue = frozen[0]
    assert cue["scene"] == 1
    assert cue["start"] == pytest.approx(3.0, abs=1 / talky.fps)
    assert not any(s.start < cue["start"] < s.end for s in talky.speech_spans)
    # the freeze lasts at least as long as the narration, in whole frames
    assert cue["extension"] >= cue["end"] - cue["start"] - 1e-6
    assert round(cue["extension"] * talky.fps, 6).is_integer()


def test_output_is_longer_by_exactly_the_extension(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    out, script = extended
    added = sum(c["extension"] for c in script["cues"])
    with av.open(str(out / "talky.described.mp4")) as container:
        durations = [float(s.duration * s.time_base) for s in container.streams]
        frames = container.streams.video[0].frames
    frame = 1 / talky.fps
    assert frames == round((talky.duration + added) * talky.fps)
    for seconds in durations:  # picture and both audio tracks end together
        assert seconds == pytest.approx(talky.duration + added, abs=frame)


def test_picture_holds_while_the_narration_plays(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    out, script = extended
    cue = next(c for c in script["cues"] if c["extension"] > 0)
    before = sum(c["extension"] for c in script["cues"] if c["start"] < cue["start"])
    start = cue["start"] + before
    held = _frames(out / "talky.described.mp4", start, start + cue["extension"])
    assert len(held) == round(cue["extension"] * talky.fps) + 0  # every frozen frame
    changes = [float(np.abs(a - b).mean()) for a, b in zip(held, held[1:], strict=False)]
    assert max(changes) < 0.5, "the frozen frames must be identical"
    moving = _frames(Path(talky.path), 3.2, 4.0)
    motion = [float(np.abs(a - b).mean()) for a, b in zip(moving, moving[1:], strict=False)]
    assert min(motion) > 2 * max(changes), "outside the freeze the picture moves"
    stem = read_audio(out / "talky.ad.wav", RATE, channels=1)
    window = stem[round(start * RATE) : round((start + cue["extension"]) * RATE)]
    assert np.abs(window).max() > 0.05, "the narration plays during the freeze"


def test_programme_pauses_with_the_picture_and_resumes_intact(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    out, script = extended
    added = sum(c["extension"] for c in script["cues"])
    original = read_audio(Path(talky.path), RATE, channels=1)
    kept = read_audio(out / "talky.described.mp4", RATE, channels=1, stream_index=1)
    first_line = talky.speech_spans[0].start
    assert _onsets(kept) == pytest.approx(_onsets(original) + added, abs=0.03)
    assert _onsets(kept) == pytest.approx(first_line + added, abs=0.05)
    cue = next(c for c in script["cues"] if c["extension"] > 0)
    frozen = kept[round(cue["start"] * RATE) : round((cue["start"] + cue["extension"]) * RATE)]
    assert np.abs(frozen).max() < 0.01, "the original track is silent while the picture holds"


def test_extension_off_leaves_the_scene_undescribed(talky: SampleTruth, tmp_path: Path) -> None:
    settings = NarrateSettings(fit=FitSettings(extended="off"))
    narrate(NarrateJob(video=Path(talky.path), out_dir=tmp_path, settings=settings))
    script = json.loads((tmp_path / "talky.script.json").read_text())
    assert all(c["extension"] == 0 for c in script["cues"])
    assert all(c["scene"] != 1 for c in script["cues"])
    with av.open(str(tmp_path / "talky.described.mp4")) as container:
        assert float(container.duration / 1e6) == pytest.approx(talky.duration, abs=1 / talky.fps)


def _without_parameter_sets(packet: bytes) -> bytes:
    """An AVCC packet without its SPS and PPS NAL units (types 7 and 8)."""
    kept, pos = b"", 0
    while pos + 4 <= len(packet):
        size = int.from_bytes(packet[pos : pos + 4], "big")
        unit = packet[pos : pos + 4 + size]
        if unit[4] & 0x1F not in (7, 8):
            kept += unit
        pos += 4 + size
    return kept


def test_only_the_frozen_gop_is_encoded_again(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    out, script = extended
    report = json.loads((out / "report.json").read_text())
    assert report["video"].startswith("stream-copied except")
    source, described = _packets(Path(talky.path)), _packets(out / "talky.described.mp4")
    added = round(sum(c["extension"] for c in script["cues"]) * talky.fps)
    assert len(described) == len(source) + added

    def copied(a: tuple[bytes, bool], b: tuple[bytes, bool]) -> bool:
        # a copied keyframe gains its parameter sets in-band; every other byte is the source's
        return a[0] == b[0] or (a[1] and b[1] and _without_parameter_sets(b[0]) == a[0])

    before = next(i for i, pair in enumerate(zip(source, described)) if not copied(*pair))
    after = next(
        i for i, pair in enumerate(zip(reversed(source), reversed(described))) if not copied(*pair)
    )
    gop = round(talky.fps * 2)  # the sample's keyframe interval
    assert before >= gop and after >= gop
    assert before + after >= len(source) - gop, "only the GOP holding the freeze is encoded again"


def _heard_onset(mix: np.ndarray, quiet: np.ndarray, start: float, end: float) -> float | None:
    """First moment in [start, end) where the described mix sounds and the programme is silent."""
    a, b = max(0, round(start * RATE)), round(end * RATE)
    loud = np.flatnonzero((np.abs(mix[a:b]) > 0.02) & (np.abs(quiet[a:b]) < 0.005))
    return (a + int(loud[0])) / RATE if loud.size else None


def _lead_in(wav: Path) -> float:
    samples = read_audio(wav, RATE, channels=1)
    return float(np.flatnonzero(np.abs(samples) > 0.02)[0] / RATE)


def test_vtt_and_srt_sit_where_the_narration_is_heard_in_the_described_video(
    talky: SampleTruth, extended: tuple[Path, dict]
) -> None:
    import pysrt
    import webvtt

    out, script = extended
    described = out / "talky.described.mp4"
    mix = read_audio(described, RATE, channels=1, stream_index=0)
    programme = read_audio(described, RATE, channels=1, stream_index=1)
    vtt = webvtt.read(str(out / "talky.ad.vtt"))
    srt = pysrt.open(str(out / "talky.ad.srt"))
    assert len(vtt) == len(srt) == len(script["cues"]) >= 2
    frame = 1 / talky.fps
    for cue, track, sub in zip(script["cues"], vtt, srt, strict=True):
        start = _seconds(track.start)
        assert sub.start.ordinal / 1000 == pytest.approx(start, abs=0.001)
        heard = _heard_onset(mix, programme, start - 0.5, start + 1.0)
        assert heard is not None, f"no narration heard near {start:.3f} s"
        # the cue starts when its audio starts: its first word follows after the voice's lead-in
        assert heard == pytest.approx(start + _lead_in(Path(cue["audio"])), abs=frame + 0.01)
    # a cue after the freeze is later in the described video than in the programme
    last = script["cues"][-1]
    assert last["described_start"] == pytest.approx(last["start"] + added_before(script, last))
    assert _seconds(vtt[-1].start) == pytest.approx(last["described_start"], abs=0.001)


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def added_before(script: dict, cue: dict) -> float:
    return sum(c["extension"] for c in script["cues"] if c["start"] < cue["start"] - 1e-9)


def test_cues_never_overlap_on_either_clock(extended: tuple[Path, dict]) -> None:
    _, script = extended
    cues = script["cues"]
    for first, second in zip(cues, cues[1:], strict=False):
        assert first["end"] <= second["start"] + 0.001
        assert first["described_end"] <= second["described_start"] + 0.001


def test_check_passes_our_files_and_fails_a_vtt_on_the_wrong_clock(
    talky: SampleTruth, extended: tuple[Path, dict], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from autodescribe.cli import app

    out, script = extended
    described = str(out / "talky.described.mp4")
    runner = CliRunner()
    for video, name in ((talky.path, "talky.script.json"), (described, "talky.ad.vtt")):
        result = runner.invoke(
            app, ["check", video, "--script", str(out / name), "-o", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
    # the same cues at programme times, paired with the described video: off after the freeze
    wrong = tmp_path / "programme.vtt"
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(script["cues"], start=1):
        lines += [
            str(number),
            f"{_ts(cue['start'])} --> {_ts(cue['start'] + cue['described_end'] - cue['described_start'])}",
        ]
        lines += [cue["text"], ""]
    wrong.write_text("\n".join(lines))
    stem = str(out / "talky.ad.wav")
    result = runner.invoke(
        app, ["check", described, "--script", str(wrong), "--stem", stem, "-o", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "timeline of the media it is paired with" in result.output


def _ts(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
