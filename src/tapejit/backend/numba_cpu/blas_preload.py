"""SciPy's BLAS and LAPACK entry points for Numba, without importing all of scipy.linalg.

Numba's CPU target finds BLAS through `scipy.linalg.cython_blas` and `cython_lapack`: it
imports them when it first initializes (every first compile or cache load in a process waits
for that), and its C helpers import them again by name at the first matrix product. Imported
the usual way, they run `scipy.linalg/__init__.py` first, which imports most of SciPy: 0.1-0.3
s measured here, the largest part of Numba's start-up. Both are self-contained extension
modules, so tapejit loads the two alone, under their full names, when scipy.linalg is not
imported yet. A later `import scipy.linalg` then runs as usual, finds them in `sys.modules`,
and a one-shot import hook sets them as its attributes as the normal import would have.

SciPy's OpenBLAS starts its thread pool when it loads, and each thread spins for OpenBLAS's
thread timeout (2**28 cycles, about 0.1 s here) before it sleeps. Kernels multiply matrices
on NumPy's OpenBLAS (numpy_blas.py), whose pool then shares the two cores with the spinning
ones: measured here, the MLP step's first calls in a fresh process took 6-85 ms instead of
2.4 ms, alternating, until SciPy's threads slept. So SciPy's library loads with the shortest
timeout (16 cycles) unless the user set one; convolutions, which still call it, ran as fast
(LeNet-like step 2.62 against 2.63 ms).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

PACKAGE = "scipy.linalg"
MODULES = ("cython_blas", "cython_lapack")
THREAD_TIMEOUT = "OPENBLAS_THREAD_TIMEOUT"
SHORTEST_TIMEOUT = "4"  # OpenBLAS spins 2**value cycles; it clamps values to 4..30


def preload() -> None:
    """Load the two modules alone if nothing has imported them or scipy.linalg yet. Any
    failure leaves the usual import to Numba."""
    names = [f"{PACKAGE}.{m}" for m in MODULES]
    if PACKAGE in sys.modules or any(n in sys.modules for n in names):
        return
    paths = _extension_paths()
    if paths is None:
        return
    with _threads_sleep_at_once():
        if not _load(names, paths):
            return
    sys.meta_path.insert(0, _AttachWhenImported())


def _load(names: list[str], paths: list[Path]) -> bool:
    loaded = []
    try:
        for name, path in zip(names, paths):
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            loaded.append(name)
            spec.loader.exec_module(module)
    except Exception:
        for name in loaded:
            sys.modules.pop(name, None)
        return False
    return True


@contextlib.contextmanager
def _threads_sleep_at_once():
    """SciPy's OpenBLAS reads its thread timeout when it loads, here; NumPy's has read its
    own already. Unless the user chose one, SciPy's threads get the shortest."""
    if THREAD_TIMEOUT in os.environ:
        yield
        return
    os.environ[THREAD_TIMEOUT] = SHORTEST_TIMEOUT
    try:
        yield
    finally:
        del os.environ[THREAD_TIMEOUT]


def _extension_paths() -> list[Path] | None:
    try:
        scipy = importlib.util.find_spec("scipy")
    except (ImportError, ValueError):
        return None
    if scipy is None or not scipy.submodule_search_locations:
        return None
    folder = Path(next(iter(scipy.submodule_search_locations))) / "linalg"
    paths = []
    for module in MODULES:
        found = [folder / (module + s) for s in importlib.machinery.EXTENSION_SUFFIXES
                 if (folder / (module + s)).is_file()]
        if not found:
            return None
        paths.append(found[0])
    return paths


class _AttachWhenImported(importlib.abc.MetaPathFinder):
    """Finds nothing itself: when scipy.linalg is imported, it wraps that package's loader so
    the preloaded modules become its attributes once it has run, then steps aside."""

    def find_spec(self, fullname, path, target=None):
        if fullname != PACKAGE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _AttachingLoader(spec.loader)
        return spec


class _AttachingLoader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        for name in MODULES:
            if f"{PACKAGE}.{name}" in sys.modules:
                setattr(module, name, sys.modules[f"{PACKAGE}.{name}"])
