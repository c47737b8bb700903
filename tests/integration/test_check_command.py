"""`autodescribe check` on generated media: a good narration passes, bad scripts fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.render.mix import measure_loudness
from autodescribe.testing.truth import SampleTruth

runner = CliRunner()

# A script a careless describer might write for the sample (dialogue at about 1.05-2.35 s
# and 8.68-9.58 s, 12 s long): one cue on the first line, one with "We see", one that
# runs past the end, one that runs into the next cue, and one good cue in a silence.
BAD_VTT = """WEBVTT

00:00:01.000 --> 00:00:02.400
A man waits by the door.

00:00:04.000 --> 00:00:05.500
We see a man opening a door.

00:00:05.200 --> 00:00:06.800
A sign glows above him.

00:00:10.000 --> 00:00:11.500
A pink room.

00:00:11.600 --> 00:00:13.000
The lights go out.
"""


def check(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def set_loudness(described: Path, target: float, out: Path) -> None:
    """Copy a described video with its AD track brought to `target` LUFS by one exact gain."""
    measured = measure_loudness(described).integrated_lufs
    assert measured is not None
    args = ["-i", str(described), "-map", "0", "-c", "copy", "-c:a:0", "aac", "-b:a:0", "192k"]
    args += ["-filter:a:0", f"volume={target - measured:.2f}dB", str(out)]
    run_ffmpeg(args, "set loudness")


@pytest.fixture(scope="module")
def narrated(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """narrate's outputs for the sample, plus its described video at -23 and at -33 LUFS.

    Setting the level here keeps the pass and fail cases about `check`, whatever
    loudness narrate's own mix ends up at.
    """
    out = tmp_path_factory.mktemp("narrated")
    result = runner.invoke(app, ["narrate", sample.path, "-o", str(out)])
    assert result.exit_code == 0, result.output
    set_loudness(out / "sample.described.mp4", -23.0, out / "sample.ebu.mp4")
    set_loudness(out / "sample.described.mp4", -33.0, out / "sample.quiet.mp4")
    return out


@pytest.fixture(scope="module")
def mixes(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample's own audio as a mix, and the same with a loud tone between the lines."""
    folder = tmp_path_factory.mktemp("mixes")
    audio = read_audio(Path(sample.path), 48000, channels=2)
    plain, loud = folder / "plain.wav", folder / "tone.wav"
    write_wav(plain, audio, 48000)
    t = np.arange(round(3.5 * 48000)) / 48000
    tone = audio.copy()
    tone[4 * 48000 : 4 * 48000 + len(t)] += (0.5 * np.sin(2 * np.pi * 1000 * t))[:, None]
    write_wav(loud, tone, 48000)
    return {"plain": plain, "tone": loud}


def report_of(out: Path, name: str = "sample") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / f"{name}.qc.json").read_text(encoding="utf-8"))
    return data


def test_narrated_and_normalised_output_passes(narrated: Path, tmp_path: Path) -> None:
    code, stdout, _ = check(
        str(narrated / "sample.ebu.mp4"), "--script", str(narrated / "sample.script.json"),
        "-o", str(tmp_path),
    )  # fmt: skip
    report = report_of(tmp_path)
    assert code == 0, report["failures"]
    assert report["passed"] is True and report["failures"] == []
    assert report["cues"] and all(c["dialogue_overlap_ms"] == 0 for c in report["cues"])
    mix, stem = report["loudness"]
    assert mix["what"] == "mix" and mix["stream"] == 0 and mix["gating"] == "programme"
    assert abs(mix["integrated_lufs"] + 23.0) <= 0.5 and mix["true_peak_dbtp"] <= -1.0
    assert stem["what"] == "stem" and stem["path"].endswith("sample.ad.wav")
    # dialogue came from the original programme (track 2), not from the mix with narration
    assert any("audio track 2" in note for note in report["notes"])
    figures = report["figures"]
    assert 0 < figures["narration_seconds"] <= figures["usable_gap_seconds"]
    assert figures["narration_in_gaps_seconds"] == pytest.approx(figures["narration_seconds"])
    assert stdout.rstrip().splitlines()[-1].startswith("PASS")


def test_narrate_output_passes_as_delivered(
    narrated: Path,
    sample: SampleTruth,
    passes_check,  # noqa: ANN001
) -> None:
    passes_check(narrated, "sample", sample.path)


