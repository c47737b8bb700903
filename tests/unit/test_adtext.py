"""`NAME.ad.txt`: the text alternative a screen reader reads from top to bottom."""

from __future__ import annotations

from pathlib import Path

from autodescribe.formats.adtext import write_ad_text
from autodescribe.types import Cue, Script


def test_text_alternative_lists_title_summary_and_timed_descriptions(tmp_path: Path) -> None:
    script = Script(
        video="clips/harbour.mp4",
        language="en",
        duration=4000.0,
        title="Harbour at dusk",
        summary="A woman walks her dog\npast the harbour.",
        cues=[
            Cue(62.9, 64.0, "She stops at a sign.\nIt reads: EXIT 12."),
            Cue(1.0004, 3.0, "A woman in a red coat & a <small> dog."),
            Cue(3725.5, 3728.0, "Night falls."),
        ],
    )
    path = tmp_path / "harbour.ad.txt"
    write_ad_text(script, path)
    text = path.read_bytes().decode("utf-8")
    assert text == (
        "Harbour at dusk\n"
        "\n"
        "Summary:\n"
        "A woman walks her dog past the harbour.\n"
        "\n"
        "Audio description script (English), 3 descriptions, in order of time.\n"
        "\n"
        "[00:00:01] A woman in a red coat & a <small> dog.\n"
        "\n"
        "[00:01:02] She stops at a sign. It reads: EXIT 12.\n"
        "\n"
        "[01:02:05] Night falls.\n"
    )


def test_untitled_script_without_summary_uses_the_video_name(tmp_path: Path) -> None:
    script = Script(video="/media/silent film.mp4", language="fr", duration=5.0, cues=[
        Cue(0.0, 2.0, "Un homme court."),
    ])  # fmt: skip
    path = tmp_path / "x.ad.txt"
    write_ad_text(script, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "silent film"
    assert "Summary:" not in lines
    assert "Audio description script (French), 1 description, in order of time." in lines
    assert lines[-1] == "[00:00:00] Un homme court."
