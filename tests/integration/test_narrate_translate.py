"""Several languages by translation: describe once, translate the rest with the same model.

The chat server answers translate prompts with a reversible stand-in (words in
reverse order behind "[pl] "), so the Polish script can be checked word for word
against the English one, and the requests it counted show that the frames were
described only once.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.testing.truth import SampleTruth


def test_second_language_is_translated_not_described_again(
    sample: SampleTruth,
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
) -> None:
    server = start_server("--obey-budget")
    video = tmp_path / "film.mp4"
    shutil.copy(sample.path, video)
    args = ["narrate", str(video), "--describer", "openai", "--base-url", server.url]
    args += ["--language", "en", "--language", "pl", "--translator", "llm"]
    # the stand-in translation adds a word; freeze rather than ask for a shorter (English) line
    args += ["--extended", "on"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + str(result.exception)
    english = json.loads((tmp_path / "film.en.script.json").read_text())
    polish = json.loads((tmp_path / "film.pl.script.json").read_text())
    assert english["cues"], "the English script has descriptions"
    by_scene = {cue["scene"]: cue["text"] for cue in english["cues"]}
    for cue in polish["cues"]:
        words = cue["text"].split()
        assert words[0] == "[pl]"
        assert " ".join(reversed(words[1:])) == by_scene[cue["scene"]]
    assert polish["title"].startswith("[pl] ")
    requests = server.stats()["requests"]
    with_frames = [r for r in requests if r["images"] > 0]
    # one request per scene, each in English (a cut-off answer may leave a scene without a cue)
    asked = {re.search(r"scene at (\d+:\d\d)", r["prompt"]).group(1) for r in with_frames}
    assert len(with_frames) == len(asked) >= len({c["scene"] for c in english["cues"]})
    assert not any("Polish" in r["prompt"] for r in with_frames), "frames described in English only"
    assert any(r["prompt"].startswith("Translate") for r in requests) or any(
        "Polish" in r["prompt"] for r in requests
    )
    calls = server.stats()["chat_requests"]
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert server.stats()["chat_requests"] == calls, "a rerun reuses the translations"
    for code in ("en", "pl"):
        passes_check(tmp_path, f"film.{code}", video)


def test_llm_translator_needs_a_language_model(sample: SampleTruth, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copy(sample.path, video)
    args = ["narrate", str(video), "-l", "en", "-l", "pl", "--translator", "llm"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2  # a setting that cannot work: a usage error
    assert "no chat model to translate with" in result.output
    assert not (tmp_path / "clip.pl.described.mp4").exists()
