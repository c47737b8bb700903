"""The one place that runs the ffmpeg binary.

Filter graphs, encoding and muxing go through `run_ffmpeg`, so every call gets
the same flags, the same progress bar and the same error message when ffmpeg
fails. Raw audio can be fed on stdin, so a mix computed in numpy never has to
be written to disk as a whole.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from functools import cache
from typing import IO

from autodescribe.errors import MediaError
from autodescribe.util.progress import progress

log = logging.getLogger(__name__)

# Lines ffmpeg prints after the real cause of a failure; they say nothing useful.
_GENERIC_LINES = (
    "conversion failed",
    "exiting normally",
    "error opening input file",
    "error opening output file",
    "could not write header",
    "nothing was written",
    "terminating thread",
    "task finished with error",
    "error sending frames",
    "error while filtering",
    "error selecting an encoder",
    "frame=",
    "size=",
    "qavg:",  # the AAC encoder's closing statistics
    "could not open encoder",
    "error while opening encoder",
    "possible presets:",
    "video:",  # the closing size summary
    "possible tunes:",
    "output #",  # the header of an output opened as the run ends
    "summary:",  # the first line of a meter's summary (ebur128)
    "possible profiles:",
)
# "[webm @ 0x55e7...] " in front of a component's message.
_COMPONENT = re.compile(r"^(?:\[[^\]]*\]\s*)+")
_KEPT_STDERR_LINES = 400


@cache
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg that imageio-ffmpeg ships (or FFMPEG_BINARY)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@cache
def has_loopback_decoders() -> bool:
    """Whether this ffmpeg can decode what it encodes in the same run (`-dec`, FFmpeg 7+):
    the one that ships can; one chosen through IMAGEIO_FFMPEG_EXE may be older. Asked by
    running it once on a twentieth of a second of silence."""
    tone = ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "0.05"]
    loop = ["-dec", "0:0", "-filter_complex", "[dec:0]anull[heard]", "-map", "[heard]"]
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", *tone, "-c:a", "aac", "-f", "null", "-"]
    try:
        done = subprocess.run(
            [*command, *loop, "-f", "null", "-"], capture_output=True, timeout=30, check=False
        )
    except (OSError, RuntimeError, subprocess.SubprocessError):  # no ffmpeg: the render says so
        return False
    return done.returncode == 0


def run_ffmpeg(
    args: Sequence[str],
    label: str,
    duration: float | None = None,
    stdin: Iterable[bytes] | None = None,
) -> str:
    """Run ffmpeg with `args`; return the tail of its stderr (summaries live there).

    `duration` (seconds of output) turns on a progress bar fed by `-progress`.
    `stdin` streams bytes to an input given as `pipe:0`. Raises `MediaError`
    carrying the last meaningful stderr line when ffmpeg fails.
    """
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y"]
    if duration is not None:
        command += ["-progress", "pipe:1", "-nostats"]
    command += [str(arg) for arg in args]
    log.debug("ffmpeg %s", subprocess.list2cmdline(command[1:]))
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if duration is not None else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise MediaError(f"cannot start ffmpeg ({exc})", "reinstall imageio-ffmpeg") from exc
    stderr_lines: deque[str] = deque(maxlen=_KEPT_STDERR_LINES)
    feed_errors: list[BaseException] = []
    threads = [threading.Thread(target=_collect, args=(proc.stderr, stderr_lines), daemon=True)]
    if stdin is not None:
        threads.append(threading.Thread(target=_feed, args=(proc, stdin, feed_errors), daemon=True))
    for thread in threads:
        thread.start()
    try:
        if duration is not None:
            _follow_progress(proc.stdout, label, duration)
        returncode = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for thread in threads:
            thread.join(timeout=10)
    if feed_errors:
        raise feed_errors[0]
    if returncode != 0:
        reason = last_meaningful_line(stderr_lines) or f"exit status {returncode}"
        raise MediaError(f"ffmpeg failed while {label} ({reason})", "run with --debug for details")
    return "\n".join(stderr_lines)


def last_meaningful_line(lines: Iterable[str]) -> str | None:
    """The line that says why ffmpeg failed, skipping the cascade of generic lines after it."""
    # indented lines are listings (streams, metadata, a meter's summary), never the cause
    kept = [_COMPONENT.sub("", line.strip()) for line in lines if not line[:1].isspace()]
    kept = [line for line in kept if line]
    for line in reversed(kept):
        if not line.lower().startswith(_GENERIC_LINES):
            return line
    return kept[-1] if kept else None


def _collect(stream: IO[bytes] | None, lines: deque[str]) -> None:
    """Drain stderr so ffmpeg never blocks on a full pipe; keep the last lines."""
    if stream is None:
        return
    for raw in stream:
        lines.append(raw.decode("utf-8", "replace").rstrip())


def _feed(
    proc: subprocess.Popen[bytes], blocks: Iterable[bytes], errors: list[BaseException]
) -> None:
    """Write `blocks` to ffmpeg's stdin; an error in the producer stops ffmpeg."""
    if proc.stdin is None:
        return
    try:
        for block in blocks:
            proc.stdin.write(block)
    except BrokenPipeError:
        pass  # ffmpeg stopped reading: its own error message explains why
    except BaseException as exc:  # re-raised in the calling thread
        errors.append(exc)
        proc.kill()
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


def _follow_progress(stream: IO[bytes] | None, label: str, duration: float) -> None:
    """Move a bar along with the `out_time_us=` lines of `-progress pipe:1`."""
    if stream is None:
        return
    with progress(label, round(duration, 1)) as bar:
        for raw in stream:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit():
                seconds = min(max(int(value) / 1e6, 0.0), duration)
                bar.update(round(seconds - bar.n, 3))
            elif key == "progress" and value == "end":
                bar.update(round(duration - bar.n, 3))
