"""Real photographs of faces, and a short film made of them whose cast is known.

The photographs are the test images of the face_recognition 1.3.0 source
distribution (several photos of two people) and scikit-image's `astronaut`
(a NASA portrait in the public domain). None ships with autodescribe:
`fetch_face_photos` gets them once with pip into a cache folder
(`~/.cache/autodescribe-test-data`, or under `$XDG_CACHE_HOME`) and raises
`PhotosUnavailable` when it cannot, so tests can skip with the reason.

`make_face_film` cuts the photos into a film of scenes with hard cuts: one
person or two, framed close, medium or wide, left, centre or right, a
lower-third name caption on one scene and lines of dialogue that name people,
and returns what each scene truly shows.
"""

from __future__ import annotations

import colorsys
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from autodescribe.types import Position, ShotScale, SpeechSpan

log = logging.getLogger(__name__)

SDIST = "face-recognition==1.3.0"
# photo key -> (file name in the sdist's tests/test_images, person)
SDIST_PHOTOS = {
    "obama": ("obama.jpg", "obama"),
    "obama2": ("obama2.jpg", "obama"),
    "obama3": ("obama3.jpg", "obama"),
    "obama_partial": ("obama_partial_face.jpg", "obama"),
    "biden": ("biden.jpg", "biden"),
}
ASTRONAUT = "astronaut"  # scikit-image's data.astronaut(): Eileen Collins
_PIP_TIMEOUT = 300


class PhotosUnavailable(RuntimeError):
    """The test photographs could not be fetched (no network, no pip)."""


@dataclass(frozen=True)
class Photo:
    path: Path
    person: str


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autodescribe-test-data"


def fetch_face_photos(cache: Path | None = None) -> dict[str, Photo]:
    """The photographs by key ("obama", "obama2", ..., "astronaut" when it can be had).

    The face_recognition photos are required (`PhotosUnavailable` otherwise);
    the astronaut is left out when neither scikit-image nor its wheel can be had.
    """
    folder = (cache or default_cache()) / "faces"
    folder.mkdir(parents=True, exist_ok=True)
    photos = {key: Photo(folder / name, person) for key, (name, person) in SDIST_PHOTOS.items()}
    if not all(p.path.is_file() for p in photos.values()):
        _fetch_sdist_photos(folder)
    astronaut = folder / "astronaut.png"
    if astronaut.is_file() or _fetch_astronaut(astronaut):
        photos[ASTRONAUT] = Photo(astronaut, ASTRONAUT)
    return photos


def _pip_download(args: Sequence[str], into: Path) -> Path:
    """Run `pip download ARGS -d INTO`; the one file it saved."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", *args, "-d", str(into)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=_PIP_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        reason = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        raise PhotosUnavailable(f"pip download {' '.join(args)} failed: {reason[0]}") from exc
    saved = [p for p in into.iterdir() if p.is_file()]
    if len(saved) != 1:
        raise PhotosUnavailable(f"pip download {' '.join(args)} saved {len(saved)} files")
    return saved[0]


def _fetch_sdist_photos(folder: Path) -> None:
    wanted = {name for name, _ in SDIST_PHOTOS.values()}
    with tempfile.TemporaryDirectory() as tmp:
        try:  # reading the sdist's metadata with this environment's setuptools is quicker
            archive = _pip_download(
                ["--no-binary", ":all:", "--no-build-isolation", SDIST], Path(tmp)
            )
        except PhotosUnavailable:
            archive = _pip_download(["--no-binary", ":all:", SDIST], Path(tmp))
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if member.isfile() and "/tests/test_images/" in member.name and name in wanted:
                    data = tar.extractfile(member)
                    if data is not None:
                        (folder / name).write_bytes(data.read())
    missing = sorted(n for n in wanted if not (folder / n).is_file())
    if missing:
        raise PhotosUnavailable(f"{SDIST} has no tests/test_images/{missing[0]}")


def _fetch_astronaut(target: Path) -> bool:
    """Save scikit-image's astronaut to `target`: from the library, else from its wheel."""
    try:
        from skimage import data

        Image.fromarray(data.astronaut()).save(target)
        return True
    except ImportError:
        pass
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _pip_download(["--only-binary", ":all:", "scikit-image"], Path(tmp))
            with zipfile.ZipFile(wheel) as archive:
                target.write_bytes(archive.read("skimage/data/astronaut.png"))
        return True
    except (PhotosUnavailable, KeyError, zipfile.BadZipFile) as exc:
        log.warning("no astronaut photograph (%s); using the face_recognition photos only", exc)
        return False


