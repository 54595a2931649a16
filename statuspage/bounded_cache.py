"""In-process caches with a hard bound on entries and on bytes, least recently used out first.

A web worker caches rendered answers twice: Flask-Caching's body cache (`http_cache`) and the
replay layer (`cache_hits`). Both key on the URL, so each new key, such as `/?x=<random>`,
would otherwise keep one more copy of a page until the process ends; with these bounds a worker
levels off however many distinct URLs it is asked for. Sizes count the bytes of bodies,
headers and keys plus a fixed cost per entry, so thousands of small answers are bounded too.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache

#: What one entry costs beyond its payload: the dict slot, the key and value tuples.
ENTRY_OVERHEAD = 512


def estimate_size(value: Any) -> int:
    """Bytes held by *value*: exact for bytes and strings, nested tuples and lists summed."""
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(estimate_size(item) for item in value) + 8 * len(value)
    return sys.getsizeof(value)


class BoundedLRU:
    """At most *max_entries* entries and *max_bytes* bytes (by estimate); thread-safe."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: Hashable) -> Any:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            self.entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int | None = None) -> bool:
        """Keep *value*; False (nothing kept) when it alone is larger than the whole bound."""
        size = (estimate_size(value) if size is None else size) + estimate_size(key)
        size += ENTRY_OVERHEAD
        if size > self.max_bytes or self.max_entries < 1:
            return False
        with self.lock:
            previous = self.entries.pop(key, None)
            if previous is not None:
                self.size -= previous[1]
            self.entries[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes or len(self.entries) > self.max_entries:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped
        return True

    def pop(self, key: Hashable) -> bool:
        with self.lock:
            found = self.entries.pop(key, None)
            if found is None:
                return False
            self.size -= found[1]
            return True

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


class BoundedCache(BaseCache):
    """Flask-Caching backend (the default without Redis): a BoundedLRU with timeouts.

    `CACHE_THRESHOLD` bounds the entries and `CACHE_MAX_BYTES` the bytes. Values are kept as
    they are (no pickling): only this process reads them.
    """

    def __init__(self, *, max_entries: int, max_bytes: int, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        self.store = BoundedLRU(max_entries=max_entries, max_bytes=max_bytes)

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> BoundedCache:
        return cls(
            max_entries=int(config["CACHE_THRESHOLD"]),
            max_bytes=int(config["CACHE_MAX_BYTES"]),
            default_timeout=kwargs.get("default_timeout", 300),
        )

    def _expiry(self, timeout: int | timedelta | None) -> float:
        timeout = self._normalize_timeout(timeout)
        return time.monotonic() + timeout if timeout > 0 else float("inf")

    def get(self, key: str) -> Any:
        found = self.store.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= time.monotonic():
            self.store.pop(key)
            return None
        return value

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        return self.store.put(key, (self._expiry(timeout), value), estimate_size(value))

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        if self.has(key):
            return False
        return self.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        return self.store.pop(key)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        self.store.clear()
        return True
