"""Shot detectors: find hard cuts from a stream of small frames."""

from autodescribe.backends.shots.base import ShotDetector, cuts_to_shots
from autodescribe.registry import Registry

shot_detectors: Registry[ShotDetector] = Registry(
    "shot detector",
    {
        "pyscenedetect": "autodescribe.backends.shots.pyscenedetect:PySceneDetectDetector",
        "transnetv2": "autodescribe.backends.shots.transnetv2:TransNetV2Detector",
    },
)

__all__ = ["ShotDetector", "cuts_to_shots", "shot_detectors"]
