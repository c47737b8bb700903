"""W3C DAPT export and import: required attributes, ducking instructions, exact reload, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats import read_cues
from autodescribe.formats.dapt import (
    CONTENT_PROFILE,
    read_dapt,
    read_dapt_script,
    write_dapt,
)
from autodescribe.types import Cue, Script

TT = "{http://www.w3.org/ns/ttml}"
TTP = "{http://www.w3.org/ns/ttml#parameter}"
TTM = "{http://www.w3.org/ns/ttml#metadata}"
TTA = "{http://www.w3.org/ns/ttml#audio}"
DAPTM = "{http://www.w3.org/ns/ttml/profile/dapt#metadata}"
XML = "{http://www.w3.org/XML/1998/namespace}"


@pytest.fixture
def script(tmp_path: Path) -> Script:
    """Two voiced cues close together, one far away, one not voiced; tricky text."""
    clips = tmp_path / "work" / "voice clips"
    cues = [
        Cue(0.1, 2.5, "A woman & a <dog>.\nThe sign reads EXIT 12.", 0, str(clips / "c0.wav")),
        Cue(2.8, 4.0, "She waves.", 1, str(clips / "c1.wav"), rate=1.08),
        Cue(10.0004, 12.3456, "Ünïcödé: 東京 at dusk — “quoted”.", 2, str(clips / "c2.wav")),
        Cue(20.0, 21.5, "Not voiced yet.", 3, extension=1.25),
    ]
    return Script(
        video="films/harbour.mp4",
        language="en",
        duration=30.0,
        cues=cues,
        title="Harbour & Co",
        summary="A woman walks her dog past the harbour.",
        settings={"render": {"duck_db": 12.0, "ramp_seconds": 0.25}},
    )


def _write(script: Script, tmp_path: Path) -> tuple[Path, ET.Element]:
    path = tmp_path / "out" / "harbour.dapt.ttml"
    write_dapt(script, path, audio_base=path.parent)
    return path, ET.parse(path).getroot()


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_document_carries_the_required_dapt_attributes(script: Script, tmp_path: Path) -> None:
    path, root = _write(script, tmp_path)
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root.tag == f"{TT}tt"
    assert CONTENT_PROFILE in root.get(f"{TTP}contentProfiles", "").split()
    assert root.get(f"{TTP}timeBase") == "media"
    assert root.get(f"{XML}lang") == "en"
    represents = set(root.get(f"{DAPTM}scriptRepresents", "").split())
    assert represents == {"visual.nonText", "visual.text"}
    assert root.get(f"{DAPTM}scriptType") == "asRecorded"
    metadata = root.find(f"{TT}head/{TT}metadata")
    assert metadata is not None
    assert metadata.findtext(f"{TTM}title") == "Harbour & Co"
    assert metadata.findtext(f"{TTM}desc") == script.summary
    events = root.findall(f"{TT}body/{TT}div")
    assert len(events) == len(script.cues)
    ids = [div.get(f"{XML}id") for div in events]
    assert all(ids) and len(set(ids)) == len(ids)
    for div in events:
        assert div.get("begin") and div.get("end")
        assert div.get(f"{DAPTM}represents") == "visual.nonText"
        p = div.find(f"{TT}p")
        assert p is not None and p.get(f"{DAPTM}langSrc") == "en"


def test_voiced_cues_link_their_audio_relative_to_the_base(script: Script, tmp_path: Path) -> None:
    _, root = _write(script, tmp_path)
    events = root.findall(f"{TT}body/{TT}div")
    sources = [div.find(f"{TT}p/{TT}audio") for div in events]
    assert [a.get("src") if a is not None else None for a in sources] == [
        "../work/voice%20clips/c0.wav",
        "../work/voice%20clips/c1.wav",
        "../work/voice%20clips/c2.wav",
        None,
    ]
    assert all(a.get("type") == "audio/wave" for a in sources if a is not None)


def test_ducking_ramps_the_programme_down_by_duck_db(script: Script, tmp_path: Path) -> None:
    _, root = _write(script, tmp_path)
    far = root.findall(f"{TT}body/{TT}div")[2]  # 10.0004-12.3456, nothing near it
    assert _seconds(far.get("begin", "")) == pytest.approx(10.0 - 0.25)
    assert _seconds(far.get("end", "")) == pytest.approx(12.346 + 0.25)
    steps = [
        (_seconds(a.get("begin", "")), _seconds(a.get("end", "")), a.get(f"{TTA}gain"))
        for a in far.findall(f"{TT}animate")
    ]
    low = f"{10 ** (-12 / 20):.4f}"
    assert low == "0.2512"
    assert steps == [
        (0.0, 0.25, f"1;{low}"),
        (0.25, pytest.approx(2.596), low),
        (pytest.approx(2.596), pytest.approx(2.846), f"{low};1"),
    ]
    first, second = root.findall(f"{TT}body/{TT}div")[:2]
    # 0.3 s between the first two cues: the ramps share it, and the events do not overlap.
    assert _seconds(first.get("end", "")) <= _seconds(second.get("begin", ""))
    assert first.get("begin") == "00:00:00.000"  # no ramp before the programme starts
    unvoiced = root.findall(f"{TT}body/{TT}div")[3]
    assert unvoiced.findall(f"{TT}animate") == []
    assert unvoiced.get("begin") == "00:00:20.000"


def test_text_only_script_is_pre_recording(script: Script, tmp_path: Path) -> None:
    script.cues = [Cue(c.start, c.end, c.text) for c in script.cues]
    _, root = _write(script, tmp_path)
    assert root.get(f"{DAPTM}scriptType") == "preRecording"
    assert root.findall(f".//{TT}animate") == [] and root.findall(f".//{TT}audio") == []


def test_reload_gives_the_same_cues(script: Script, tmp_path: Path) -> None:
    path, _ = _write(script, tmp_path)
    expected = [
        Cue(
            round(c.start, 3), round(c.end, 3), c.text, c.scene,
            str(path.parent / "../work/voice clips" / Path(c.audio).name) if c.audio else None,
            c.rate, c.extension,
        )
        for c in script.cues
    ]  # fmt: skip
    assert read_dapt(path) == expected
    assert read_cues(path) == expected  # chosen by the .ttml suffix
    again = read_dapt(path, audio_base=path.parent)
    assert [Path(c.audio).resolve() for c in again if c.audio] == [
        Path(c.audio).resolve() for c in script.cues if c.audio
    ]


def test_script_level_fields_survive(script: Script, tmp_path: Path) -> None:
    path, _ = _write(script, tmp_path)
    loaded = read_dapt_script(path)
    assert (loaded.title, loaded.summary, loaded.language, loaded.video, loaded.duration) == (
        script.title,
        script.summary,
        "en",
        "films/harbour.mp4",
        30.0,
    )


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
    xmlns:daptm="http://www.w3.org/ns/ttml/profile/dapt#metadata"
    xmlns:tta="http://www.w3.org/ns/ttml#audio" xmlns:acme="urn:example:acme"
    ttp:contentProfiles="http://www.w3.org/ns/ttml/profile/dapt1.0/content"
    ttp:frameRate="25" xml:lang="fr" daptm:scriptType="preRecording"
    daptm:scriptRepresents="visual.nonText">
  <head><acme:workflow state="final"/></head>
  <body>
    <div xml:id="e1" begin="12.5s" end="15s"><acme:note>ignore me</acme:note>
      <p daptm:langSrc="fr">Un   homme
        court.</p></div>
    <div xml:id="e2" begin="00:00:20:05" dur="2000ms"><p>Deux<br/>lignes</p></div>
    <div xml:id="e3" begin="30s" end="34s">
      <animate begin="0s" end="0.5s" tta:gain="1;0.3" fill="freeze"/>
      <p><span begin="0.5s" end="3.5s"><audio src="clips/e3.wav"/>Une porte claque.</span></p>
    </div>
    <div xml:id="outer" begin="1m">
      <div xml:id="inner" begin="1.5s" end="3s"><p>Imbriqué.</p></div>
    </div>
    <div xml:id="open"><p>Sans fin.</p></div>
  </body>
</tt>
"""


def test_reader_accepts_offset_times_frames_spans_and_unknown_elements(tmp_path: Path) -> None:
    path = tmp_path / "other.ttml"
    path.write_text(FOREIGN, encoding="utf-8")
    cues = read_dapt(path)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (12.5, 15.0, "Un homme court."),
        (20.2, 22.2, "Deux\nlignes"),
        (30.5, 33.5, "Une porte claque."),
        (61.5, 63.0, "Imbriqué."),
    ]  # the event with no end time anywhere is skipped
    assert cues[2].audio == str(tmp_path / "clips" / "e3.wav")
    assert read_dapt_script(path).language == "fr"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<tt xmlns='http://www.w3.org/ns/ttml'><body><div>", "not well-formed XML"),
        ("<html><body/></html>", "not a TTML document"),
        (
            "<tt xmlns='http://www.w3.org/ns/ttml'><body>"
            "<div xml:id='x' begin='soon' end='2s'><p>a</p></div></body></tt>",
            "bad begin time 'soon' on x",
        ),
    ],
)
def test_malformed_dapt_gives_a_one_line_media_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.dapt.ttml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        read_dapt(path)
    text = str(caught.value)
    assert message in text and "\n" not in text