@dataclass(frozen=True)
class Placement:
    """A photo cut to `crop` (fractions l, t, r, b), `height` of the frame tall, at `centre` x."""

    photo: str
    crop: tuple[float, float, float, float]
    height: float
    centre: float
    position: Position  # where its face truly is
    scale: ShotScale  # how it is truly framed


@dataclass(frozen=True)
class FilmScene:
    """What a scene of the film shows and says."""

    start: float
    end: float
    people: tuple[tuple[str, Position, ShotScale], ...]  # (person, position, scale)
    caption: str | None = None  # a lower-third name caption
    line: str | None = None  # a line of dialogue, heard from start + 0.5 s to start + 2 s

    def shows(self, time: float) -> bool:
        return self.start <= time < self.end


@dataclass(frozen=True)
class FaceFilm:
    path: str
    size: tuple[int, int]
    fps: float
    scenes: tuple[FilmScene, ...]

    @property
    def duration(self) -> float:
        return self.scenes[-1].end

    @property
    def cuts(self) -> tuple[float, ...]:
        return tuple(scene.start for scene in self.scenes[1:])

    @property
    def dialogue(self) -> tuple[SpeechSpan, ...]:
        return tuple(
            SpeechSpan(s.start + 0.5, s.start + 2.0, s.line) for s in self.scenes if s.line
        )

    def scene_at(self, time: float) -> FilmScene:
        return next(s for s in self.scenes if s.shows(time))


_CLOSE = (0.15, 0.0, 0.95, 0.55)  # obama.jpg cut to his head and shoulders
_BIDEN_MEDIUM = (0.0, 0.0, 1.0, 0.62)  # biden.jpg cut at the waist
_ASTRONAUT_MEDIUM = (0.1, 0.0, 0.9, 0.8)
_WHOLE = (0.0, 0.0, 1.0, 1.0)
# (placements, caption, line); the true names: obama read on screen, biden and astronaut heard.
_PLAN: tuple[tuple[tuple[Placement, ...], str | None, str | None], ...] = (
    ((Placement("obama", _CLOSE, 1.0, 0.5, "centre", "close-up"),), None, None),
    (
        (Placement("biden", _BIDEN_MEDIUM, 1.0, 0.72, "right", "medium"),),
        None,
        "Good morning, Joe.",
    ),
    ((Placement("obama2", _WHOLE, 1.0, 0.28, "left", "medium"),), "BARACK OBAMA", None),
    ((Placement(ASTRONAUT, _ASTRONAUT_MEDIUM, 1.0, 0.5, "centre", "medium"),), None, None),
    (
        (
            Placement("obama3", _WHOLE, 1.0, 0.27, "left", "wide"),
            Placement("biden", _BIDEN_MEDIUM, 0.8, 0.75, "right", "medium"),
        ),
        None,
        None,
    ),
    (
        (
            Placement("obama", _WHOLE, 1.0, 0.27, "left", "medium"),
            Placement(ASTRONAUT, _ASTRONAUT_MEDIUM, 0.9, 0.74, "right", "medium"),
        ),
        None,
        "Hello, Eileen.",
    ),
    ((), None, "Where is Michael?"),
    (
        (
            Placement("biden", _BIDEN_MEDIUM, 1.0, 0.28, "left", "medium"),
            Placement(ASTRONAUT, _ASTRONAUT_MEDIUM, 0.9, 0.73, "right", "medium"),
        ),
        None,
        "Michael, sit down.",
    ),
)
# The names the film gives, by person, and how.
TRUE_NAMES = {"obama": "Barack Obama", "biden": "Joe", ASTRONAUT: "Eileen"}


