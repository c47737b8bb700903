"""Scenes: shots grouped so that none is shorter than a describable minimum.

A scene is the unit that gets one description. Very short shots (a fast
montage) are merged into their neighbour rather than each described.
"""

from __future__ import annotations

from collections.abc import Sequence

from autodescribe.types import Scene, Shot, Still


def group_shots(shots: Sequence[Shot], min_seconds: float) -> list[list[Shot]]:
    """Merge consecutive shots until each group lasts at least `min_seconds`."""
    groups: list[list[Shot]] = []
    for shot in shots:
        if groups and _length(groups[-1]) < min_seconds:
            groups[-1].append(shot)
        else:
            groups.append([shot])
    if len(groups) > 1 and _length(groups[-1]) < min_seconds:
        groups[-2].extend(groups.pop())
    return groups


def build_scenes(
    shots: Sequence[Shot], stills: Sequence[Still], min_seconds: float, keyframes: int
) -> list[Scene]:
    """Scenes with `keyframes` still times spread evenly inside each one."""
    scenes = []
    for index, group in enumerate(group_shots(shots, min_seconds)):
        start, end = group[0].start, group[-1].end
        inside = [s.time for s in stills if start <= s.time < end]
        scenes.append(
            Scene(
                index=index,
                start=start,
                end=end,
                shots=tuple(group),
                keyframe_times=tuple(pick_spread(inside, keyframes)),
            )
        )
    return scenes


def pick_spread(times: Sequence[float], count: int) -> list[float]:
    """`count` times evenly spread, avoiding the first and last instants of the scene."""
    if len(times) <= count:
        return list(times)
    return [times[int((i + 0.5) * len(times) / count)] for i in range(count)]


def _length(group: Sequence[Shot]) -> float:
    return group[-1].end - group[0].start
