"""A thread-safe store of the most recently used values, shared by every session of the server."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``size`` values by key, the least recently used dropped first.

    :meth:`compute_lock` gives one lock per key: two sessions asking for the same value compute it
    once, and a slow computation never blocks a different one.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"An LRU store needs room for at least one value, not {size}.")
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[K, threading.Lock] = {}

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        return None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def items(self) -> list[tuple[K, V]]:
        """The stored values, least recently used first (a copy)."""
        with self._lock:
            return list(self._values.items())

    def compute_lock(self, key: K) -> threading.Lock:
        """The lock to hold while computing the value of ``key``."""
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())
