"""DAPT against its specification: the W3C examples read as the spec says, our export validates.

The examples and the XML Schema are copies from the w3c/dapt repository
(tests/data/dapt/README.md says which commit, and what was completed where an
example is a fragment). Section names are those of the DAPT specification.
"""

from __future__ import annotations

import logging
import shutil
import wave
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from autodescribe.errors import MediaError
from autodescribe.formats import read_cues
from autodescribe.formats.dapt import SUFFIXES, read_dapt, read_dapt_script, write_dapt
from autodescribe.formats.dapt.events import script_events
from autodescribe.formats.dapt.timing import Rates
from autodescribe.formats.dapt.tree import parse_document
from autodescribe.render.from_script import load_script
from autodescribe.types import Cue, Script

DATA = Path(__file__).resolve().parents[1] / "data" / "dapt"
SPEC = DATA / "spec"
COMPLETED = DATA / "completed"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
# § Namespaces: everything else is foreign vocabulary, pruned before validation (TTML2 § 4)
DAPT_NAMESPACES = {
    "http://www.w3.org/XML/1998/namespace",
    "http://www.w3.org/ns/ttml",
    "http://www.w3.org/ns/ttml#parameter",
    "http://www.w3.org/ns/ttml#audio",
    "http://www.w3.org/ns/ttml#metadata",
    "http://www.w3.org/ns/ttml#styling",
    "http://www.w3.org/ns/ttml/profile/dapt#metadata",
    "urn:ebu:tt:metadata",
}


def _times_and_text(path: Path, language: str | None = None) -> list[tuple[float, float, str]]:
    return [(c.start, c.end, c.text) for c in read_dapt(path, language=language)]


# ---------------------------------------------------------------------------- the examples


def test_audio_description_examples_read_with_their_times_and_text() -> None:
    assert _times_and_text(SPEC / "intro-times-and-text.xml") == [
        (10.0, 13.0, "A woman climbs into a small sailing boat."),
        (18.0, 20.0, "The woman pulls the tiller and the boat turns."),
    ]
    script = read_dapt_script(SPEC / "intro-times-and-text-with-visual-text.xml")
    assert script.language == "en"
    assert [(c.start, c.end, c.text) for c in script.cues][0] == (
        7.0,
        8.5,
        "The Lake District, England",
    )


@pytest.mark.parametrize(
    ("name", "language", "voiced", "text"),
    [
        # § Default Language: with no language asked, the Text in the document's xml:lang
        ("intro-original-language.xml", None, "fr", "Et c'est grâce à ça qu'on va devenir riches."),
        ("intro-original-language-with-dub-language.xml", None, "en", "And thanks to that, "
         "we're gonna get rich."),
        ("intro-original-language-with-dub-language.xml", "fr", "fr", "Et c'est grâce à ça "
         "qu'on va devenir riches."),
        ("intro-original-language-with-dub-language-and-adaptation.xml", "en", "en",
         "And thanks to that, we're gonna get rich."),
        ("intro-original-language-with-dub-language-and-adaptation.xml", "en-GB", "en",
         "And thanks to that, we're gonna get rich."),
        ("intro-original-language-with-dub-language-and-adaptation.xml", "FR", "fr",
         "Et c'est grâce à ça qu'on va devenir riches."),
    ],
)  # fmt: skip
def test_the_text_voiced_is_the_one_in_the_language_asked_for(
    name: str, language: str | None, voiced: str, text: str
) -> None:
    script = read_dapt_script(SPEC / name, language=language)
    assert [(c.start, c.end, c.text) for c in script.cues] == [(10.0, 13.0, text)]
    assert script.language == voiced


def test_an_adaptation_is_not_voiced_from_its_original(caplog: pytest.LogCaptureFixture) -> None:
    """Timed <span>s in the English adaptation; the French original comes first in the file."""
    path = SPEC / "intro-original-language-with-dub-language-and-adaptation.xml"
    (cue,) = read_dapt(path, language="en")
    assert cue.text.startswith("And thanks")
    with caplog.at_level(logging.WARNING):
        script = read_dapt_script(path, language="de")
    assert script.cues[0].text.startswith("And thanks")  # the default language, en
    assert script.language == "en"
    assert "a script event: no text in 'de', so the 'en' one is used" in caplog.text
    assert 'line 18 <div xml:id="d1">' in caplog.text


def test_translations_beside_originals_in_spans() -> None:
    """§ Script Event Description example: English Original, French Translation."""
    path = COMPLETED / "event-desc.xml"
    assert _times_and_text(path, "fr") == [
        (10.0, 13.0, "Une femme monte à bord d'un petit bateau à voile."),
        (18.0, 20.0, "La femme tire sur la barre et le bateau tourne."),
    ]
    assert [text for _, _, text in _times_and_text(path)] == [
        "A woman climbs into a small sailing boat.",
        "The woman pulls the tiller and the boat turns.",
    ]


