"""The characters stage: its time against one ffmpeg decode, and how pure its identities are.

    python benchmarks/characters.py [--duration 60] [--size 1280x720] [--scene-seconds 5]

Two 60 s 720p clips: a film cut from real photographs of three people
(`autodescribe.testing.faces`, fetched once with pip), and the synthetic clip
of `benchmarks/stages.py` (no faces: the cost of searching alone). For each,
prints `ffmpeg -i CLIP -f null -` time, the stage's time (model loading apart)
as a multiple of it, and per keyframe; for the film, the identities' purity
(share of appearances that are the identity's main person) and completeness
(share of a person's appearances in their main identity).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import imageio_ffmpeg

from autodescribe.analysis.characters import find_characters
from autodescribe.analysis.frames import analyse_frames
from autodescribe.analysis.scenes import build_scenes
from autodescribe.backends.characters import face_analyzers
from autodescribe.config import CharacterSettings, NarrateSettings
from autodescribe.media.probe import probe
from autodescribe.testing.faces import (
    FaceFilm,
    PhotosUnavailable,
    fetch_face_photos,
    make_face_film,
)
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import spread_plan
from autodescribe.types import CharacterBank, Scene


def ffmpeg_decode_seconds(clip: Path) -> float:
    """One `ffmpeg -i CLIP -f null -`: every frame decoded once, as in benchmarks/stages.py."""
    started = time.perf_counter()
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "null", "-"]
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def analyse(
    clip: Path, work: Path, settings: CharacterSettings
) -> tuple[list[Scene], CharacterBank, float, float]:
    """Scenes, characters, the stage's seconds and the model's loading seconds."""
    narrate = NarrateSettings()
    stills_folder = work / "stills"
    stills_folder.mkdir(parents=True)
    frames = analyse_frames(probe(clip), narrate.shots, narrate.scenes, stills_folder)
    scenes = build_scenes(
        frames.shots,
        frames.stills,
        narrate.scenes.min_scene_seconds,
        narrate.scenes.keyframes_per_scene,
    )
    stills = {s.time: s.path for s in frames.stills}
    started = time.perf_counter()
    analyzer = face_analyzers.create(settings.backend)
    loading = time.perf_counter() - started
    started = time.perf_counter()
    bank = find_characters(
        scenes, stills, [[] for _ in scenes], [], settings, work / "thumbnails", analyzer
    )
    seconds = time.perf_counter() - started
    analyzer.close()
    return scenes, bank, seconds, loading


def purity(film: FaceFilm, scenes: list[Scene], bank: CharacterBank) -> tuple[float, float, int]:
    """Purity, completeness, and the number of people, over the identities' appearances."""
    pairs: list[tuple[str, str]] = []
    for character in bank.characters:
        for appearance in character.appearances:
            people = film.scene_at(appearance.time).people
            centre = appearance.box[0] + appearance.box[2] / 2
            ranked = sorted(people, key=lambda p: ["left", "centre", "right"].index(p[1]))
            who = ranked[0][0] if len(ranked) == 1 or centre < 0.5 else ranked[-1][0]
            pairs.append((character.id, who))
    by_identity = Counter(pairs)
    main_person = {i: max((n, p) for (j, p), n in by_identity.items() if j == i) for i, _ in pairs}
    main_identity = {
        p: max((n, i) for (i, q), n in by_identity.items() if q == p) for _, p in pairs
    }
    pure = sum(n for n, _ in main_person.values()) / len(pairs)
    complete = sum(n for n, _ in main_identity.values()) / len(pairs)
    return pure, complete, len(main_identity)


def report(label: str, decode: float, scenes: list[Scene], seconds: float, loading: float) -> None:
    keyframes = sum(len(s.keyframe_times) for s in scenes)
    print(f"{label}: ffmpeg -f null decode {decode:.2f} s")
    print(
        f"  characters stage {seconds:6.2f} s = {seconds / decode:5.2f}x decode; "
        f"{len(scenes)} scenes, {keyframes} keyframes, {seconds / keyframes:.2f} s each "
        f"(+ {loading:.2f} s loading the models)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--scene-seconds", type=float, default=5.0)
    parser.add_argument("--threshold", type=float, default=CharacterSettings().threshold)
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    settings = CharacterSettings(threshold=args.threshold)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            photos = fetch_face_photos()
        except PhotosUnavailable as exc:
            print(f"no photographs ({exc}); the film of faces is skipped")
        else:
            film = make_face_film(
                root / "faces.mp4",
                photos,
                scene_seconds=args.scene_seconds,
                duration=args.duration,
                size=(width, height),
            )
            decode = min(ffmpeg_decode_seconds(Path(film.path)) for _ in range(3))
            scenes, bank, seconds, loading = analyse(Path(film.path), root / "faces", settings)
            report(
                f"film of faces, {args.duration:.0f} s {args.size}",
                decode,
                scenes,
                seconds,
                loading,
            )
            pure, complete, people = purity(film, scenes, bank)
            appearances = sum(len(c.appearances) for c in bank.characters)
            print(
                f"  threshold {settings.threshold}: {len(bank.characters)} identities for "
                f"{people} people over {appearances} appearances; purity {pure:.3f}, "
                f"completeness {complete:.3f}"
            )
        clip = root / "clip.mp4"
        make_sample_video(clip, size=(width, height), **spread_plan(args.duration))
        decode = min(ffmpeg_decode_seconds(clip) for _ in range(3))
        scenes, bank, seconds, loading = analyse(clip, root / "clip", settings)
        report(
            f"synthetic clip (no faces), {args.duration:.0f} s {args.size}",
            decode,
            scenes,
            seconds,
            loading,
        )
        print(f"  {len(bank.characters)} identities (none expected)")


if __name__ == "__main__":
    main()
