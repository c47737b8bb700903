"""Create an expensive object (a model) on first use, and close it only if it was made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None

    def __call__(self) -> T:
        if self._value is None:
            self._value = self._factory()
        return self._value

    @property
    def created(self) -> bool:
        return self._value is not None

    def close(self) -> None:
        if self._value is not None:
            close = getattr(self._value, "close", None)
            if close is not None:
                close()
            self._value = None
