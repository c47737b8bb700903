"""Face analyzers: faces and their descriptors, for finding the characters of a film."""

from autodescribe.backends.characters.base import Face, FaceAnalyzer
from autodescribe.registry import Registry

# Outside packages add analyzers through the entry-point group `autodescribe.face_analyzers`.
face_analyzers: Registry[FaceAnalyzer] = Registry(
    "face analyzer",
    {"dlib": "autodescribe.backends.characters.dlib_faces:DlibFaceAnalyzer"},
)

__all__ = ["Face", "FaceAnalyzer", "face_analyzers"]
