"""espeak-ng: formant TTS for about 130 languages, the fallback voice.

It needs no system package: the `espeakng-loader` wheel ships libespeak-ng and
its data, driven here through ctypes. (piper's own `espeakbridge` only turns
text into phonemes, so it cannot speak.) The library keeps global state, so
one engine per process is initialised once and every call goes through a lock.

Level: espeak-ng's default volume peaks at about -1.5 dBFS; the voice stage
applies headroom. Output is 22,050 Hz.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autodescribe.backends.voice.base import check_rate, normalise_language, primary_language
from autodescribe.errors import BackendUnavailable, ConfigError

try:
    import espeakng_loader
except ImportError as exc:  # the registry turns this into "backend unavailable"
    raise ImportError(
        "espeak-ng needs the espeakng-loader package: pip install espeakng-loader"
    ) from exc

log = logging.getLogger(__name__)

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0
_BUFFER_MS = 200

# Codes from languages.py that espeak-ng knows under another name.
_ALIASES = {"zh": "cmn", "no": "nb"}

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def installed_languages(data_dir: Path) -> frozenset[str]:
    """Voice names whose dictionary is present in `data_dir` (some ship without one)."""
    names = set()
    for path in (data_dir / "lang").rglob("*"):
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="ignore").splitlines()
        named = [line.split()[1] for line in lines if line.startswith("dictionary ")]
        dictionary = named[0] if named else path.name.split("-")[0].lower()
        if (data_dir / f"{dictionary}_dict").is_file():
            names.add(path.name.lower())
    return frozenset(names)


class _Engine:
    """The process's one espeak-ng instance; `speak` is serialised by a lock."""

    _instance: ClassVar[_Engine | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as exc:
            raise BackendUnavailable(
                f"cannot load libespeak-ng ({exc})", "reinstall espeakng-loader"
            ) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data, _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise BackendUnavailable("espeak-ng failed to initialise", "reinstall espeakng-loader")
        self.sample_rate = int(rate)
        self._lib = lib
        self._lock = threading.Lock()
        self._blocks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._collect)  # kept alive as long as the engine
        lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Engine:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: Any, count: int, events: int | None) -> int:
        if wav and count > 0:
            self._blocks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = go on synthesising

    def speak(self, voice: str, wpm: int, text: str) -> np.ndarray:
        """Samples of `text` spoken by `voice` at `wpm` words per minute, float32."""
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            self._blocks = []
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise ConfigError(
                    f"espeak-ng cannot load voice '{voice}'", "choose another language"
                )
            self._lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            blocks, self._blocks = self._blocks, []
        if status != _EE_OK:
            raise ConfigError(f"espeak-ng failed to speak (status {status})", "check the text")
        pcm = np.concatenate(blocks) if blocks else np.zeros(0, np.int16)
        return pcm.astype(np.float32) / 32768.0


def _resolve(language: str, languages: frozenset[str]) -> str | None:
    """The espeak-ng voice name for a language code, trying the region-free code last."""
    full, primary = normalise_language(language), primary_language(language)
    for candidate in (full, _ALIASES.get(full), primary, _ALIASES.get(primary)):
        if candidate in languages:
            return candidate
    return None


class EspeakVoice:
    """espeak-ng speaking `language`; `name` picks a specific variant such as `en-gb-x-rp`."""

    name: ClassVar[str] = "espeak-ng"
    languages: ClassVar[frozenset[str]] = installed_languages(Path(espeakng_loader.get_data_path()))

    def __init__(self, language: str = "en", name: str | None = None, wpm: int = 175) -> None:
        voice = _resolve(name or language, self.languages)
        if voice is None:
            raise ConfigError(
                f"espeak-ng has no voice for '{name or language}'",
                "use a code such as en, fr, de, es, pt-br (EspeakVoice.languages lists all)",
            )
        if not 80 <= wpm <= 450:
            raise ConfigError(f"espeak-ng speed {wpm} wpm is out of range", "use 80 to 450")
        self.voice = voice
        self.language = primary_language(language)
        self.wpm = wpm
        self._engine = _Engine.get()
        self.sample_rate: int = self._engine.sample_rate

    @classmethod
    def supports(cls, language: str, name: str | None = None) -> bool:
        return _resolve(name or language, cls.languages) is not None

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        wpm = round(self.wpm * check_rate(rate))
        return self._engine.speak(self.voice, wpm, text)

    def close(self) -> None:
        """Nothing to free: the engine is shared by every EspeakVoice of the process."""
