"""Optional MPEG-DASH delivery: the described video as a manifest with two audio adaptation sets.

DASH players choose audio description from the manifest: the described
adaptation set carries the role `description` (urn:mpeg:dash:role:2011) and
the accessibility descriptor urn:tva:metadata:cs:AudioPurposeCS:2007 with
value 1 ("for the visually impaired"), as DASH-IF's guidelines ask; the
original programme carries the role `main`. Each set has a label and its
language. FFmpeg's DASH muxer writes the segments (fragmented MP4) and the
manifest; it has no option for roles or accessibility, so the manifest is
rewritten after muxing.

Each adaptation set is segmented on its own clock, as DASH allows (players
fetch audio and video segments independently). Files are written in a
temporary folder and moved into place with the manifest last, so a folder
with `manifest.mpd` in it is complete.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.render.hls import AudioTrack, pick_tracks
from autodescribe.util.cache import move_atomic, write_atomic
from autodescribe.util.languages import LANGUAGES, check_language, language_name

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.mpd"
ROLE_SCHEME = "urn:mpeg:dash:role:2011"
AUDIO_PURPOSE_SCHEME = "urn:tva:metadata:cs:AudioPurposeCS:2007"
VISUALLY_IMPAIRED = "1"  # AudioPurposeCS: audio description for the visually impaired
_MPD = "urn:mpeg:dash:schema:mpd:2011"
_FMP4_VIDEO = frozenset({"h264", "hevc", "vp9", "av1"})
_FMP4_AUDIO = frozenset({"aac", "ac3", "eac3", "opus"})
_SEGMENT_PREFIX = "chunk-"
_INIT_PREFIX = "init-"


def write_dash(
    described_video: Path,
    out_folder: Path,
    language: str,
    segment_seconds: float = 6.0,
    described_default: bool = True,
) -> Path:
    """Write `out_folder/manifest.mpd` with its segments; return its path.

    Adaptation set 0 is the picture, 1 the described mix (the track flagged
    `visual_impaired`, else audio 1), 2 the original programme when there is one.
    """
    code = check_language(language)
    info = probe(described_video)
    if not info.has_audio:
        raise MediaError(
            f"{described_video.name} has no audio track",
            "pass the described video written by `autodescribe narrate`",
        )
    described, original = pick_tracks(described_video)
    tracks = [described] + ([original] if original else [])
    out_folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_folder, prefix=".dash-"))
    try:
        args = _dash_args(described_video, info.codec, tracks, segment_seconds)
        run_ffmpeg([*args, str(work / MANIFEST_NAME)], "writing DASH", duration=info.duration)
        manifest = work / MANIFEST_NAME
        text = manifest.read_text(encoding="utf-8")
        write_atomic(manifest, patch_manifest(text, code, original, described_default))
        _publish(work, out_folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("DASH: %s", out_folder / MANIFEST_NAME)
    return out_folder / MANIFEST_NAME


def _dash_args(
    source: Path, video_codec: str, tracks: list[AudioTrack], seconds: float
) -> list[str]:
    args = ["-i", str(source), "-map", "0:v:0"]
    for track in tracks:
        args += ["-map", f"0:a:{track.index}"]
    if video_codec in _FMP4_VIDEO:
        args += ["-c:v", "copy"]
    else:
        log.info("DASH: re-encoding %s video to H.264", video_codec)
        args += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    for n, track in enumerate(tracks):
        args += [f"-c:a:{n}", "copy" if track.codec in _FMP4_AUDIO else "aac"]
    sets = " ".join(f"id={n + 1},streams={n + 1}" for n in range(len(tracks)))
    return args + [
        "-f", "dash",
        "-seg_duration", f"{seconds:g}",
        "-use_template", "1",
        "-use_timeline", "1",
        "-adaptation_sets", f"id=0,streams=v {sets}",
        "-init_seg_name", _INIT_PREFIX + "$RepresentationID$.m4s",
        "-media_seg_name", _SEGMENT_PREFIX + "$RepresentationID$-$Number%05d$.m4s",
    ]  # fmt: skip


def patch_manifest(
    text: str, language: str, original: AudioTrack | None, described_default: bool = True
) -> str:
    """Roles, the accessibility descriptor, labels and languages on FFmpeg's manifest.

    Adaptation set 1 is the described mix, 2 the original programme (see `write_dash`).
    """
    ET.register_namespace("", _MPD)
    root = ET.fromstring(text)
    for adaptation in root.iter(f"{{{_MPD}}}AdaptationSet"):
        which = adaptation.get("id")
        if which == "0":
            adaptation.attrib.pop("lang", None)  # a picture has no language
            _describe(adaptation, "main", None, None)
        elif which == "1":
            label = f"{language_name(language)} (Audio Description)"
            adaptation.set("lang", language)
            _describe(adaptation, "description", label, AUDIO_PURPOSE_SCHEME)
        elif which == "2":
            tag = original.language if original and original.language else language
            adaptation.set("lang", tag)
            _describe(adaptation, "main", language_name(tag) if tag in LANGUAGES else tag, None)
        if which in ("1", "2"):
            default = (which == "1") == described_default
            adaptation.set("selectionPriority", "2" if default else "1")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _describe(adaptation: ET.Element, role: str, label: str | None, purpose: str | None) -> None:
    """Label, Accessibility and Role, in the order the MPD schema wants them (before any
    Representation), replacing whatever the muxer wrote."""
    for tag in ("Label", "Accessibility", "Role"):
        for old in adaptation.findall(f"{{{_MPD}}}{tag}"):
            adaptation.remove(old)
    elements = []
    if label:
        text = ET.Element(f"{{{_MPD}}}Label")
        text.text = label
        elements.append(text)
    if purpose:
        elements.append(
            ET.Element(f"{{{_MPD}}}Accessibility", schemeIdUri=purpose, value=VISUALLY_IMPAIRED)
        )
    elements.append(ET.Element(f"{{{_MPD}}}Role", schemeIdUri=ROLE_SCHEME, value=role))
    for at, element in enumerate(elements):
        adaptation.insert(at, element)


def _publish(work: Path, out_folder: Path) -> None:
    """Segments first, then the manifest; segments of an earlier run that are not listed go."""
    fresh = {p.name for p in work.iterdir()}
    for path in sorted(work.glob("*.m4s")):
        move_atomic(path, out_folder / path.name)
    move_atomic(work / MANIFEST_NAME, out_folder / MANIFEST_NAME)
    for prefix in (_SEGMENT_PREFIX, _INIT_PREFIX):
        for old in out_folder.glob(f"{prefix}*.m4s"):
            if old.name not in fresh:
                old.unlink(missing_ok=True)
