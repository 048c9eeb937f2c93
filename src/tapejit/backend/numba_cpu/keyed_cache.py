"""Numba's disk cache for tapejit's own jitted functions (vmath), safe when processes compile
one function at once.

Numba numbers a function's compiled files: to save code for new argument types a process
reads the function's index, takes the first free number, writes the index, then the code.
Two processes compiling one function for different types at the same time (the test
workers, a compile worker and its caller) both take number 1; one's index and the other's
code can survive, and from then on every process loads the wrong machine code for those
types. Seen in CI: a product written into a column-major result with the row-major code,
every call, silently.

`cached_njit` keeps Numba's cache but names each file by a hash of what it holds (the
function's cache key and source stamp), writes the code before the index, changes the index
only under a lock file, and stores the key beside the code: a load that finds another
key's code compiles instead. Its files carry their own name, so Numba's numbered files of
an older tapejit are never read.
"""

from __future__ import annotations

import hashlib
import os

from numba import njit
from numba.core.caching import IndexDataCacheFile

from tapejit.backend.numba_cpu.cache_files import locked


class KeyedCacheFile(IndexDataCacheFile):
    """Numba's index and data files, with data files named by their key."""

    def __init__(self, cache_path: str, filename_base: str, source_stamp) -> None:
        self._base = f"{filename_base}.keyed"
        super().__init__(cache_path, self._base, source_stamp)
        self._lock_path = os.path.join(cache_path, f"{self._base}.lock")

    def _data_name_of(self, key) -> str:
        digest = hashlib.sha256(repr((key, self._source_stamp)).encode()).hexdigest()[:24]
        return f"{self._base}.{digest}.nbc"

    def save(self, key, data) -> None:
        name = self._data_name_of(key)
        self._save_data(name, (key, data))
        with locked(self._lock_path):
            overloads = self._load_index()
            if overloads.get(key) != name:
                overloads[key] = name
                self._save_index(overloads)

    def load(self, key):
        stored = super().load(key)
        if stored is None:
            return None
        stored_key, data = stored
        return data if stored_key == key else None


def key_files(dispatcher):
    """Make `dispatcher` (jitted with cache=True) keep its disk cache in keyed files. A Numba
    whose cache is laid out otherwise keeps its own."""
    cache = dispatcher._cache
    try:
        cache._cache_file = KeyedCacheFile(cache._cache_path, cache._impl.filename_base,
                                           cache._cache_file._source_stamp)
    except AttributeError:
        pass
    return dispatcher


def cached_njit(**options):
    """`njit(cache=True, **options)` with the cache in keyed files (see the module's doc)."""
    def jit(function):
        return key_files(njit(cache=True, **options)(function))
    return jit
