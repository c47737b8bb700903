"""Script formats: JSON, WebVTT and SRT keep times to the millisecond and text exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats import read_cues
from autodescribe.formats.script_json import read_script, write_script
from autodescribe.formats.srt import read_srt, write_srt
from autodescribe.formats.webvtt import read_vtt, write_vtt
from autodescribe.types import Cue, Script

TRICKY_TEXTS = [
    "A woman in a red coat crosses the street.",
    "The sign reads: EXIT --> LEFT",
    "Tom & Jerry's <b>diner</b>; a menu lists 3 < 4 > 2 and &amp; literally.",
    "Two lines:\nthe second one.",
    "Ünïcödé: 東京タワー at dusk — “quoted”.",
]


@pytest.fixture
def script() -> Script:
    """A script whose times are not whole milliseconds and whose texts need escaping."""
    cues = [
        Cue(
            start=1.0 + 7.25 * i + 0.0004,
            end=3.4567 + 7.25 * i,
            text=text,
            scene=i,
            audio=f"cue-{i}.wav",
            rate=1.05,
        )
        for i, text in enumerate(TRICKY_TEXTS)
    ]
    cues.append(Cue(start=3725.5, end=3728.125, text="Past the first hour."))
    return Script(video="film.mp4", language="en", duration=3730.0, cues=cues, title="Film")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def test_json_round_trip_keeps_everything(script: Script, tmp_path: Path) -> None:
    path = tmp_path / "film.script.json"
    write_script(script, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {"version", "video", "language", "cues"} <= set(data)
    assert set(data["cues"][0]) >= {"start", "end", "text"}
    assert data["cues"][1]["text"] == TRICKY_TEXTS[1]
    assert read_script(path) == script


def test_json_to_vtt_to_cues_exact_to_the_millisecond(script: Script, tmp_path: Path) -> None:
    json_path, vtt_path = tmp_path / "a.script.json", tmp_path / "a.ad.vtt"
    write_script(script, json_path)
    write_vtt(read_script(json_path).cues, vtt_path)
    cues = read_vtt(vtt_path)
    assert [(_ms(c.start), _ms(c.end), c.text) for c in cues] == [
        (_ms(c.start), _ms(c.end), c.text) for c in script.cues
    ]
    content = vtt_path.read_text(encoding="utf-8")
    assert content.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.457\n")
    assert "01:02:05.500 --> 01:02:08.125" in content
    assert "&lt;b&gt;diner&lt;/b&gt;" in content and "&amp;amp;" in content
    # Only timing lines may carry the arrow: the payload's literal one is escaped.
    assert sum("-->" in line for line in content.splitlines()) == len(script.cues)


def test_srt_round_trip_exact(script: Script, tmp_path: Path) -> None:
    path = tmp_path / "a.ad.srt"
    write_srt(script.cues, path)
    cues = read_srt(path)
    assert [(_ms(c.start), _ms(c.end)) for c in cues] == [
        (_ms(c.start), _ms(c.end)) for c in script.cues
    ]
    # SRT has no escaping: `<`, `&` and `-->` survive, but a literal <b> is formatting.
    expected = [c.text.replace("<b>", "").replace("</b>", "") for c in script.cues]
    assert [c.text for c in cues] == expected
    assert cues[1].text == "The sign reads: EXIT --> LEFT"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["1", "00:00:01,000 --> 00:00:03,457", TRICKY_TEXTS[0]]


def test_blank_lines_inside_a_description_are_dropped(tmp_path: Path) -> None:
    cue = Cue(start=0.5, end=2.0, text="First paragraph.\n\n  \nSecond paragraph.")
    for write, read, name in [(write_vtt, read_vtt, "x.vtt"), (write_srt, read_srt, "x.srt")]:
        write([cue, Cue(start=3.0, end=4.0, text="Next.")], tmp_path / name)
        cues = read(tmp_path / name)
        assert [c.text for c in cues] == ["First paragraph.\nSecond paragraph.", "Next."]


def test_hand_written_vtt_with_ids_settings_notes_and_tags(tmp_path: Path) -> None:
    text = (
        "\ufeffWEBVTT - audio description\r\n"
        "Kind: descriptions\r\n"
        "\r\n"
        "STYLE\r\n"
        "::cue { color: yellow }\r\n"
        "\r\n"
        "NOTE written by hand\r\n"
        "over two lines\r\n"
        "\r\n"
        "intro-1\r\n"
        "00:01.250 --> 00:04.000 align:start position:10% line:0\r\n"
        "<v Narrator>A door <i>slowly</i> opens.</v>\r\n"
        "\r\n"
        "00:00:05.000 --> 00:00:07.125\r\n"
        "Fish &amp; chips, 2 &lt; 3.\r\n"
        "Second line.\r\n"
        "\r\n"
        "3\r\n"
        "01:00:00.000 --> 01:00:01.001 size:50%\r\n"
        "<c.loud>Silence</c> falls.\r\n"
    )
    path = tmp_path / "hand.vtt"
    path.write_bytes(text.encode("utf-8"))
    cues = read_vtt(path)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (1.25, 4.0, "A door slowly opens."),
        (5.0, 7.125, "Fish & chips, 2 < 3.\nSecond line."),
        (3600.0, 3601.001, "Silence falls."),
    ]


def test_hand_written_srt_with_tags_and_missing_number(tmp_path: Path) -> None:
    path = tmp_path / "hand.srt"
    path.write_text(
        '1\n00:00:01,000 --> 00:00:02,500\n<i>Rain</i> on the <font color="#fff">glass</font>.\n\n'
        "00:00:03,000 --> 00:00:04,000\n{\\an8}A sign: a<b & c>d\n\n"
        "7\n0:00:05,5 --> 0:00:06,75\nShort fractions.\n",
        encoding="utf-8",
    )
    cues = read_srt(path)
    # VLC, ffmpeg and pysrt all read the digits after the comma as whole milliseconds.
    assert [(c.start, c.end, c.text) for c in cues] == [
        (1.0, 2.5, "Rain on the glass."),
        (3.0, 4.0, "A sign: a<b & c>d"),
        (5.005, 6.075, "Short fractions."),
    ]


def test_read_cues_picks_the_format_by_suffix(script: Script, tmp_path: Path) -> None:
    script.cues = [c for c in script.cues if "<b>" not in c.text]
    write_script(script, tmp_path / "s.script.json")
    write_vtt(script.cues, tmp_path / "s.ad.vtt")
    write_srt(script.cues, tmp_path / "s.ad.SRT")
    expected = [(_ms(c.start), _ms(c.end), c.text) for c in script.cues]
    for name in ["s.script.json", "s.ad.vtt", "s.ad.SRT"]:
        cues = read_cues(tmp_path / name)
        assert [(_ms(c.start), _ms(c.end), c.text) for c in cues] == expected
    assert read_cues(tmp_path / "s.script.json") == script.cues
    with pytest.raises(MediaError, match=r"\.dapt, \.json, \.srt, \.ttml, \.vtt"):
        read_cues(tmp_path / "s.ass")


def test_bad_files_fail_with_a_line_that_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    no_header = tmp_path / "a.vtt"
    no_header.write_text("1\n00:00:01.000 --> 00:00:02.000\nHello\n", encoding="utf-8")
    with pytest.raises(MediaError, match="line 1: .*must start with 'WEBVTT'"):
        read_vtt(no_header)
    # A malformed cue is skipped, as browsers skip it, with a warning naming its line.
    bad_time = tmp_path / "b.vtt"
    bad_time.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHello\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="autodescribe.formats.webvtt"):
        assert read_vtt(bad_time) == []
    assert "b.vtt line 3: cue skipped: bad timing" in caplog.text
    bad_srt = tmp_path / "c.srt"
    bad_srt.write_text("1\n00:00:01,000 --> soon\nHello\n", encoding="utf-8")
    with pytest.raises(MediaError, match="line 2"):
        read_srt(bad_srt)


def test_script_json_refuses_newer_versions_and_bad_fields(script: Script, tmp_path: Path) -> None:
    path = tmp_path / "s.script.json"
    write_script(script, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "version": "2.0"}), encoding="utf-8")
    with pytest.raises(MediaError, match="upgrade"):
        read_script(path)
    data["cues"][0]["start"] = "soon"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(MediaError, match=r"cues\.0\.start"):
        read_script(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MediaError, match="not valid JSON"):
        read_script(path)
