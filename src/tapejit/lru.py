"""A bounded mapping that forgets the least recently used entry first (the trace, kernel
and eager-VJP caches are bounded with it)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class LRU(OrderedDict):
    """dict-like; `get` and `set` refresh an entry; past `maxsize()` entries the oldest go.
    `maxsize` is read at each insertion, so a changed setting applies at once."""

    def __init__(self, maxsize: Callable[[], int]) -> None:
        super().__init__()
        self.maxsize = maxsize
        self.evictions = 0

    def get(self, key, default=None):
        try:
            value = self[key]
        except KeyError:
            return default
        self.move_to_end(key)
        return value

    def set(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        limit = max(int(self.maxsize()), 1)
        while len(self) > limit:
            self.popitem(last=False)
            self.evictions += 1
