"""W3C DAPT export and import: what we write, that it reads back exactly, and one-line errors.

The specification's own examples and its XML Schema are exercised in
`test_dapt_spec.py`.
"""

from __future__ import annotations

import logging
import wave
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats import read_cues
from autodescribe.formats.dapt import (
    CONTENT_PROFILE,
    parse_time,
    read_dapt,
    read_dapt_script,
    reads_on_screen_text,
    write_dapt,
)
from autodescribe.formats.dapt.timing import Rates
from autodescribe.types import Cue, Script

TT = "{http://www.w3.org/ns/ttml}"
TTP = "{http://www.w3.org/ns/ttml#parameter}"
TTM = "{http://www.w3.org/ns/ttml#metadata}"
TTA = "{http://www.w3.org/ns/ttml#audio}"
DAPTM = "{http://www.w3.org/ns/ttml/profile/dapt#metadata}"
XML = "{http://www.w3.org/XML/1998/namespace}"


def write_clip(path: Path, seconds: float = 0.2) -> Path:
    """A short silent 16 kHz WAV, as the voicing stage leaves one per cue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes(b"\0\0" * round(16000 * seconds))
    return path


@pytest.fixture
def script(tmp_path: Path) -> Script:
    """Voiced cues in the hidden work folder, two close together, one far, one not voiced."""
    clips = tmp_path / "out" / ".harbour.autodescribe" / "voice clips"
    cues = [
        Cue(0.1, 2.5, "A woman & a <dog>.\nThe sign reads EXIT 12.", 0, str(clips / "c0.wav")),
        Cue(2.8, 4.0, "She waves.", 1, str(clips / "c1.wav"), rate=1.08),
        Cue(10.0004, 12.3456, "Ünïcödé: 東京 at dusk — “quoted”.", 2, str(clips / "c2.wav")),
        Cue(20.0, 21.5, "Not voiced yet.", 3, extension=1.25),
    ]
    for cue in cues:
        if cue.audio:
            write_clip(Path(cue.audio), seconds=0.1 + 0.05 * len(cue.text) / 10)
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
    """As `deliver` writes it: recordings copied to `harbour.dapt.audio/` beside the document."""
    path = tmp_path / "out" / "harbour.dapt.ttml"
    write_dapt(script, path, audio_dir=path.with_suffix(".audio"))
    return path, ET.parse(path).getroot()


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _events(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{TT}body/{TT}div")


# ---------------------------------------------------------------------------- export


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
    events = _events(root)
    assert len(events) == len(script.cues)
    ids = [div.get(f"{XML}id") for div in events]
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(div.get("begin") and div.get("end") for div in events)
    # only our own namespace outside DAPT's, and only on <metadata> elements
    for element in root.iter():
        foreign = [k for k in element.attrib if k.startswith("{urn:autodescribe:")]
        assert not foreign or element.tag == f"{TT}metadata"


def test_descriptions_of_the_picture_have_no_language_source(
    script: Script, tmp_path: Path
) -> None:
    """§ Text Language Source: `zxx` for content with no inherent language; text read has one."""
    _, root = _write(script, tmp_path)
    marks = [
        (div.get(f"{DAPTM}represents"), div.find(f"{TT}p").get(f"{DAPTM}langSrc"))  # type: ignore[union-attr]
        for div in _events(root)
    ]
    assert marks == [
        ("visual.text", "en"),  # "The sign reads EXIT 12."
        ("visual.nonText", "zxx"),
        ("visual.nonText", "zxx"),
        ("visual.nonText", "zxx"),
    ]
    assert all(p.get(f"{XML}lang") == "en" for p in root.iter(f"{TT}p"))


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("A dark picture. Text on screen: EXIT 12.", True),
        ("On-screen text: HOTEL; OPEN.", True),
        ("Caption: London, 1944.", True),
        ('A sign reads "EXIT 12".', True),
        ("The headline says “SAILOR COMPLETES CROSSING”.", True),
        ("The door is marked PRIVATE.", True),
        ("The sign reads EXIT 12.", True),
        ("A woman reads a book.", False),
        ('He shouts "Stop!" and runs.', False),
        ("She walks to the sign.", False),
        ("A title card fades in.", False),
    ],
)
def test_which_cues_read_on_screen_text(text: str, reads: bool) -> None:
    assert reads_on_screen_text(text) is reads


def test_recordings_are_copied_beside_the_document_and_linked_relatively(
    script: Script, tmp_path: Path
) -> None:
    path, root = _write(script, tmp_path)
    audios = [div.find(f"{TT}p/{TT}audio") for div in _events(root)]
    sources = [a.get("src") if a is not None else None for a in audios]
    assert sources == [
        "harbour.dapt.audio/ad1.wav",
        "harbour.dapt.audio/ad2.wav",
        "harbour.dapt.audio/ad3.wav",
        None,
    ]
    assert all(a.get("type") == "audio/wave" for a in audios if a is not None)
    for src, cue in zip(sources, script.cues, strict=True):
        if src is not None and cue.audio:
            copied = path.parent / src
            assert copied.is_file() and copied.read_bytes() == Path(cue.audio).read_bytes()
    assert ".autodescribe" not in path.read_text()


def test_without_an_audio_folder_recordings_are_linked_where_they_are(
    script: Script, tmp_path: Path
) -> None:
    path = tmp_path / "elsewhere" / "edit.ttml"
    write_dapt(script, path)
    sources = [a.get("src") for a in ET.parse(path).getroot().iter(f"{TT}audio")]
    assert sources[0] == "../out/.harbour.autodescribe/voice%20clips/c0.wav"
    assert [(path.parent / unquote(s)).resolve() for s in sources if s] == [
        Path(c.audio).resolve() for c in script.cues if c.audio
    ]
    assert not (tmp_path / "elsewhere" / "edit.audio").exists()


def test_an_export_with_fewer_cues_removes_the_recordings_it_no_longer_links(
    script: Script, tmp_path: Path
) -> None:
    path, _ = _write(script, tmp_path)
    folder = path.with_suffix(".audio")
    (folder / "notes.txt").write_text("a describer's own file")
    script.cues = script.cues[1:2]
    _write(script, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["ad1.wav", "notes.txt"]


def test_a_missing_recording_is_a_one_line_error(script: Script, tmp_path: Path) -> None:
    Path(str(script.cues[1].audio)).unlink()
    with pytest.raises(MediaError, match=r"audio for the cue at 2\.80 s not found") as caught:
        _write(script, tmp_path)
    assert "\n" not in str(caught.value)


def test_ducking_ramps_the_programme_down_by_duck_db(script: Script, tmp_path: Path) -> None:
    _, root = _write(script, tmp_path)
    far = _events(root)[2]  # 10.0004-12.3456, nothing near it
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
    first, second = _events(root)[:2]
    # 0.3 s between the first two cues: the ramps share it, and the events do not overlap.
    assert _seconds(first.get("end", "")) <= _seconds(second.get("begin", ""))
    assert first.get("begin") == "00:00:00.000"  # no ramp before the programme starts
    unvoiced = _events(root)[3]
    assert unvoiced.findall(f"{TT}animate") == []
    assert unvoiced.get("begin") == "00:00:20.000"


def test_text_only_script_is_pre_recording(script: Script, tmp_path: Path) -> None:
    script.cues = [Cue(c.start, c.end, c.text) for c in script.cues]
    path, root = _write(script, tmp_path)
    assert root.get(f"{DAPTM}scriptType") == "preRecording"
    assert root.findall(f".//{TT}animate") == [] and root.findall(f".//{TT}audio") == []
    assert not path.with_suffix(".audio").exists()


# ---------------------------------------------------------------------------- round trip


def test_reload_gives_the_same_cues_with_the_delivered_recordings(
    script: Script, tmp_path: Path
) -> None:
    path, _ = _write(script, tmp_path)
    folder = path.with_suffix(".audio")
    expected = [
        Cue(
            round(c.start, 3), round(c.end, 3), c.text, c.scene,
            str(folder / f"ad{n}.wav") if c.audio else None, c.rate, c.extension,
        )
        for n, c in enumerate(script.cues, start=1)
    ]  # fmt: skip
    assert read_dapt(path) == expected
    assert read_cues(path) == expected  # chosen by the .ttml suffix
    assert all(Path(c.audio).is_file() for c in read_dapt(path) if c.audio)
    moved = read_dapt(path, audio_base=tmp_path / "archive")
    assert moved[0].audio == str(tmp_path / "archive" / "harbour.dapt.audio" / "ad1.wav")


def test_reload_with_revoice_drops_the_recordings(script: Script, tmp_path: Path) -> None:
    path, _ = _write(script, tmp_path)
    cues = read_dapt(path, revoice=True)
    assert [c.audio for c in cues] == [None] * 4
    assert [c.text for c in cues] == [c.text for c in script.cues]


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


# ---------------------------------------------------------------------------- other writers

ROOT = (
    '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
    ' xmlns:daptm="http://www.w3.org/ns/ttml/profile/dapt#metadata"'
    ' xmlns:tta="http://www.w3.org/ns/ttml#audio" xmlns:acme="urn:example:acme"'
    ' ttp:contentProfiles="http://www.w3.org/ns/ttml/profile/dapt1.0/content"'
    ' daptm:scriptRepresents="visual.nonText" {attributes}>'
)

FOREIGN = (
    ROOT.format(attributes='ttp:frameRate="25" xml:lang="fr" daptm:scriptType="preRecording"')
    + """
  <head><acme:workflow state="final"/></head>
  <body>
    <div xml:id="e1" begin="12.5s" end="15s"><acme:note>ignore me</acme:note>
      <p daptm:langSrc="fr">Un   homme
        court.<acme:aside>pas lu</acme:aside></p></div>
    <div xml:id="e2" begin="00:00:20:05" dur="2000ms"><p>Deux<br/>lignes</p></div>
    <div xml:id="e3" begin="30s" end="34s">
      <animate begin="0s" end="0.5s" tta:gain="1;0.3" fill="freeze"/>
      <p><span begin="0.5s" end="3.5s"><audio src="clips/e3.wav"/>Une porte claque.</span></p>
    </div>
    <div xml:id="outer" begin="1m">
      <div xml:id="inner" begin="1.5s" end="3s"><p>Imbriqué.</p></div>
    </div>
    <div begin="40s" end="41s"><p>Sans identifiant.</p></div>
    <div xml:id="open"><p>Sans fin.</p></div>
  </body>