def test_script_events_are_divs_with_xml_id_and_no_child_div() -> None:
    """§ Handling <div> and <p> elements, on the spec's own example of the cases."""
    doc = parse_document(COMPLETED / "non-dapt-divs.xml")
    events = script_events(doc, Rates.of(doc))
    assert [event.div.get(XML_ID) for event in events] == ["d1", "d2", "d3", "d4_2"]
    assert [len(event.texts) for event in events] == [1, 0, 0, 0]


def test_intermediate_divs_count_for_time_and_language() -> None:
    """§ Using computed attribute values: d2 begins at 11 minutes and is in French."""
    doc = parse_document(COMPLETED / "non-dapt-div-with-begin-and-lang.xml")
    events = script_events(doc, Rates.of(doc))
    found = [
        (e.div.get(XML_ID), e.span.begin, e.span.end, [t.lang for t in e.texts]) for e in events
    ]
    assert found == [("d1", 60.0, 70.0, ["en"]), ("d2", 660.0, 670.0, ["fr"])]


def test_the_validators_own_fixture_reads(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        cues = read_dapt(SPEC / "valid_dapt.ttml")
    assert [(c.start, c.end, c.text) for c in cues] == [
        (3.0, 10.0, "Look at this beautiful valley."),
        (13.0, 20.0, "The Old Guard\nAfghanistan"),
    ]
    assert caplog.text == ""


def test_xml_files_are_read_as_dapt(tmp_path: Path) -> None:
    assert ".xml" in SUFFIXES
    assert read_cues(SPEC / "intro-times-and-text.xml") == read_dapt(
        SPEC / "intro-times-and-text.xml"
    )
    loaded = load_script(SPEC / "intro-times-and-text.xml", "en", 60.0)
    assert [c.text for c in loaded.cues][0] == "A woman climbs into a small sailing boat."
    other = tmp_path / "notes.xml"
    other.write_text("<notes><note>not a script</note></notes>")
    with pytest.raises(MediaError, match=r"notes\.xml line 1: not a TTML document"):
        read_cues(other)


# ---------------------------------------------------------------------------- as recorded


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The spec's ducked example (an As-recorded Script) with its clip3.wav beside it."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    shutil.copy(COMPLETED / "intro-script-with-gain.xml", folder / "script.xml")
    with wave.open(str(folder / "clip3.wav"), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes(b"\0\0" * 16000)
    return folder / "script.xml"


def test_an_as_recorded_script_keeps_its_recordings(recorded: Path) -> None:
    (cue,) = read_dapt(recorded)
    # § Mixing Instruction example: the span (and its audio) starts 0.3 s into the event at 25 s
    assert (cue.start, cue.end, cue.text) == (25.3, 27.7, "The sails billow in the wind.")
    assert cue.audio == str(recorded.parent / "clip3.wav")
    script = load_script(recorded, "en", 30.0)
    assert script.cues[0].audio == str(recorded.parent / "clip3.wav")


def test_revoice_synthesises_instead(recorded: Path) -> None:
    assert [c.audio for c in read_dapt(recorded, revoice=True)] == [None]
    script = load_script(recorded, "en", 30.0, revoice=True)
    assert [(c.start, c.audio) for c in script.cues] == [(25.3, None)]


@pytest.mark.parametrize(
    ("audio", "why"),
    [
        ('<audio src="long_audio.wav" clipBegin="5s" clipEnd="8s"/>', "clipBegin/clipEnd"),
        ('<audio src="#audio1"/>', "embedded <audio> data"),
        ('<audio src="https://example.com/audio.wav" type="audio/wave"/>', "remote <audio>"),
    ],
)
def test_recordings_we_cannot_play_are_voiced_with_a_warning(
    recorded: Path, audio: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorded.write_text(recorded.read_text().replace('<audio src="clip3.wav"/>', audio))
    with caplog.at_level(logging.WARNING):
        (cue,) = read_dapt(recorded)
    assert cue.audio is None
    assert why in caplog.text and 'line 11 <div xml:id="a3">' in caplog.text


def test_of_several_sources_a_wav_file_is_chosen(recorded: Path) -> None:
    sources = (
        '<audio><source src="https://example.com/audio.aac" type="audio/aac"/>'
        '<source src="takes/a3.aac" type="audio/aac"/>'
        '<source src="takes/a3%20final.wav" type="audio/wave"/></audio>'
    )
    recorded.write_text(recorded.read_text().replace('<audio src="clip3.wav"/>', sources))
    (cue,) = read_dapt(recorded)
    assert cue.audio == str(recorded.parent / "takes" / "a3 final.wav")


# ---------------------------------------------------------------------------- the schema


@pytest.fixture(scope="module")
def schema() -> Any:
    """DAPT's XML Schema (informative, from w3c/dapt), read from local files only."""
    xmlschema = pytest.importorskip("xmlschema")
    xsd = DATA / "xsd"
    # built from both files at once, as the spec's own validator does
    return xmlschema.XMLSchema(
        [str(xsd / "dapt.xsd"), str(xsd / "ttml2-metadata-items.xsd")], allow="local"
    )


def _schema_errors(schema: Any, root: ET.Element) -> list[str]:
    return [f"{error.reason} at {error.path}" for error in schema.iter_errors(root)]


def _pruned(element: ET.Element) -> ET.Element:
    """The document without foreign vocabulary (namespaced elements and attributes)."""
    for child in list(element):
        if _namespace(child.tag) in DAPT_NAMESPACES:
            _pruned(child)
        else:
            element.remove(child)
    for key in list(element.attrib):
        if key.startswith("{") and _namespace(key) not in DAPT_NAMESPACES:
            del element.attrib[key]
    return element


def _namespace(name: str) -> str:
    return name[1:].partition("}")[0] if name.startswith("{") else ""


@pytest.mark.parametrize(
    "path",
    sorted(SPEC.glob("*.xml")) + sorted(COMPLETED.glob("*.xml")),
    ids=lambda path: path.name,
)
def test_the_examples_are_valid_so_the_schema_is_the_one_the_spec_means(
    schema: Any, path: Path
) -> None:
    assert _schema_errors(schema, _pruned(ET.parse(path).getroot())) == []


def test_the_schema_finds_what_dapt_forbids(schema: Any) -> None:
    root = ET.parse(SPEC / "intro-times-and-text.xml").getroot()
    del root.attrib["{http://www.w3.org/ns/ttml/profile/dapt#metadata}scriptRepresents"]
    assert _schema_errors(schema, root)
    root = ET.parse(SPEC / "intro-times-and-text.xml").getroot()
    root.set("{http://www.w3.org/ns/ttml/profile/dapt#metadata}scriptType", "finalCut")
    assert _schema_errors(schema, root)


@pytest.fixture
def delivered(tmp_path: Path) -> tuple[Script, Path]:
    """Our export as `deliver` writes it, from clips in the hidden work folder."""
    work = tmp_path / ".film.autodescribe" / "voice"
    work.mkdir(parents=True)
    cues = []
    texts = [
        "A woman climbs into a small sailing boat.",
        "Text on screen: THE LAKE DISTRICT.",
        "Two lines:\nthe second one & a <tag>.",
        "Not voiced.",
    ]
    for index, text in enumerate(texts):
        clip = None
        if index < 3:
            clip = work / f"clip {index}.wav"
            with wave.open(str(clip), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(16000)
                out.writeframes(b"\1\0" * 3200 * (index + 1))
        cues.append(Cue(2.0 + 5 * index, 4.5 + 5 * index, text, index, str(clip) if clip else None))
    script = Script(video="film.mp4", language="en", duration=30.0, cues=cues, title="Film")
    path = tmp_path / "film.dapt.ttml"
    write_dapt(script, path, audio_dir=path.with_suffix(".audio"))
    return script, path


def test_our_export_is_valid_as_written(schema: Any, delivered: tuple[Script, Path]) -> None:
    _, path = delivered
    assert _schema_errors(schema, ET.parse(path).getroot()) == []


def test_our_export_links_only_files_beside_it(delivered: tuple[Script, Path]) -> None:
    script, path = delivered
    root = ET.parse(path).getroot()
    sources = [audio.get("src", "") for audio in root.iter("{http://www.w3.org/ns/ttml}audio")]
    assert len(sources) == 3
    for src, cue in zip(sources, script.cues, strict=False):
        assert not src.startswith(("/", "file:", "..")) and "autodescribe" not in src
        target = path.parent / src
        assert target.is_file() and target.parent == path.with_suffix(".audio")
        assert target.read_bytes() == Path(str(cue.audio)).read_bytes()


def test_our_export_round_trips(delivered: tuple[Script, Path]) -> None:
    script, path = delivered
    back = read_dapt_script(path, language="en")
    assert [(c.start, c.end, c.text, c.scene) for c in back.cues] == [
        (c.start, c.end, c.text, c.scene) for c in script.cues
    ]
    assert [Path(c.audio).read_bytes() if c.audio else None for c in back.cues] == [
        Path(c.audio).read_bytes() if c.audio else None for c in script.cues
    ]
    assert (back.title, back.language, back.duration) == ("Film", "en", 30.0)