def make_face_film(
    path: str | Path,
    photos: Mapping[str, Photo],
    *,
    scene_seconds: float = 3.0,
    duration: float | None = None,
    size: tuple[int, int] = (1280, 720),
    fps: int = 25,
) -> FaceFilm:
    """Write the film (H.264, no audio) and return its truth.

    Scenes of `scene_seconds` follow the plan above, leaving out those with a
    photo not in `photos`; with `duration`, the plan repeats until it is filled.
    """
    plan = [s for s in _PLAN if all(p.photo in photos for p in s[0])]
    count = len(plan) if duration is None else max(1, round(duration / scene_seconds))
    scenes: list[FilmScene] = []
    pictures: list[np.ndarray] = []
    for index in range(count):
        placements, caption, line = plan[index % len(plan)]
        start = index * scene_seconds
        people = tuple((photos[p.photo].person, p.position, p.scale) for p in placements)
        scenes.append(FilmScene(start, start + scene_seconds, people, caption, line))
        pictures.append(_picture(index, placements, caption, photos, size))
    _encode(Path(path), pictures, round(scene_seconds * fps), fps)
    return FaceFilm(str(path), size, float(fps), tuple(scenes))


def _picture(
    index: int,
    placements: Sequence[Placement],
    caption: str | None,
    photos: Mapping[str, Photo],
    size: tuple[int, int],
) -> np.ndarray:
    """One scene's still picture: a gradient of its own hue, the photos, the caption."""
    width, height = size
    r, g, b = colorsys.hsv_to_rgb((index * 0.37) % 1.0, 0.45, 0.55)
    ramp = np.linspace(0.6, 1.0, width, dtype=np.float32)[None, :, None]
    colour = np.array([r, g, b], dtype=np.float32)[None, None, :] * 255
    canvas = Image.fromarray(np.broadcast_to(ramp * colour, (height, width, 3)).astype(np.uint8))
    for placement in placements:
        with Image.open(photos[placement.photo].path) as image:
            rgb = image.convert("RGB")
        left, top, right, bottom = placement.crop
        cut = rgb.crop(
            (round(left * rgb.width), round(top * rgb.height))
            + (round(right * rgb.width), round(bottom * rgb.height))
        )
        tall = round(placement.height * height)
        cut = cut.resize((round(cut.width * tall / cut.height), tall), Image.Resampling.LANCZOS)
        canvas.paste(cut, (round(placement.centre * width - cut.width / 2), height - tall))
    if caption:
        _lower_third(canvas, caption)
    return np.asarray(canvas)


def _lower_third(canvas: Image.Image, text: str) -> None:
    """White capitals on a dark bar in the lower left, as news and documentaries name people."""
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=max(12, canvas.height // 16))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = canvas.height // 40
    x, y = canvas.width // 20, round(canvas.height * 0.8)
    bar = (x, y, x + right - left + 2 * pad, y + bottom - top + 2 * pad)
    draw.rectangle(bar, fill=(20, 24, 40))
    draw.text((x + pad - left, y + pad - top), text, fill=(255, 255, 255), font=font)


def _encode(target: Path, pictures: Sequence[np.ndarray], frames_each: int, fps: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    with av.open(str(partial), "w") as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(fps), options={"preset": "ultrafast"}
        )
        stream.width, stream.height = pictures[0].shape[1], pictures[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 2 * fps
        number = 0
        for picture in pictures:
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
            for _ in range(frames_each):
                frame.pts, number = number, number + 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    shutil.move(partial, target)
