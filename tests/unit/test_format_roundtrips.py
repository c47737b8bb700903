"""The canonical JSON through every exchange format and back: times to the ms, text exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autodescribe.formats import read_cues
from autodescribe.formats.dapt import write_dapt
from autodescribe.formats.script_json import read_script, write_script
from autodescribe.formats.srt import write_srt
from autodescribe.formats.webvtt import write_vtt
from autodescribe.types import Cue, Script

TEXTS = [
    "A woman in a red coat crosses the street.",
    "The sign reads: EXIT --> LEFT",
    "Tom & Jerry's <b>diner</b>; a menu lists 3 < 4 > 2 and &amp; literally.",
    "Two lines:\nthe second one.",
    "Ünïcödé: 東京タワー at dusk — “quoted”.",
]


@pytest.fixture
def script(tmp_path: Path) -> Script:
    """Times that are not whole milliseconds, past the first hour, some cues voiced."""
    cues = [
        Cue(
            start=1.0 + 7.25 * i + 0.0004,
            end=3.4567 + 7.25 * i,
            text=text,
            scene=i,
            audio=str(tmp_path / f"cue-{i}.wav") if i % 2 == 0 else None,
        )
        for i, text in enumerate(TEXTS)
    ]
    cues.append(Cue(start=3725.5, end=3728.125, text="Past the first hour."))
    return Script(video="film.mp4", language="en", duration=3730.0, cues=cues, title="Film")


def _write_dapt(script: Script, path: Path) -> None:
    write_dapt(script, path)


WRITERS: dict[str, tuple[str, Callable[[Script, Path], None]]] = {
    "dapt": (".dapt.ttml", _write_dapt),
    "vtt": (".ad.vtt", lambda script, path: write_vtt(script.cues, path)),
    "srt": (".ad.srt", lambda script, path: write_srt(script.cues, path)),
}


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_json_to_format_to_json_keeps_times_and_text(
    kind: str, script: Script, tmp_path: Path
) -> None:
    suffix, write = WRITERS[kind]
    source = tmp_path / "film.script.json"
    write_script(script, source)
    exported = tmp_path / f"film{suffix}"
    write(read_script(source), exported)
    back = tmp_path / "back.script.json"
    write_script(Script("film.mp4", "en", 3730.0, cues=read_cues(exported)), back)
    cues = read_script(back).cues
    assert [(_ms(c.start), _ms(c.end), c.text) for c in cues] == [
        (_ms(c.start), _ms(c.end), _seen_through(kind, c.text)) for c in script.cues
    ]


def _seen_through(kind: str, text: str) -> str:
    """SRT has no escaping: `<b>` in a description is read back as bold markup and dropped."""
    return text.replace("<b>", "").replace("</b>", "") if kind == "srt" else text


def test_dapt_round_trip_also_keeps_scene_and_audio(script: Script, tmp_path: Path) -> None:
    path = tmp_path / "film.dapt.ttml"
    write_dapt(script, path)
    cues = read_cues(path)
    assert [(c.scene, c.audio) for c in cues] == [(c.scene, c.audio) for c in script.cues]
