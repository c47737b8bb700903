"""What players look for in the described file, read back by tools that are not ours.

- MP4/M4V/MOV, with hachoir's box parser (PyPI): the brand, the movie box
  before the media, one title per track (the handler name), the language, and
  on the described track a DASH-role `kind` box plus Apple's `tagc`
  characteristic; no `name` item, which ISO files do not define.
- mediainfo (Debian) on every container: one title, the language, the default.
- MediaInfoLib through pymediainfo (PyPI; newer than Debian's mediainfo, which
  predates its MP4 audio-description support): the described track's service
  kind "VI" (visually impaired).
- mkvmerge and mkvinfo (mkvtoolnix): `FlagVisualImpaired` on the described
  track, `FlagOriginal` and the language on the original, DocType webm.

A test whose tool is missing skips and says how to install it.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from autodescribe.config import RenderSettings
from autodescribe.media.audio import write_wav
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.mp4 import DESCRIBES_VIDEO
from autodescribe.media.probe import probe
from autodescribe.render.mix import build_narration, render_described
from autodescribe.types import Cue

DURATION = 4.0
TITLE = "English - Audio Description"
DASH_ROLE = "urn:mpeg:dash:role:2011"
MOV_FAMILY = (".mp4", ".m4v", ".mov")
CONTAINERS = (*MOV_FAMILY, ".mkv", ".webm")


def _source(path: Path, commentary: bool = False) -> Path:
    """A clip whose audio track says it is English, as most programmes do.

    `commentary` adds a titled picture and a second, commentary track.
    """
    webm = path.suffix == ".webm"
    args = ["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=25:duration={DURATION}"]
    args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}"]
    if commentary:
        args += ["-f", "lavfi", "-i", f"sine=frequency=660:duration={DURATION}"]
        args += ["-map", "0", "-map", "1", "-map", "2", "-metadata:s:v:0", "title=Picture"]
        args += ["-metadata:s:a:1", "language=eng", "-disposition:a:1", "comment"]
    if webm:
        args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"]
    else:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    run_ffmpeg([*args, "-metadata:s:a:0", "language=eng", str(path)], "making test media")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The described file in every container, and an MP4 whose picture froze for a cue."""
    root = tmp_path_factory.mktemp("signalling")
    tone = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050) * 0.3
    write_wav(root / "cue.wav", tone, 22050)
    cues = [Cue(1.0, 2.0, "A door opens.", audio=str(root / "cue.wav"))]
    sources = {".mp4": _source(root / "src.mp4"), ".webm": _source(root / "src.webm")}
    stem = build_narration(cues, DURATION, root / "stem.wav")
    out: dict[str, Path] = {}
    for suffix in CONTAINERS:
        video = probe(sources[".webm" if suffix == ".webm" else ".mp4"])
        out[suffix] = root / f"film.described{suffix}"
        render_described(video, stem, cues, out[suffix], RenderSettings(), "en")
    frozen = [Cue(1.0, 2.0, "A door opens.", audio=str(root / "cue.wav"), extension=0.4)]
    frozen_stem = build_narration(frozen, DURATION + 0.4, root / "frozen.wav")
    for suffix in (".mp4", ".mkv"):
        out[f"frozen{suffix}"] = root / f"frozen.described{suffix}"
        render_described(probe(sources[".mp4"]), frozen_stem, frozen, out[f"frozen{suffix}"],
                         RenderSettings(), "en")  # fmt: skip
    commentary = _source(root / "commentary.mp4", commentary=True)
    out["commentary"] = root / "commentary.described.mp4"
    render_described(probe(commentary), stem, cues, out["commentary"], RenderSettings(), "en")
    return out


# --- MP4 boxes, read with hachoir --------------------------------------------------------------


def _atoms(parent: Any) -> list[Any]:
    """The child atoms of a hachoir atom list (file, `movie`, `track`, `udta`...)."""
    return [field for field in parent if field.name.startswith("atom[")]


def _body(atom: Any) -> Any:
    """The field set holding an atom's content (hachoir names it after the atom)."""
    return next(field for field in atom if field.name not in ("size", "tag", "size64"))


def _find(parent: Any, tag: str) -> list[Any]:
    return [atom for atom in _atoms(parent) if atom["tag"].value == tag]


def _walk(parent: Any) -> list[str]:
    """Every atom type under `parent`, depth first."""
    tags = []
    for atom in _atoms(parent):
        tags.append(atom["tag"].value)
        body = _body(atom)
        if body.is_field_set:
            tags += _walk(body)
    return tags


