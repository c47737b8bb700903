"""`autodescribe narrate` on bad and unusual inputs, as a user would meet them.

Every input gets either a correct result (all deliverables, the input's
duration and picture geometry) or exactly one `error:` line saying what is
wrong and what to do, with exit code 1, no traceback and nothing in the output
folder that looks finished.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.testing.samples import make_audio_only, make_corrupt, make_sample_video

runner = CliRunner()
FAST = ("--min-scene", "1")
DELIVERABLES = (
    ".ad.wav",
    ".script.json",
    ".ad.vtt",
    ".ad.srt",
    ".dapt.ttml",
    ".ad.txt",
    ".qc.json",
)


def make(target: Path, *args: str) -> Path:
    """Write a test input with ffmpeg (lavfi sources; no speech, so no transcription)."""
    run_ffmpeg([*args, str(target)], "making a test input")
    return target


def lavfi_video(target: Path, size: str, rate: float, seconds: float, *extra: str) -> Path:
    source = f"testsrc2=size={size}:rate={rate}:duration={seconds}"
    return make(target, "-f", "lavfi", "-i", source, *extra)


def narrate(video: Path, out: Path, *args: str) -> tuple[int, str]:
    """Run narrate in-process; return the exit code and stderr."""
    result = runner.invoke(app, ["narrate", str(video), "-o", str(out), *FAST, *args])
    return result.exit_code, result.stderr


def narrate_process(video: bytes | Path, out: bytes | Path, *args: str) -> tuple[int, str]:
    """Run narrate as a real process (bytes paths allowed); return exit code and stderr."""
    command = [sys.executable, "-m", "autodescribe", "narrate", video, "-o", out, *FAST, *args]
    done = subprocess.run([os.fsencode(part) for part in command], capture_output=True, timeout=300)
    return done.returncode, done.stderr.decode("utf-8", "replace")


def assert_one_error(code: int, stderr: str, *words: str) -> str:
    """Exit 1 and exactly one `error:` line, naming the problem: no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.startswith("error:")]
    assert code == 1 and len(lines) == 1, stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


def assert_nothing_presented(out: Path) -> None:
    """A failed run leaves no described video and no visible partial files."""
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    assert not [name for name in visible if ".described." in name], visible
    assert not [name for name in visible if "partial" in name or "tmp" in name], visible


