"""End to end: `autodescribe narrate` on generated media, checked the way a user would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.formats.srt import read_srt
from autodescribe.formats.webvtt import read_vtt
from autodescribe.media.audio import read_wav
from autodescribe.testing.truth import SampleTruth

runner = CliRunner()
PADDING = 0.15


def narrate(video: Path, out: Path, *args: str) -> list[Path]:
    result = runner.invoke(app, ["narrate", str(video), "-o", str(out), *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def narrated(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("narrated")
    narrate(Path(sample.path), out)
    return out


def test_deliverables_are_written(narrated: Path) -> None:
    names = sorted(p.name for p in narrated.iterdir() if not p.name.startswith("."))
    assert names == [
        "sample.ad.srt",
        "sample.ad.txt",
        "sample.ad.vtt",
        "sample.ad.wav",
        "sample.dapt.audio",  # the DAPT script's per-cue recordings, referenced relatively
        "sample.dapt.ttml",
        "sample.described.mp4",
        "sample.qc.json",
        "sample.script.json",
    ]
    qc = json.loads((narrated / "sample.qc.json").read_text())
    assert qc["passed"], qc["failures"]
    assert qc["figures"]["dialogue_overlap_ms"] == 0


def test_check_passes_the_result_on_both_clocks(
    narrated: Path,
    sample: SampleTruth,
    passes_check,  # noqa: ANN001
) -> None:
    passes_check(narrated, "sample", sample.path)


def test_script_json_has_timed_cues(narrated: Path, sample: SampleTruth) -> None:
    script = json.loads((narrated / "sample.script.json").read_text())
    assert {"version", "video", "language", "cues"} <= script.keys()
    assert script["video"] == "sample.mp4" and script["language"] == "en"
    assert script["cues"], "the sample has silent stretches long enough to describe"
    for cue in script["cues"]:
        assert 0 <= cue["start"] < cue["end"] <= sample.duration
        assert cue["text"].strip()
    # the on-screen caption is read out in the scene that shows it
    assert any("EXIT 12" in c["text"] for c in script["cues"] if 4.0 <= c["start"] < 8.0)


def test_no_narration_over_dialogue(narrated: Path, sample: SampleTruth) -> None:
    stem, rate = read_wav(narrated / "sample.ad.wav")
    level = np.abs(stem).max(axis=1)
    assert level.max() > 0.05, "the stem holds narration"
    for span in sample.speech_spans:
        lo, hi = int((span.start - PADDING) * rate), int((span.end + PADDING) * rate)
        assert level[max(0, lo) : hi].max() < 1e-3, f"narration inside dialogue at {span}"


def test_described_video_tracks(narrated: Path, sample: SampleTruth) -> None:
    with av.open(str(narrated / "sample.described.mp4")) as out, av.open(sample.path) as src:
        assert len(out.streams.video) == 1 and len(out.streams.audio) == 2
        assert out.streams.video[0].codec_context.name == src.streams.video[0].codec_context.name
        described, original = out.streams.audio
        assert "visual_impaired" in described.disposition.name.lower().split("|") or (
            described.disposition & av.stream.Disposition.visual_impaired
        )
        assert described.disposition & av.stream.Disposition.default
        assert not original.disposition & av.stream.Disposition.visual_impaired
        # MP4 keeps a track title as its name ("name" udta box and handler name)
        title = described.metadata.get("title") or described.metadata.get("handler_name")
        assert title == "English - Audio Description"
        assert described.metadata.get("language") == "eng"
        duration = float(out.duration / av.time_base)
    assert abs(duration - sample.duration) <= 1 / sample.fps + 0.03


def test_vtt_and_srt_agree_with_script(narrated: Path) -> None:
    script = json.loads((narrated / "sample.script.json").read_text())
    expected = [(round(c["start"], 3), round(c["end"], 3), c["text"]) for c in script["cues"]]
    for cues in (read_vtt(narrated / "sample.ad.vtt"), read_srt(narrated / "sample.ad.srt")):
        assert [(round(c.start, 3), round(c.end, 3), c.text) for c in cues] == expected


def test_rerun_reuses_every_stage(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
) -> None:
    server = start_server("--obey-budget")
    video = tmp_path / "film.mp4"
    shutil.copy(sample.path, video)
    args = ["--describer", "openai", "--base-url", server.url]

    def describe_requests() -> int:  # requests with frames; shortening requests carry none
        return sum(1 for r in server.stats()["requests"] if r["images"] > 0)

    narrate(video, tmp_path, *args)
    first, calls = describe_requests(), server.stats()["chat_requests"]
    assert first >= 2
    script = json.loads((tmp_path / "film.script.json").read_text())
    # model describers look, then write: the server's notes became the lines
    assert all(c["notes"].startswith("A person waits at door") for c in script["cues"])
    assert any("waits at door" in c["text"] for c in script["cues"]), "lines came from the server"
    prompts = [r["prompt"] for r in server.stats()["requests"] if r["images"] > 0]
    assert any("keys" in p.lower() for p in prompts), "the transcribed dialogue reaches the prompt"
    assert any("EXIT 12" in p for p in prompts), "on-screen text reaches the prompt"
    assert script["title"], "the script carries a title written by the model"
    narrate(video, tmp_path, *args)
    assert server.stats()["chat_requests"] == calls, "a rerun must not call the describer again"
    narrate(video, tmp_path, *args, "--voice", "espeak-ng")
    assert describe_requests() == first, "a new voice re-speaks without describing"
    narrate(video, tmp_path, *args, "--force")
    assert describe_requests() == 2 * first
    passes_check(tmp_path, "film", video)
    # candidates change only the writing: the notes are reused, one write request per line asks n
    server.reset()
    narrate(video, tmp_path, *args, "--candidates", "4")
    writes = [r for r in server.stats()["requests"] if "Notes on this scene" in r["prompt"]]
    assert writes and all(r["n"] == 4 and r["images"] == 0 for r in writes)
    assert describe_requests() == 0 and len(writes) == first, "no look again, one write a scene"
    script = json.loads((tmp_path / "film.script.json").read_text())
    assert all(c["notes"].startswith("A person waits at door") for c in script["cues"])
    assert any(c["candidates"] for c in script["cues"]), "the lines not chosen are kept"
    passes_check(tmp_path, "film", video)


def test_video_without_audio(
    sample_no_audio: SampleTruth,
    tmp_path: Path,
    passes_check,  # noqa: ANN001
) -> None:
    narrate(Path(sample_no_audio.path), tmp_path)
    with av.open(str(tmp_path / "silent film.described.mp4")) as out:
        assert len(out.streams.audio) == 1
        assert out.streams.audio[0].disposition & av.stream.Disposition.visual_impaired
    passes_check(tmp_path, "silent film", sample_no_audio.path)


@pytest.mark.parametrize("kind", ["missing", "empty", "noise", "truncated", "audio-only"])
def test_bad_input_is_one_clear_line(kind: str, sample: SampleTruth, tmp_path: Path) -> None:
    from autodescribe.testing.samples import make_audio_only, make_corrupt

    video = tmp_path / "bad.mp4"
    if kind == "empty":
        video.write_bytes(b"")
    elif kind == "noise":
        make_corrupt(video, "noise")
    elif kind == "truncated":
        make_corrupt(video, "truncated", source=sample.path)
    elif kind == "audio-only":
        video = tmp_path / "bad.m4a"
        make_audio_only(video)
    result = runner.invoke(app, ["narrate", str(video), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and video.name in lines[0]
    assert "Traceback" not in result.output
    out = tmp_path / "out"
    assert not out.exists() or not any(
        p.name.endswith((".mp4", ".wav", ".json")) for p in out.iterdir()
    )


def test_unknown_describer_lists_choices(sample: SampleTruth, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["narrate", sample.path, "-o", str(tmp_path), "--describer", "nope"]
    )
    assert result.exit_code == 2  # a usage error
    assert len(result.stderr.strip().splitlines()) == 1
    assert "basic" in result.stderr and "openai" in result.stderr


def test_two_languages_get_their_own_deliverables(
    sample: SampleTruth,
    tmp_path: Path,
    passes_check,  # noqa: ANN001
) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copy(sample.path, video)
    narrate(video, tmp_path, "--language", "en", "--language", "pl")
    for code, tag, name in (("en", "eng", "English"), ("pl", "pol", "Polish")):
        script = json.loads((tmp_path / f"clip.{code}.script.json").read_text())
        assert script["language"] == code
        with av.open(str(tmp_path / f"clip.{code}.described.mp4")) as out:
            described = out.streams.audio[0]
            assert described.metadata.get("language") == tag
            title = described.metadata.get("title") or described.metadata.get("handler_name")
            assert title == f"{name} - Audio Description"
        assert (tmp_path / f"clip.{code}.ad.wav").exists()
        passes_check(tmp_path, f"clip.{code}", video)


def test_unknown_language_is_a_clear_error(sample: SampleTruth, tmp_path: Path) -> None:
    result = runner.invoke(app, ["narrate", sample.path, "-o", str(tmp_path), "--language", "xx"])
    assert result.exit_code == 2
    assert "unknown language code 'xx'" in result.stderr
    assert not list(tmp_path.glob("*.mp4"))


def test_a_transcriber_that_fails_stops_the_picture_stages_with_its_own_error(
    sample: SampleTruth, tmp_path: Path
) -> None:
    """The soundtrack's stages run beside the picture's: when the transcript fails, the run
    ends with its one line, without going on to read text and look for faces first."""
    from autodescribe.config import NarrateJob, NarrateSettings, TranscribeSettings
    from autodescribe.errors import ModelNotAvailable
    from autodescribe.pipeline import narrate as run

    empty = tmp_path / "not-a-whisper-model"
    empty.mkdir()
    settings = NarrateSettings(transcribe=TranscribeSettings(model=str(empty), device="cpu"))
    job = NarrateJob(video=Path(sample.path), out_dir=tmp_path / "out", settings=settings)
    with pytest.raises(ModelNotAvailable, match="cannot load whisper model"):
        run(job)
    stored = {p.name.split("-")[0] for p in job.work_dir.glob("*.json")}
    assert "speech" in stored
    assert not stored & {"transcribe", "sightings", "characters"}, stored
