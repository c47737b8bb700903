"""The original audio tracks paused at every freeze, encoded on their own while the mix is made.

Extended description pauses the original programme with the picture, so its
tracks cannot be stream-copied: each is cut at the freezes, padded with their
silence and encoded again. That encode reads nothing of the mix, so it runs in
its own ffmpeg process beside the mix pass (which leaves a core mostly idle),
and the final mux stream-copies its packets. In one ffmpeg process with the
mix's encode, two AAC encoders took 21 s of a 10-minute stereo programme; as
two processes, 15 s. The packets, their timestamps and the decoded samples are
the same either way (MP4, MOV, MKV and WebM): the encoder is given the same
samples with the same settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.render.extend import audio_filter
from autodescribe.render.mux import MOV_FAMILY, audio_codec, track_bitrate
from autodescribe.timeline import Freeze, frozen_seconds
from autodescribe.types import VideoInfo

LABEL = "original audio"  # its progress bar


def encode_paused_originals(
    video: VideoInfo, freezes: Sequence[Freeze], suffix: str, folder: Path
) -> Path:
    """Every audio track of `video`, paused at `freezes`, encoded for a `suffix` output.

    The file holds the tracks in the source's order, in the codec the output's
    container takes (so the mux copies them), in a container that keeps their
    timing as a direct encode would (MP4 for the QuickTime family, else Matroska)."""
    mp4_family = suffix in MOV_FAMILY
    target = folder / ("paused-originals.mp4" if mp4_family else "paused-originals.mka")
    graph = [
        audio_filter(freezes, f"0:a:{j}", f"orig{j}", stream.sample_rate, stream.channels)
        for j, stream in enumerate(video.audio)
    ]
    args = ["-i", video.path, "-filter_complex", ";".join(graph)]
    codec = audio_codec(suffix)
    for j, stream in enumerate(video.audio):
        args += ["-map", f"[orig{j}]", f"-c:a:{j}", codec, f"-b:a:{j}", track_bitrate(stream)]
    args += ["-f", "mp4" if mp4_family else "matroska", str(target)]
    run_ffmpeg(args, LABEL, duration=video.duration + frozen_seconds(freezes))
    return target
