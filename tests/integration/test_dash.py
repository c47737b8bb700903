"""DASH delivery: a manifest whose described adaptation set a DASH player can recognise.

The manifest is read with the `mpegdash` package (PyPI), as a player's MPD
parser would: roles, the accessibility descriptor, languages and the segments
it lists. The segments are joined to their initialisation segment and decoded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.render.dash import MANIFEST_NAME, write_dash

mpegdash_parser = pytest.importorskip(
    "mpegdash.parser", reason="the DASH manifest reader: pip install mpegdash"
)

DURATION = 4.0
AD_TONE, ORIGINAL_TONE = 1000.0, 440.0
MPD = "{urn:mpeg:dash:schema:mpd:2011}"


def _tone_input(freq: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000:duration={DURATION}"]


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The render's layout: the AD mix (1 kHz) flagged and first; the original (440 Hz).

    Both are in French, so the languages cannot come from the `fr` passed in alone.
    """
    path = tmp_path_factory.mktemp("dash") / "film.described.mp4"
    video = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={DURATION}"]
    args = [*video, *_tone_input(AD_TONE), *_tone_input(ORIGINAL_TONE)]
    args += ["-map", "0:v", "-map", "1:a", "-map", "2:a"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k"]
    args += ["-disposition:a:0", "default+visual_impaired", "-disposition:a:1", "0"]
    args += ["-metadata:s:a:0", "language=fre", "-metadata:s:a:1", "language=fre", str(path)]
    run_ffmpeg(args, "making test media")
    return path


@pytest.fixture(scope="module")
def manifest(described: Path) -> Path:
    return write_dash(described, described.parent / "dash", "fr", segment_seconds=2)


def _sets(manifest: Path) -> dict[str, Any]:
    mpd = mpegdash_parser.MPEGDASHParser.parse(str(manifest))
    (period,) = mpd.periods
    return {adaptation.id: adaptation for adaptation in period.adaptation_sets}


def _descriptors(items: list[Any] | None) -> list[tuple[str, str]]:
    return [(item.scheme_id_uri, item.value) for item in items or []]


def test_described_set_has_the_description_role_and_the_audio_purpose(manifest: Path) -> None:
    sets = _sets(manifest)
    video, described, original = sets[0], sets[1], sets[2]
    assert video.content_type == "video" and video.lang is None
    assert described.content_type == original.content_type == "audio"
    assert _descriptors(described.roles) == [("urn:mpeg:dash:role:2011", "description")]
    assert _descriptors(described.accessibilities) == [
        ("urn:tva:metadata:cs:AudioPurposeCS:2007", "1")  # for the visually impaired
    ]
    assert _descriptors(original.roles) == [("urn:mpeg:dash:role:2011", "main")]
    assert not original.accessibilities
    assert (described.lang, original.lang) == ("fr", "fr")
    assert described.selection_priority > original.selection_priority  # the described by default
    labels = {
        adaptation.get("id"): [label.text for label in adaptation.findall(f"{MPD}Label")]
        for adaptation in ET.parse(manifest).getroot().iter(f"{MPD}AdaptationSet")
    }
    assert labels == {"0": [], "1": ["French (Audio Description)"], "2": ["French"]}


def _representation_media(manifest: Path, adaptation: Any) -> bytes:
    """The initialisation segment and every media segment the timeline lists, joined."""
    (representation,) = adaptation.representations
    template = adaptation.segment_templates or representation.segment_templates
    (template,) = template
    count = sum(1 + (s.r or 0) for s in template.segment_timelines[0].Ss)
    rep = str(representation.id)
    init = template.initialization.replace("$RepresentationID$", rep)
    data = (manifest.parent / init).read_bytes()
    for number in range(template.start_number, template.start_number + count):
        name = template.media.replace("$RepresentationID$", rep)
        name = name.replace("$Number%05d$", f"{number:05d}")
        data += (manifest.parent / name).read_bytes()
    return data


def test_every_listed_segment_plays_the_right_track(manifest: Path, tmp_path: Path) -> None:
    sets = _sets(manifest)
    for which, tone in ((1, AD_TONE), (2, ORIGINAL_TONE)):
        joined = tmp_path / f"set{which}.mp4"
        joined.write_bytes(_representation_media(manifest, sets[which]))
        with av.open(str(joined)) as container:
            samples = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])
        assert len(samples) / 48000 == pytest.approx(DURATION, abs=0.05)
        spectrum = np.abs(np.fft.rfft(samples[: 48000 * 2]))
        assert np.argmax(spectrum) * 48000 / (2 * len(spectrum) - 2) == pytest.approx(tone, abs=5)
    joined = tmp_path / "video.mp4"
    joined.write_bytes(_representation_media(manifest, sets[0]))
    with av.open(str(joined)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == DURATION * 25


def test_rerun_leaves_only_listed_segments(described: Path, manifest: Path) -> None:
    again = write_dash(described, manifest.parent, "fr", segment_seconds=4)
    names = {p.name for p in again.parent.iterdir()}
    assert MANIFEST_NAME in names and not any(n.startswith(".dash-") for n in names)
    listed = set()
    for adaptation in _sets(again).values():
        (representation,) = adaptation.representations
        (template,) = adaptation.segment_templates or representation.segment_templates
        rep = str(representation.id)
        count = sum(1 + (s.r or 0) for s in template.segment_timelines[0].Ss)
        listed.add(template.initialization.replace("$RepresentationID$", rep))
        listed |= {
            template.media.replace("$RepresentationID$", rep).replace("$Number%05d$", f"{n:05d}")
            for n in range(template.start_number, template.start_number + count)
        }
    assert {n for n in names if n.endswith(".m4s")} == listed


def test_video_without_audio_is_refused(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1", "-c:v", "libx264",
         "-preset", "ultrafast", str(silent)],
        "making test media",
    )  # fmt: skip
    with pytest.raises(MediaError, match="has no audio track"):
        write_dash(silent, tmp_path / "dash", "en")