def test_quiet_mix_fails_on_loudness(narrated: Path, tmp_path: Path) -> None:
    code, stdout, _ = check(
        str(narrated / "sample.quiet.mp4"), "--script", str(narrated / "sample.script.json"),
        "-o", str(tmp_path),
    )  # fmt: skip
    report = report_of(tmp_path)
    assert code == 1 and report["passed"] is False
    (failure,) = report["failures"]
    assert failure.startswith("mix: integrated -33.") and "outside -23 ±1 (ebu)" in failure
    assert "FAIL: mix: integrated" in stdout


def test_overlapping_script_fails(sample: SampleTruth, tmp_path: Path) -> None:
    script = tmp_path / "careless.ad.vtt"
    script.write_text(BAD_VTT, encoding="utf-8")
    code, stdout, _ = check(sample.path, "--script", str(script), "--json")
    assert code == 1
    report = json.loads(stdout)
    assert report == report_of(tmp_path, "careless")
    on_line, we_see, sign, good, late = report["cues"]
    first_line = sample.speech_spans[0]
    spoken_ms = (min(2.4, first_line.end) - max(1.0, first_line.start)) * 1000
    assert on_line["dialogue_overlap_ms"] == pytest.approx(spoken_ms, abs=150)
    assert on_line["dialogue_overlap_ms"] > 100 and not on_line["passed"]
    assert any("overlaps dialogue" in line for line in on_line["failures"])
    assert [r["rule"] for r in we_see["rules"]] == ["we-see"] and not we_see["passed"]
    assert any("past the end" in line for line in late["failures"])
    assert any("cues 2 and 3 overlap by 0.300 s" in line for line in report["failures"])
    assert good["passed"] and good["dialogue_overlap_ms"] == 0 and sign["passed"]
    assert report["loudness"] == [] and report["passed"] is False


def test_netflix_measures_the_mix_over_dialogue(
    sample: SampleTruth, mixes: dict[str, Path], tmp_path: Path
) -> None:
    """A loud tone between the lines moves the programme loudness, not the dialogue loudness."""
    script = tmp_path / "tone.ad.vtt"
    script.write_text("WEBVTT\n\n00:00:04.000 --> 00:00:06.000\nA cyan room.\n", "utf-8")
    figures = {}
    for mix, preset in (("plain", "netflix"), ("tone", "netflix"), ("tone", "ebu")):
        code, stdout, _ = check(
            sample.path, "--script", str(script), "--mix", str(mixes[mix]),
            "--preset", preset, "--json",
        )  # fmt: skip
        assert code == 1  # neither mix is normalised
        (item,) = json.loads(stdout)["loudness"]
        figures[mix, preset] = item
    assert figures["tone", "netflix"]["gating"] == "dialogue"
    assert figures["tone", "ebu"]["gating"] == "programme"
    gated = [figures[m, "netflix"]["integrated_lufs"] for m in ("plain", "tone")]
    assert gated[0] == pytest.approx(gated[1], abs=0.5)
    assert figures["tone", "ebu"]["integrated_lufs"] > gated[1] + 6


def test_missing_script_is_bad_input(sample: SampleTruth, tmp_path: Path) -> None:
    code, stdout, stderr = check(sample.path, "--script", str(tmp_path / "nope.vtt"))
    assert code == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no such script")


def test_unreadable_video_is_bad_input(tmp_path: Path) -> None:
    script = tmp_path / "film.ad.vtt"
    script.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA door.\n", "utf-8")
    (tmp_path / "film.mp4").write_bytes(b"not a video at all")
    code, _, stderr = check(str(tmp_path / "film.mp4"), "--script", str(script))
    assert code == 2 and stderr.startswith("error: film.mp4 is not a readable video")
    assert not (tmp_path / "film.qc.json").exists()


def test_video_without_audio_has_no_dialogue_to_overlap(
    sample_no_audio: SampleTruth, tmp_path: Path
) -> None:
    script = tmp_path / "silent.srt"
    script.write_text("1\n00:00:01,000 --> 00:00:03,000\nA yellow room.\n", "utf-8")
    code, stdout, _ = check(sample_no_audio.path, "--script", str(script))
    report = report_of(tmp_path, "silent")
    assert code == 0 and report["passed"] is True
    assert report["figures"]["dialogue_seconds"] == 0
    assert report["figures"]["usable_gap_seconds"] == pytest.approx(sample_no_audio.duration)
    assert "the video has no audio" in stdout
