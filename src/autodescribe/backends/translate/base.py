"""The translator interface: descriptions written in one language, voiced in another.

A translator needs one method, `translate`, which keeps the order and count of
its texts. `model_id` and `version` are recorded on every translated description.
A translator that works with the describer's own model says so with a class
attribute `borrows_describer = True`; the pipeline then lends it the loaded
describer as `describer=` instead of loading a second model.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable


@runtime_checkable
class Translator(Protocol):
    name: ClassVar[str]
    model_id: str  # what translated: a model id or package name
    version: str  # what shaped the output: a prompt template or package version

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """`texts` in language `source` (ISO 639-1), rendered in `target`, one for one."""
        ...

    def close(self) -> None: ...
