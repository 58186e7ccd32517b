"""A small least-recently-used store for the detector's votes (:class:`Kept`)."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Up to ``size`` values by key; the least recently used goes first when full.

    Safe to share between threads (``detect_task``'s detectors are). A plain dict in
    insertion order under a lock: the owner holds no reference back to itself through
    it, so a dropped detector is freed at once, not by the cyclic garbage collector.
    ``size`` 0 keeps nothing.
    """

    __slots__ = ("_lock", "_size", "_values")

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            value = self._values.pop(key, None)
            if value is not None:
                self._values[key] = value
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, dropping the least recently used when full."""
        if not self._size:
            return
        with self._lock:
            self._values[key] = value
            if len(self._values) > self._size:
                del self._values[next(iter(self._values))]

    def __len__(self) -> int:
        return len(self._values)
