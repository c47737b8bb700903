"""`render --script`: an edited script changes what is said, and nothing else.

The sample is narrated once; then one cue's text is edited in the WebVTT file
and the video rendered from it with the CLI. The other cues keep their times,
words and sound; no describer is called (the `basic` one would write the same
text again, so a changed text proves the script was used).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.media.audio import read_audio
from autodescribe.testing.truth import SampleTruth

RATE = 16000
NEW_TEXT = "A blue picture."


def _run(*args: str) -> list[Path]:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output + str(result.exception)
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def narrated(sample: SampleTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("edit")
    video = out / "film.mp4"
    shutil.copy(sample.path, video)
    # offline, in two passes: basic takes notes, then writes each line from them
    _run("narrate", str(video), "-o", str(out / "first"), "--describer", "basic", "--look-first")
    return out


@pytest.fixture(scope="module")
def rerendered(narrated: Path) -> tuple[dict, dict]:
    shutil.copytree(narrated / "first", narrated / "before")  # narrate's outputs, kept aside
    vtt = (narrated / "first" / "film.ad.vtt").read_text()
    first = json.loads((narrated / "before" / "film.script.json").read_text())
    old_text = first["cues"][0]["text"]
    edited = narrated / "edited.vtt"
    edited.write_text(vtt.replace(old_text, NEW_TEXT, 1))
    # rendered where narrate wrote, as a describer would: unchanged lines keep their audio
    files = _run(
        "render", str(narrated / "film.mp4"), "--script", str(edited), "-o", str(narrated / "first")
    )
    assert {p.name for p in files} >= {"film.described.mp4", "film.qc.json", "film.dapt.ttml"}
    second = json.loads((narrated / "first" / "film.script.json").read_text())
    return first, second


def _heard(cue: dict) -> tuple[float, float]:
    return round(cue["start"], 3), round(cue["end"], 3)


def test_only_the_edited_text_changes(rerendered: tuple[dict, dict]) -> None:
    first, second = rerendered
    assert all(c["notes"] for c in first["cues"]), "each cue keeps what was seen in its scene"
    assert [c["text"] for c in second["cues"]] == [NEW_TEXT] + [
        c["text"] for c in first["cues"][1:]
    ]
    assert [c["start"] for c in second["cues"]] == pytest.approx(
        [c["start"] for c in first["cues"]], abs=0.001
    )
    assert [_heard(c) for c in second["cues"][1:]] == [_heard(c) for c in first["cues"][1:]]
    assert all(c["extension"] == 0 for c in second["cues"])


def test_the_other_cues_sound_the_same(narrated: Path, rerendered: tuple[dict, dict]) -> None:
    first, second = rerendered
    before = read_audio(narrated / "before" / "film.ad.wav", RATE, channels=1)
    after = read_audio(narrated / "first" / "film.ad.wav", RATE, channels=1)
    assert len(before) == len(after)
    edited_end = max(first["cues"][0]["end"], second["cues"][0]["end"])
    rest = slice(round((edited_end + 0.05) * RATE), None)
    assert np.abs(before[rest] - after[rest]).max() < 1e-3
    edited = slice(round(first["cues"][0]["start"] * RATE), round(edited_end * RATE))
    assert np.abs(before[edited] - after[edited]).max() > 0.05, "the edited cue was re-spoken"


def test_the_rendered_script_passes_qc(narrated: Path, rerendered: tuple[dict, dict]) -> None:
    qc = json.loads((narrated / "first" / "film.qc.json").read_text())
    assert qc["passed"], qc["failures"]


def test_check_passes_narrate_and_render_results_on_both_clocks(
    narrated: Path,
    rerendered: tuple[dict, dict],
    passes_check,  # noqa: ANN001
) -> None:
    passes_check(narrated / "before", "film", narrated / "film.mp4")
    passes_check(narrated / "first", "film", narrated / "film.mp4")