def assert_delivered(video: Path, out: Path, passes_check: Callable[..., None]) -> dict:
    """Every deliverable is there and passes `check`; the described video keeps the input's
    duration and picture geometry."""
    stem = video.stem
    for suffix in DELIVERABLES:
        assert (out / f"{stem}{suffix}").is_file(), f"missing {stem}{suffix}"
    # the described video is written in the input's container
    source, described = probe(video), probe(out / f"{stem}.described{video.suffix}")
    script = json.loads((out / f"{stem}.script.json").read_text())
    extension = sum(cue.get("extension", 0.0) for cue in script["cues"])
    tolerance = max(1.5 / source.fps, 0.05)
    assert abs(described.duration - (source.duration + extension)) <= tolerance
    assert (described.width, described.height) == (source.width, source.height)
    assert described.rotation == source.rotation
    assert described.audio and described.audio[0].language == "eng"
    passes_check(out, stem, video)
    return script


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of picture and tone, with its index (moov) at the end as ffmpeg writes it."""
    folder = tmp_path_factory.mktemp("base")
    return make(
        folder / "base.mp4",
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=48000"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"),
    )


# -- inputs that cannot be described: one clear line ------------------------------------


def test_zero_byte_file(tmp_path: Path) -> None:
    video = tmp_path / "empty.mp4"
    video.write_bytes(b"")
    assert_one_error(*narrate(video, tmp_path / "out"), "empty.mp4", "0 bytes")
    assert_nothing_presented(tmp_path / "out")


def test_random_bytes_named_mp4(tmp_path: Path) -> None:
    video = make_corrupt(tmp_path / "noise.mp4", "noise")
    assert_one_error(*narrate(video, tmp_path / "out"), "noise.mp4", "not a readable video")
    assert_nothing_presented(tmp_path / "out")


def test_truncated_mp4_without_index(tmp_path: Path, base: Path) -> None:
    video = make_corrupt(tmp_path / "cut short.mp4", "truncated", source=base)
    assert_one_error(*narrate_process(video, tmp_path / "out"), "cut short.mp4", "truncated")
    assert_nothing_presented(tmp_path / "out")


def test_audio_only_file(tmp_path: Path) -> None:
    audio = Path(make_audio_only(tmp_path / "podcast.m4a", duration=1.0, speech=()).path)
    assert_one_error(*narrate(audio, tmp_path / "out"), "audio-only", "video file")
    assert_nothing_presented(tmp_path / "out")


def test_non_utf8_file_name(tmp_path: Path, base: Path) -> None:
    name = os.fsencode(tmp_path) + b"/caf\xe9 \xff clip.mp4"
    shutil.copyfile(base, name)
    out = tmp_path / "out"
    line = assert_one_error(*narrate_process(name, out), "not valid UTF-8", "rename")
    assert "caf\ufffd \ufffd clip.mp4" in line  # the name is shown, undecodable bytes marked
    assert not out.exists()


# -- inputs that must be described correctly ------------------------------------------


def damaged_mid_stream(target: Path, base: Path) -> Path:
    """A copy of `base` with 4 KiB of noise in the middle of its media data (mdat)."""
    data = bytearray(base.read_bytes())
    position = 0
    while position < len(data):
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"mdat":
            middle = position + size // 2
            data[middle : middle + 4096] = np.random.default_rng(3).bytes(4096)
        position += size
    target.write_bytes(bytes(data))
    return target


def test_damaged_packets_mid_stream(
    tmp_path: Path, base: Path, passes_check: Callable[..., None]
) -> None:
    video = damaged_mid_stream(tmp_path / "scratched.mp4", base)
    code, stderr = narrate_process(video, tmp_path / "out")
    assert code == 0, stderr
    assert "damaged" in stderr and "Traceback" not in stderr  # a warning says what was skipped
    assert_delivered(video, tmp_path / "out", passes_check)


ODD_VIDEOS = {
    "no audio": ("320x180", 25, 2, "-c:v", "libx264", "-preset", "ultrafast"),
    "1x1": ("16x16", 10, 2, "-vf", "scale=1:1", "-c:v", "libx264", "-pix_fmt", "yuv444p"),
    "odd size": ("321x179", 25, 2, "-vf", "scale=321:179", "-c:v", "ffv1", "-pix_fmt", "yuv444p"),
    "10-bit": ("320x180", 25, 2, "-c:v", "libx264", "-pix_fmt", "yuv420p10le"),
    "interlaced": (
        *("320x180", 25, 2, "-c:v", "libx264", "-flags", "+ilme+ildct"),
        *("-field_order", "tt", "-x264opts", "tff=1"),
    ),
    "variable rate": (
        *("320x180", 25, 3, "-vf", r"select='lt(n\,25)+not(mod(n\,5))'"),
        *("-fps_mode", "vfr", "-c:v", "libx264"),
    ),
}
SUFFIXES = {"odd size": ".mkv"}


@pytest.mark.parametrize("kind", list(ODD_VIDEOS))
def test_unusual_video_is_described(
    kind: str, tmp_path: Path, passes_check: Callable[..., None]
) -> None:
    size, rate, seconds, *codec = ODD_VIDEOS[kind]
    target = tmp_path / f"{kind}{SUFFIXES.get(kind, '.mp4')}"
    video = lavfi_video(target, size, rate, seconds, *codec)
    assert f"{probe(video).width}x{probe(video).height}" == size or kind == "1x1"
    out = tmp_path / "out"
    code, stderr = narrate(video, out)
    assert code == 0, stderr
    script = assert_delivered(video, out, passes_check)
    assert script["cues"], "a silent clip has room for a description"
    with (
        av.open(str(out / f"{kind}.described{video.suffix}")) as written,
        av.open(str(video)) as src,
    ):
        # stream-copied: 10-bit stays 10-bit, 4:4:4 stays 4:4:4, fields stay fields
        got, want = written.streams.video[0].codec_context, src.streams.video[0].codec_context
        assert (got.name, got.pix_fmt) == (want.name, want.pix_fmt)


@pytest.mark.slow
def test_8k_video(tmp_path: Path, passes_check: Callable[..., None]) -> None:
    video = lavfi_video(tmp_path / "8k.mp4", "7680x4320", 2, 2, "-c:v", "libx264")
    code, stderr = narrate(video, tmp_path / "out", "--extended", "off")
    assert code == 0, stderr
    assert_delivered(video, tmp_path / "out", passes_check)


@pytest.mark.slow
def test_phone_video_with_display_rotation(
    tmp_path: Path, passes_check: Callable[..., None]
) -> None:
    """Stored sideways and tagged to turn 90 degrees: the caption is still read, the tag kept."""
    upright = make_sample_video(
        tmp_path / "upright.mp4",
        duration=3.0,
        cuts=(),
        speech=(),
        texts=((0.0, 3.0, "EXIT 12"),),
        audio=False,
    ).path
    sideways = make(
        tmp_path / "sideways.mp4", "-i", upright, "-vf", "transpose=clock", "-c:v", "libx264"
    )
    video = make(
        tmp_path / "phone.mp4", "-display_rotation", "90", "-i", str(sideways), "-c", "copy"
    )
    info = probe(video)
    assert info.rotation == 90 and (info.width, info.height) == (360, 640)
    code, stderr = narrate(video, tmp_path / "out")
    assert code == 0, stderr
    script = assert_delivered(video, tmp_path / "out", passes_check)
    # sideways, the OCR reads nothing; turned upright, it reads the sign
    assert any("EXIT" in cue["text"] for cue in script["cues"]), script["cues"]


def test_several_audio_streams(tmp_path: Path, passes_check: Callable[..., None]) -> None:
    video = make(
        tmp_path / "two languages.mp4",
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2"),
        *("-f", "lavfi", "-i", "sine=frequency=300:duration=2"),
        *("-f", "lavfi", "-i", "sine=frequency=600:duration=2"),
        *("-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-c:a", "aac"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra"),
    )
    code, stderr = narrate(video, tmp_path / "out")
    assert code == 0, stderr
    assert_delivered(video, tmp_path / "out", passes_check)
    with av.open(str(tmp_path / "out" / "two languages.described.mp4")) as written:
        described, original, second = written.streams.audio
        assert "visual_impaired" in described.disposition.name.lower()
        assert original.metadata.get("language") == "eng"  # the programme's first track
        assert second.metadata.get("language") == "fra"  # and every other one, kept
        titles = [s.metadata.get("title") or s.metadata.get("handler_name") for s in (original, second)]
        assert titles == ["English", "French"]


@pytest.fixture(scope="module")
def half_second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("short")
    return make(
        folder / "blink.mp4",
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=0.5"),
        *("-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "libx264", "-c:a", "aac"),
    )


def test_half_second_video_without_extension(
    half_second: Path, tmp_path: Path, passes_check: Callable[..., None]
) -> None:
    code, stderr = narrate(half_second, tmp_path / "out", "--extended", "off")
    assert code == 0, stderr
    script = assert_delivered(half_second, tmp_path / "out", passes_check)
    assert script["cues"] == []  # no gap of 1.2 s: nothing to say, nothing forced in


def test_half_second_video_with_extended_description(
    half_second: Path, tmp_path: Path, passes_check: Callable[..., None]
) -> None:
    code, stderr = narrate(half_second, tmp_path / "out")
    assert code == 0, stderr
    script = assert_delivered(half_second, tmp_path / "out", passes_check)
    assert script["cues"] and script["cues"][0]["extension"] > 0


# -- where the outputs go ---------------------------------------------------------------


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """Mount small tmpfs folders (root only); unmounted afterwards."""
    mounts: list[Path] = []

    def mount(name: str, options: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in mounts:
        subprocess.run(["umount", str(folder)], check=False)


def fill(folder: Path, leave_bytes: int) -> None:
    """Fill the file system of `folder` until about `leave_bytes` are free."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    (folder / "filler").write_bytes(b"\0" * max(0, free - leave_bytes))


def test_read_only_output_folder(
    tmp_path: Path, base: Path, mounted: Callable[[str, str], Path]
) -> None:
    if os.geteuid() == 0:
        out = mounted("read-only", "ro,size=1m")
    else:
        out = tmp_path / "read-only"
        out.mkdir()
        out.chmod(0o555)
    code, stderr = narrate_process(base, out)
    assert_one_error(code, stderr, str(out), "--out-dir")
    assert_nothing_presented(out)


def test_disk_full_while_decoding(base: Path, mounted: Callable[[str, str], Path]) -> None:
    out = mounted("full", "size=2m")
    fill(out, 40 * 1024)
    code, stderr = narrate_process(base, out)
    assert_one_error(code, stderr, "no space left", "free some disk space")
    assert_nothing_presented(out)


def test_disk_full_while_rendering(base: Path, mounted: Callable[[str, str], Path]) -> None:
    out = mounted("full", "size=2m")
    fill(out, 650 * 1024)  # room for the work files and the stem, not for the video
    code, stderr = narrate_process(base, out)
    assert_nothing_presented(out)
    assert_one_error(code, stderr, "no space left")