def _language(mdhd: Any, quicktime: bool) -> str:
    """The media language: a Macintosh code in QuickTime (0 = English), else ISO 639-2/T."""
    field = _body(mdhd)["language"]
    if quicktime and "lang" in field:
        return {0: "eng"}.get(field["lang"].value, str(field["lang"].value))
    return "".join(chr(field[f"lang[{n}]"].value + 0x60) for n in range(3))


def _user_data(track: Any) -> list[tuple[str, bytes]]:
    return [
        (item["tag"].value, item["data"].value)
        for udta in _find(track, "udta")
        for item in _atoms(_body(udta))
    ]


def _audio_tracks(path: Path) -> tuple[str, list[str], list[dict[str, Any]]]:
    """(major brand, top-level atom order, each audio track's handler name, language, user data)."""
    hachoir_parser = pytest.importorskip(
        "hachoir.parser", reason="the MP4 box reader is hachoir: pip install hachoir"
    )
    parser = hachoir_parser.createParser(str(path))
    assert parser is not None, f"hachoir cannot read {path.name}"
    with parser:
        brand = _body(_find(parser, "ftyp")[0])["brand"].value
        order = [atom["tag"].value for atom in _atoms(parser)]
        movie = _body(_find(parser, "moov")[0])
        assert "name" not in _walk(movie)  # no `name` item anywhere in the movie box
        tracks = []
        for trak in _find(movie, "trak"):
            track = _body(trak)
            media = _body(_find(track, "mdia")[0])
            handler = _body(_find(media, "hdlr")[0])
            if handler["subtype"].value != "soun":
                continue
            tracks.append({
                "title": handler["name"].value,
                "language": _language(_find(media, "mdhd")[0], brand.startswith("qt")),
                "user_data": _user_data(track),
            })  # fmt: skip
        return brand, order, tracks


@pytest.mark.parametrize("suffix", MOV_FAMILY)
def test_mp4_boxes_signal_the_described_track(rendered: dict[str, Path], suffix: str) -> None:
    brand, order, (described, original) = _audio_tracks(rendered[suffix])
    assert brand == ("qt  " if suffix == ".mov" else "isom")
    assert order.index("moov") < order.index("mdat")  # plays while it downloads
    kind = b"\0\0\0\0" + DASH_ROLE.encode() + b"\0description\0"  # version, flags, two C strings
    assert described["user_data"] == [("kind", kind), ("tagc", DESCRIBES_VIDEO.encode())]
    assert original["user_data"] == []
    assert (described["title"], original["title"]) == (TITLE, "English")
    assert described["language"] == original["language"] == "eng"


def test_frozen_original_keeps_its_language(rendered: dict[str, Path]) -> None:
    """A freeze pauses the original through a filter graph, which drops stream metadata."""
    _, _, (described, original) = _audio_tracks(rendered["frozen.mp4"])
    assert (described["language"], original["language"]) == ("eng", "eng")
    assert original["title"] == "English"
    assert ("tagc", DESCRIBES_VIDEO.encode()) in described["user_data"]
    described_mkv, original_mkv = _mkvmerge_audio(rendered["frozen.mkv"])
    assert (described_mkv["language"], original_mkv["language"]) == ("eng", "eng")
    assert original_mkv.get("flag_original") is True


def test_other_tracks_keep_their_own_signals(rendered: dict[str, Path]) -> None:
    """A copied commentary track keeps its DASH role; no track, the picture included, has `name`."""
    _, _, (described, original, commentary) = _audio_tracks(rendered["commentary"])
    assert ("tagc", DESCRIBES_VIDEO.encode()) in described["user_data"]
    assert original["user_data"] == []
    role = b"\0\0\0\0" + DASH_ROLE.encode() + b"\0commentary\0"
    assert commentary["user_data"] == [("kind", role)]
    assert commentary["language"] == "eng"


def test_relayout_keeps_every_packet(rendered: dict[str, Path]) -> None:
    """Moving the movie box moved every chunk offset with it: the copied tracks are intact."""
    source = rendered[".mp4"].parent / "src.mp4"
    for suffix in MOV_FAMILY:
        for kind, index in (("video", 0), ("audio", 1)):
            with av.open(str(rendered[suffix])) as out, av.open(str(source)) as src:
                written = [bytes(p) for p in out.demux(getattr(out.streams, kind)[index]) if p.size]
                copied = [bytes(p) for p in src.demux(getattr(src.streams, kind)[0]) if p.size]
            assert written == copied, (suffix, kind)


# --- mediainfo (Debian) and MediaInfoLib (pymediainfo) -----------------------------------------


