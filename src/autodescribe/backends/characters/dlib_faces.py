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
"""

from __future__ import annotations

import importlib.util
import logging
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


class DlibFaceAnalyzer:
    """Faces and 128-float descriptors with dlib; the models load when it is made."""

    name: ClassVar[str] = "dlib"

    def __init__(self, upsample: int = 1, jitters: int = 0) -> None:
        if not 0 <= upsample <= 3:
            raise ConfigError(f"upsample {upsample} is out of range", "use 0, 1, 2 or 3")
        if not 0 <= jitters <= 100:
            raise ConfigError(f"jitters {jitters} is out of range", "use 0 (fast) to 100")
        dlib = _import_dlib()
        models = models_folder()
        self.upsample = upsample
        self.jitters = jitters
        self._detector: Any = dlib.get_frontal_face_detector()
        self._landmarks: Any = dlib.shape_predictor(str(models / _LANDMARKS))
        self._encoder: Any = dlib.face_recognition_model_v1(str(models / _DESCRIPTOR))
        self._shapes: Any = dlib.full_object_detections

    @staticmethod
    def check_installed() -> None:
        """Raise `BackendUnavailable` (with the install hint) if dlib or the models are missing."""
        if importlib.util.find_spec("dlib") is None:
            raise BackendUnavailable("dlib is not installed", install_hint("faces"))
        models_folder()

    def detect(self, image: np.ndarray) -> list[Face]:
        """The faces on an RGB uint8 image, largest first."""
        if self._detector is None:
            raise ConfigError("this face analyzer was closed", "make a new one")
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        boxes, scores, _ = self._detector.run(pixels, self.upsample, 0.0)
        if not boxes:
            return []
        shapes = self._shapes()
        for box in boxes:
            shapes.append(self._landmarks(pixels, box))
        descriptors = self._encoder.compute_face_descriptor(pixels, shapes, self.jitters)
        faces = [
            _face(box, np.asarray(descriptor, dtype=np.float32), float(score), pixels.shape)
            for box, score, descriptor in zip(boxes, scores, descriptors, strict=True)
        ]
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def close(self) -> None:
        self._detector = self._landmarks = self._encoder = None


def _face(box: Any, descriptor: np.ndarray, score: float, shape: tuple[int, ...]) -> Face:
    """A dlib rectangle clipped to the image."""
    height, width = shape[:2]
    left, top = max(0, int(box.left())), max(0, int(box.top()))
    right, bottom = min(width, int(box.right()) + 1), min(height, int(box.bottom()) + 1)
    return Face(left, top, right - left, bottom - top, descriptor, score)
