"""Who is on screen in each clip: faces counted and grouped into the video's identities.

Dataset teams filter clips on people ("one face", "the same person as in clip
3"), so with characters on each clip's row gets the most faces seen on one of
its keyframes and the ids of the identities seen ("person-1", numbered per
video, in order of first appearance). The clips' keyframes go through the
narrate pipeline's own characters stage. Faces, descriptors and thumbnails
stay in the worker's scratch folder, which is removed with the video's frames;
nothing links identities across videos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from autodescribe.analysis.characters import find_characters
from autodescribe.backends.characters import FaceAnalyzer
from autodescribe.config import CharacterSettings
from autodescribe.types import Cast, OnScreenText, Scene

Span = tuple[float, float, tuple[float, ...]]  # start, end, keyframe times


def clip_casts(
    spans: Sequence[Span],
    stills: Mapping[float, Path],
    settings: CharacterSettings,
    analyzer: FaceAnalyzer,
    scratch: Path,
) -> list[Cast]:
    """One cast per clip: its face count and the identities seen in it."""
    scenes = [
        Scene(index=i, start=start, end=end, keyframe_times=times)
        for i, (start, end, times) in enumerate(spans)
    ]
    texts: list[list[OnScreenText]] = [[] for _ in scenes]  # ids only: no names wanted here
    by_time = {time: str(path) for time, path in stills.items()}
    bank = find_characters(scenes, by_time, texts, (), settings, scratch / "faces", analyzer)
    return [bank.cast([scene.index]) for scene in scenes]
