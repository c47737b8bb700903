"""Language codes accepted by `--language`, with their names and 3-letter tags."""

from __future__ import annotations

from autodescribe.errors import ConfigError

# ISO 639-1 -> (English name, ISO 639-2/B tag used in container metadata)
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "eng"),
    "es": ("Spanish", "spa"),
    "fr": ("French", "fre"),
    "de": ("German", "ger"),
    "it": ("Italian", "ita"),
    "pt": ("Portuguese", "por"),
    "nl": ("Dutch", "dut"),
    "pl": ("Polish", "pol"),
    "cs": ("Czech", "cze"),
    "sv": ("Swedish", "swe"),
    "da": ("Danish", "dan"),
    "fi": ("Finnish", "fin"),
    "no": ("Norwegian", "nor"),
    "ru": ("Russian", "rus"),
    "uk": ("Ukrainian", "ukr"),
    "tr": ("Turkish", "tur"),
    "el": ("Greek", "gre"),
    "ar": ("Arabic", "ara"),
    "he": ("Hebrew", "heb"),
    "hi": ("Hindi", "hin"),
    "zh": ("Chinese", "chi"),
    "ja": ("Japanese", "jpn"),
    "ko": ("Korean", "kor"),
    "vi": ("Vietnamese", "vie"),
    "id": ("Indonesian", "ind"),
    "hu": ("Hungarian", "hun"),
    "ro": ("Romanian", "rum"),
    "ca": ("Catalan", "cat"),
}


def check_language(code: str) -> str:
    """Normalise a language code, or fail with the list of known ones."""
    norm = code.strip().lower().replace("_", "-").split("-")[0]
    if norm not in LANGUAGES:
        raise ConfigError(
            f"unknown language code '{code}'",
            "use a two-letter ISO 639-1 code such as "
            + ", ".join(sorted(LANGUAGES)[:12])
            + ", ...",
        )
    return norm


def language_name(code: str) -> str:
    return LANGUAGES[check_language(code)][0]


# ISO 639-2 has two three-letter codes for some languages; files carry either.
TERMINOLOGY_CODES = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk", "tib": "bod",
    "wel": "cym",
}  # fmt: skip


def language_tag(code: str) -> str:
    return LANGUAGES[check_language(code)][1]
