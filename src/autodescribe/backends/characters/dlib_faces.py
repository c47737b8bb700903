"""dlib faces: the HOG frontal face detector, 5-point landmarks and the ResNet descriptor.

The models are the data files of the `face-recognition-models` package. Its
helper functions import `pkg_resources`, which recent setuptools no longer
ships, so the files are found from the package's folder without importing it.
The 68-point landmark model it also holds is never used: the data it was
trained on restricts commercial use. The 5-point model is all the descriptor
needs to align a face.

Detection runs dlib's HOG detector, whose window finds faces of about 80 px
and up; each `upsample` doubles the image first (about 4x the time), so the
default of 1 finds faces from about 40 px: on a 640x360 keyframe, faces from
about a ninth of the frame height, which is a person seen from the knees up.
The descriptor is dlib's 128-float ResNet embedding; dlib reports 99.38% on
the LFW benchmark with 0.6 as its "same person" distance.

Threads: dlib releases the GIL while it detects and describes, so the stage
looks at several keyframes at once. The detector and the network keep
per-call state, so each thread borrows a pair of its own (made on first need,
kept for the next call); the landmark model is read-only and shared. A
detector is copied from one kept unused for that: building it from dlib's
built-in model takes half a second, a copy 3 ms.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import queue
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.backends.characters.base import Face
from autodescribe.errors import BackendUnavailable, ConfigError, install_hint

log = logging.getLogger(__name__)

_LANDMARKS = "shape_predictor_5_face_landmarks.dat"
_DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"


def models_folder() -> Path:
    """The folder of the `face-recognition-models` data files; raises `BackendUnavailable`."""
    spec = importlib.util.find_spec("face_recognition_models")
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    for folder in folders:
        models = Path(folder) / "models"
        if all((models / name).is_file() for name in (_LANDMARKS, _DESCRIPTOR)):
            return models
    raise BackendUnavailable(
        "the face models (face-recognition-models) are not installed", install_hint("faces")
    )


def _import_dlib() -> Any:
    try:
        import dlib
    except ImportError as exc:
        raise BackendUnavailable("dlib is not installed", install_hint("faces")) from exc
    return dlib


def saved_detector_path(dlib: Any) -> Path:
    """Where the frontal face detector of this dlib version is kept (XDG cache folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    version = getattr(dlib, "__version__", "unknown")
    return Path(base) / "autodescribe" / f"dlib-{version}-frontal-face-detector.svm"


def frontal_face_detector(dlib: Any) -> Any:
    """dlib's HOG face detector, read from the saved copy, else built and saved for next time."""
    try:
        saved = saved_detector_path(dlib)
    except RuntimeError:  # no home folder to keep it in
        return dlib.get_frontal_face_detector()
    if saved.is_file():
        try:
            return dlib.fhog_object_detector(str(saved))
        except RuntimeError as exc:  # truncated or from another build: make it again
            log.debug("cannot read %s (%s); building the detector", saved, exc)
    detector = dlib.get_frontal_face_detector()
    tmp = saved.with_name(f".{saved.name}.{os.getpid()}.tmp")
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        detector.save(str(tmp))
        os.replace(tmp, saved)
    except (OSError, RuntimeError) as exc:  # a read-only home costs half a second a run
        log.debug("cannot save the face detector to %s (%s)", saved, exc)
        tmp.unlink(missing_ok=True)
    return detector


@dataclass(frozen=True)
class _Models:
    """The dlib objects that keep per-call state: one pair per thread using them at once."""

    detector: Any
    encoder: Any


class DlibFaceAnalyzer:
    """Faces and 128-float descriptors with dlib; the models load when it is made.

    `detect` may be called from several threads at once.
    """

    name: ClassVar[str] = "dlib"
    thread_safe: ClassVar[bool] = True

    def __init__(self, upsample: int = 1, jitters: int = 0) -> None:
        if not 0 <= upsample <= 3:
            raise ConfigError(f"upsample {upsample} is out of range", "use 0, 1, 2 or 3")
        if not 0 <= jitters <= 100:
            raise ConfigError(f"jitters {jitters} is out of range", "use 0 (fast) to 100")
        self._dlib = _import_dlib()
        self._models_folder = models_folder()
        self.upsample = upsample
        self.jitters = jitters
        self._landmarks: Any = self._dlib.shape_predictor(str(self._models_folder / _LANDMARKS))
        self._pristine: Any = frontal_face_detector(self._dlib)  # copied, never run
        self._idle: queue.SimpleQueue[_Models] = queue.SimpleQueue()
        self._idle.put(self._new_models())
        self._closed = False

    @staticmethod
    def check_installed() -> None:
        """Raise `BackendUnavailable` (with the install hint) if dlib or the models are missing."""
        if importlib.util.find_spec("dlib") is None:
            raise BackendUnavailable("dlib is not installed", install_hint("faces"))
        models_folder()

    def detect(self, image: np.ndarray) -> list[Face]:
        """The faces on an RGB uint8 image, largest first."""
        if self._closed:
            raise ConfigError("this face analyzer was closed", "make a new one")
        models = self._borrow()
        try:
            return self._detect(models, np.ascontiguousarray(image, dtype=np.uint8))
        finally:
            self._idle.put(models)

    def close(self) -> None:
        self._closed = True
        self._landmarks = self._pristine = None
        while not self._idle.empty():
            self._idle.get_nowait()

    def _detect(self, models: _Models, pixels: np.ndarray) -> list[Face]:
        boxes, scores, _ = models.detector.run(pixels, self.upsample, 0.0)
        if not boxes:
            return []
        shapes = self._dlib.full_object_detections()
        for box in boxes:
            shapes.append(self._landmarks(pixels, box))
        descriptors = models.encoder.compute_face_descriptor(pixels, shapes, self.jitters)
        faces = [
            _face(box, np.asarray(descriptor, dtype=np.float32), float(score), pixels.shape)
            for box, score, descriptor in zip(boxes, scores, descriptors, strict=True)
        ]
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def _borrow(self) -> _Models:
        """An idle detector and network, or a new pair when every one is in use."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._new_models()

    def _new_models(self) -> _Models:
        encoder = self._dlib.face_recognition_model_v1(str(self._models_folder / _DESCRIPTOR))
        return _Models(copy.deepcopy(self._pristine), encoder)


def _face(box: Any, descriptor: np.ndarray, score: float, shape: tuple[int, ...]) -> Face:
    """A dlib rectangle clipped to the image."""
    height, width = shape[:2]
    left, top = max(0, int(box.left())), max(0, int(box.top()))
    right, bottom = min(width, int(box.right()) + 1), min(height, int(box.bottom()) + 1)
    return Face(left, top, right - left, bottom - top, descriptor, score)