def _mediainfo(path: Path) -> list[dict[str, str]]:
    if shutil.which("mediainfo") is None:
        pytest.skip("mediainfo is not installed (apt-get install mediainfo)")
    done = subprocess.run(
        ["mediainfo", "--Output=JSON", str(path)], capture_output=True, text=True, check=True
    )
    tracks: list[dict[str, str]] = json.loads(done.stdout)["media"]["track"]
    return tracks


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_mediainfo_reads_one_title_and_the_languages(
    rendered: dict[str, Path], suffix: str
) -> None:
    tracks = _mediainfo(rendered[suffix])
    general = tracks[0]
    described, original = (t for t in tracks if t["@type"] == "Audio")
    assert (described["Title"], described["Language"], described["Default"]) == (TITLE, "en", "Yes")
    assert (original["Title"], original["Language"], original["Default"]) == ("English", "en", "No")
    profile = {".mov": "QuickTime", ".mkv": None, ".webm": None}.get(suffix, "Base Media")
    assert general.get("Format_Profile") == profile
    if suffix == ".webm":
        assert general["Format"] == "WebM"


@pytest.mark.parametrize("suffix", MOV_FAMILY)
def test_mediainfo_library_sees_audio_description(rendered: dict[str, Path], suffix: str) -> None:
    pymediainfo = pytest.importorskip(
        "pymediainfo", reason="MediaInfoLib's MP4 service kinds: pip install pymediainfo"
    )
    if not pymediainfo.MediaInfo.can_parse():
        pytest.skip("pymediainfo found no MediaInfo library")
    described, original = pymediainfo.MediaInfo.parse(str(rendered[suffix])).audio_tracks
    kinds = (described.to_data().get("service_kind") or "").split(" / ")
    assert set(kinds) == {"VI"}  # the `kind` box and the `tagc` item both say so
    assert original.to_data().get("service_kind") is None
    assert described.title == TITLE  # one title, not "X / X"


# --- mkvtoolnix ----------------------------------------------------------------------------------


def _mkvmerge_audio(path: Path) -> list[dict[str, Any]]:
    if shutil.which("mkvmerge") is None:
        pytest.skip("mkvtoolnix is not installed (apt-get install mkvtoolnix)")
    done = subprocess.run(["mkvmerge", "-J", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout  # 1 would be warnings, 2 errors
    report = json.loads(done.stdout)
    return [t["properties"] for t in report["tracks"] if t["type"] == "audio"]


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_matroska_flags_and_languages(rendered: dict[str, Path], suffix: str) -> None:
    described, original = _mkvmerge_audio(rendered[suffix])
    assert described["track_name"] == TITLE and described["language"] == "eng"
    assert described.get("flag_visual_impaired") is True and described["default_track"] is True
    assert not described.get("flag_original")
    assert original["track_name"] == "English" and original["language"] == "eng"
    assert original.get("flag_original") is True and original["default_track"] is False
    assert not original.get("flag_visual_impaired")
    info = subprocess.run(["mkvinfo", str(rendered[suffix])], capture_output=True, text=True)
    doc_type = "webm" if suffix == ".webm" else "matroska"
    assert f"Document type: {doc_type}" in info.stdout


# --- the box rewrite on its own --------------------------------------------------------------


def test_chunk_offsets_past_4_gib_move_to_64_bits(tmp_path: Path) -> None:
    """A 32-bit chunk table whose offsets would pass 4 GiB once the movie box moves becomes co64.

    Only the box layout matters, so the media data is a sparse file: nothing is copied.
    """
    from autodescribe.media import mp4

    stco = struct.pack(">I4sII", 20, b"stco", 0, 1) + struct.pack(">I", 0xFFFFFFF0)
    moov = _box(b"moov", _box(b"trak", _box(b"mdia", _box(b"minf", _box(b"stbl", stco)))))
    boxes = [mp4._TopBox(b"ftyp", 0, 16), mp4._TopBox(b"mdat", 16, 0x100000010),
             mp4._TopBox(b"moov", 0x100000010, 0x100000010 + len(moov))]  # fmt: skip
    new_moov, order = mp4._relayout(boxes, boxes[2], moov, [], tmp_path / "x.mp4")
    assert [box.kind for box in order] == [b"ftyp", b"moov", b"mdat"]
    assert new_moov.find(b"co64") > 0 and new_moov.find(b"stco") < 0
    (offset,) = struct.unpack(">Q", new_moov[-8:])
    assert offset == 0xFFFFFFF0 + len(new_moov)  # the chunk moved by the whole new movie box


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body) + 8, kind) + body