</tt>
"""
)


def test_reader_follows_nesting_frames_spans_and_skips_unknown_vocabulary(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "other.ttml"
    path.write_text(FOREIGN, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        cues = read_dapt(path)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (12.5, 15.0, "Un homme court."),
        (20.2, 22.2, "Deux\nlignes"),
        (30.5, 33.5, "Une porte claque."),
        (61.5, 63.0, "Imbriqué."),
    ]
    # a pre-recording script's <audio> is not its recording: the text is to be voiced
    assert cues[2].audio is None
    assert read_dapt_script(path).language == "fr"
    said = caplog.text
    assert "1 <p> outside script events" in said and "line 15 <p>" in said
    assert 'no end time, so it is skipped (first at line 16 <div xml:id="open">)' in said
    assert "<audio> in a preRecording script is not a recording" in said


@pytest.mark.parametrize(
    ("expression", "rates", "seconds"),
    [
        ("00:00:20:05", Rates(frame_rate=25.0), 20.2),
        ("01:00:00.25", Rates(), 3600.25),
        ("00:00:01:12.1", Rates(frame_rate=25.0, sub_frame_rate=2.0), 1 + 12.5 / 25),
        ("300f", Rates(frame_rate=30 * 1000 / 1001), 300 / (30 * 1000 / 1001)),
        ("48000t", Rates(tick_rate=48000.0), 1.0),
        ("12.5s", Rates(), 12.5),
        ("250ms", Rates(), 0.25),
        ("1.5m", Rates(), 90.0),
        ("0.5h", Rates(), 1800.0),
    ],
)
def test_time_expressions(expression: str, rates: Rates, seconds: float) -> None:
    assert parse_time(expression, rates) == pytest.approx(seconds)


def test_frame_rate_multiplier_gives_ntsc_frames(tmp_path: Path) -> None:
    root = ROOT.format(
        attributes='ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001" xml:lang="en"'
        ' daptm:scriptType="preRecording"'
    )
    path = tmp_path / "ntsc.ttml"
    path.write_text(
        root + '<body><div xml:id="a" begin="00:01:00:00" end="1800f"><p>x</p></div></body></tt>'
    )
    (cue,) = read_dapt(path)
    assert (cue.start, cue.end) == (60.0, pytest.approx(60.06))


@pytest.mark.parametrize(
    ("attributes", "body", "message"),
    [
        ("", "<body>\n  <div", "bad.ttml line 2, column 3: not well-formed XML (unclosed token)"),
        (
            "",
            '<body><div xml:id="x" begin="soon" end="2s"><p>a</p></div></body>',
            "bad.ttml line 1 <div xml:id=\"x\">: begin='soon' is not a TTML time expression",
        ),
        (
            "",
            '<body>\n<div xml:id="x" begin="00:00:01:05" end="2s"><p>a</p></div></body>',
            "line 2 <div xml:id=\"x\">: begin='00:00:01:05' is counted in frames, but <tt> has "
            "no ttp:frameRate (DAPT requires one)",
        ),
        (
            "",
            '<body><div xml:id="x" begin="0t" end="2s"><p>a</p></div></body>',
            "counted in ticks, but <tt> has no ttp:tickRate",
        ),
        (
            'ttp:timeBase="smpte"',
            "<body/>",
            "line 1 <tt>: ttp:timeBase='smpte': DAPT allows only media time",
        ),
        (
            "",
            '<body>\n\n<div timeContainer="seq"/></body>',
            "line 3 <div>: timeContainer='seq': DAPT allows only par",
        ),
        (
            "",
            '<body><div xml:id="late" begin="5s" end="2s"><p>a</p></div></body>',
            '<div xml:id="late">: ends (2.000 s) before it begins (5.000 s)',
        ),
        ('ttp:frameRate="0"', "<body/>", "ttp:frameRate='0' is not a positive number"),
    ],
)
def test_malformed_dapt_gives_a_one_line_error_naming_the_place(
    tmp_path: Path, attributes: str, body: str, message: str
) -> None:
    path = tmp_path / "bad.ttml"
    document = ROOT.format(attributes=f'xml:lang="en" {attributes}') + body
    path.write_text(document + ("</tt>" if body.endswith(">") else ""), encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        read_dapt(path)
    text = str(caught.value)
    assert message in text and "\n" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<html><body/></html>", "bad.ttml line 1: not a TTML document (its root is <html>"),
        (
            '<!DOCTYPE tt [<!ENTITY a "aaaa">]>\n<tt xmlns="http://www.w3.org/ns/ttml"/>',
            "bad.ttml line 1: a document type declaration (DAPT documents have none)",
        ),
        ("<tt xmlns:x='urn:x'><x:y:z/></tt>", "not well-formed XML"),
    ],
)
def test_files_that_are_not_dapt_are_refused_in_one_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.ttml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        read_dapt(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
