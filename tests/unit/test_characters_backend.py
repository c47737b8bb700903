"""Face analyzers: the registry, the install hint, and what every analyzer owes the stage."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from autodescribe.analysis.characters import characters_enabled
from autodescribe.backends.characters import FaceAnalyzer, face_analyzers
from autodescribe.config import CharacterSettings
from autodescribe.errors import BackendUnavailable, ConfigError, UnknownBackend

HINT = 'pip install "autodescribe[faces]"'


def test_dlib_is_registered_and_refuses_unknown_options() -> None:
    assert "dlib" in face_analyzers.names()
    with pytest.raises(ConfigError, match="does not take the option 'landmarks'"):
        face_analyzers.create("dlib", landmarks=68)
    with pytest.raises(UnknownBackend, match="choose one of: .*dlib"):
        face_analyzers.load("opencv")


@pytest.mark.parametrize("module", ["dlib", "face_recognition_models"])
def test_a_missing_library_says_how_to_install_it(
    module: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # imports of it now fail, as if not installed
    with pytest.raises(BackendUnavailable, match=HINT.replace("[", r"\[").replace("]", r"\]")):
        face_analyzers.create("dlib")
    with caplog.at_level(logging.WARNING):
        assert not characters_enabled(CharacterSettings())
    assert HINT in caplog.text


def test_off_never_asks_for_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)
    assert not characters_enabled(CharacterSettings(enabled="off"))


@pytest.mark.parametrize("name", face_analyzers.names())
def test_every_analyzer_keeps_to_the_interface(name: str) -> None:
    try:
        analyzer = face_analyzers.create(name)
    except BackendUnavailable as exc:
        pytest.skip(str(exc))
    assert characters_enabled(CharacterSettings(backend=name))
    assert isinstance(analyzer, FaceAnalyzer)
    assert analyzer.detect(np.full((180, 320, 3), 128, np.uint8)) == []
    analyzer.close()
    analyzer.close()  # closing twice is harmless


def test_the_saved_face_detector_is_dlibs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved on first use, read back on the next, rebuilt when the file is damaged."""
    import pickle

    dlib = pytest.importorskip("dlib")
    from autodescribe.backends.characters.dlib_faces import (
        frontal_face_detector,
        saved_detector_path,
    )

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    saved = saved_detector_path(dlib)
    assert not saved.exists()
    built = pickle.dumps(frontal_face_detector(dlib))
    assert saved.is_file()
    assert pickle.dumps(frontal_face_detector(dlib)) == built
    assert built == pickle.dumps(dlib.get_frontal_face_detector())
    saved.write_bytes(saved.read_bytes()[:1000])  # cut short
    assert pickle.dumps(frontal_face_detector(dlib)) == built
    assert saved.stat().st_size > 1000  # saved again
