"""tapejit's own jitted functions keep Numba's disk cache in keyed files (keyed_cache.py):
processes compiling one function at once never leave one's code under the other's types."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher

from tapejit.backend.numba_cpu import vmath
from tapejit.backend.numba_cpu.keyed_cache import KeyedCacheFile

CORNER = """
from tapejit.backend.numba_cpu.keyed_cache import cached_njit


@cached_njit()
def corner(a):
    return a[0, 1]
"""

SLOW_WRITER = """
import sys
import time
from pathlib import Path

import numpy as np
from numba.core import caching

folder, layout, start = sys.argv[1], sys.argv[2], Path(sys.argv[3])
File = caching.IndexDataCacheFile
read_index, save_data = File._load_index, File._save_data


def slow_read(self):
    overloads = read_index(self)
    time.sleep(1.0 if layout == "C" else 1.5)
    return overloads


def slow_save(self, name, data):
    time.sleep(2.0 if layout == "C" else 0.0)
    return save_data(self, name, data)


File._load_index, File._save_data = slow_read, slow_save
sys.path.insert(0, folder)
import corner_module

a = np.arange(6).reshape(2, 3)
while not start.exists():
    time.sleep(0.01)
print(corner_module.corner(a if layout == "C" else np.asfortranarray(a)))
"""

READER = """
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import corner_module

a = np.arange(6).reshape(2, 3)
print(corner_module.corner(a), corner_module.corner(np.asfortranarray(a)),
      sum(corner_module.corner.stats.cache_hits.values()))
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _run(script: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_processes_compiling_one_function_at_once_leave_each_types_own_code(tmp_path):
    """Two processes compile `corner` for C- and F-ordered arrays at once, their cache reads
    and writes slowed so that with Numba's numbered files the F entry of the index ends up
    naming the C code (a fresh process then read a[0, 1] of an F array as 3). Here a fresh
    process loads both from the cache, each with its own code."""
    _write(tmp_path, "corner_module.py", CORNER)
    writer = _write(tmp_path, "writer.py", SLOW_WRITER)
    start = tmp_path / "start"
    writers = [subprocess.Popen([sys.executable, str(writer), str(tmp_path), layout, str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for layout in "CF"]
    time.sleep(0.5)
    start.touch()
    for process in writers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.split() == ["1"]
    reader = _write(tmp_path, "reader.py", READER)
    assert _run(reader, str(tmp_path)) == ["1", "1", "2"]


def test_an_entry_naming_another_types_code_is_compiled_again(tmp_path):
    """An index entry that names another key's file (what a race with Numba's own files
    left behind) is not loaded: the types compile again and get their own code."""
    _write(tmp_path, "corner_module.py", CORNER)
    reader = _write(tmp_path, "reader.py", READER)
    assert _run(reader, str(tmp_path)) == ["1", "1", "0"]
    code = sorted((tmp_path / "__pycache__").glob("corner_module.corner-*.keyed.*.nbc"))
    assert len(code) == 2
    code[0].write_bytes(code[1].read_bytes())
    assert _run(reader, str(tmp_path)) == ["1", "1", "1"]
    assert _run(reader, str(tmp_path)) == ["1", "1", "2"]


def _vmath_dispatchers():
    for module in pkgutil.iter_modules(vmath.__path__):
        loaded = importlib.import_module(f"{vmath.__name__}.{module.name}")
        for name, value in vars(loaded).items():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == loaded.__name__:
                yield f"{loaded.__name__}.{name}", value


def test_every_cached_vmath_function_keeps_keyed_files():
    cached = {name: d for name, d in _vmath_dispatchers()
              if isinstance(d._cache, FunctionCache)}
    assert len(cached) > 50
    plain = [name for name, d in cached.items()
             if not isinstance(d._cache._cache_file, KeyedCacheFile)]
    assert plain == [], f"use keyed_cache.cached_njit instead of njit(cache=True): {plain}"

