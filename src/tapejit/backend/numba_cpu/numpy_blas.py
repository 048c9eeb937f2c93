"""NumPy's own BLAS, found so kernels multiply matrices with the library NumPy's `@` uses.

Numba's `np.dot` calls SciPy's bundled OpenBLAS; NumPy's wheels bundle another one. Each has
its own thread pool, and a pool's threads spin for a while after each call, so a process that
alternates between the two (a NumPy product between two jitted steps, the eager tape beside a
jitted function) runs every product at a fraction of its speed: 1.0 ms became 4.0 ms for a
256x784 by 784x512 float32 product on 2 cores. Calling NumPy's library keeps one pool.

Only 64-bit-integer (ILP64) builds whose symbol names say so are taken, which is what NumPy's
wheels have shipped since 1.22 (scipy-openblas64, and OpenBLAS's 64_-suffixed names before
it), and only after a product computed through the found entry point matches NumPy's.
Anything else leaves kernels on `np.dot`.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tapejit.config import config

CANDIDATES = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")
"""ILP64 cblas entry point names, the s/d letter left out."""

LIBRARY_FOLDERS = ("numpy.libs", os.path.join("numpy", ".dylibs"))
"""Where NumPy's wheels keep their bundled libraries, relative to site-packages."""

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
"""cblas's order and transpose codes."""


@dataclass(frozen=True)
class BlasLibrary:
    path: str
    sgemm: int
    dgemm: int


def find() -> BlasLibrary | None:
    """NumPy's BLAS, or None when it cannot be found and checked (then kernels use np.dot)."""
    if _FOUND:
        return _FOUND[0]
    found = None
    if config.numpy_blas:
        for path in _library_files():
            found = _entry_points(path)
            if found is not None:
                break
    _FOUND.append(found)
    return found


_FOUND: list[BlasLibrary | None] = []


def _library_files() -> list[Path]:
    site = Path(np.__file__).resolve().parent.parent
    files: list[Path] = []
    for folder in LIBRARY_FOLDERS:
        here = site / folder
        if here.is_dir():
            files += sorted(p for p in here.iterdir() if "openblas" in p.name.lower())
    return files


def _entry_points(path: Path) -> BlasLibrary | None:
    try:
        library = ctypes.CDLL(str(path))
    except OSError:
        return None
    for pattern in CANDIDATES:
        try:
            sgemm, dgemm = (getattr(library, pattern.format(c)) for c in "sd")
        except AttributeError:
            continue
        if _agrees(sgemm, np.float32) and _agrees(dgemm, np.float64):
            return BlasLibrary(str(path), _address(sgemm), _address(dgemm))
    return None


def _address(function) -> int:
    return ctypes.cast(function, ctypes.c_void_p).value


def _agrees(gemm, dtype) -> bool:
    """A small product through the entry point, called with the signature its name implies,
    equals NumPy's."""
    i64, pointer = ctypes.c_int64, ctypes.c_void_p
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    gemm.restype = None
    gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, scalar, pointer,
                     i64, pointer, i64, scalar, pointer, i64]
    a = np.arange(1, 7, dtype=dtype).reshape(2, 3)
    b = np.arange(1, 13, dtype=dtype).reshape(3, 4)
    out = np.full((2, 4), 7, dtype)
    gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, 2, 4, 3, 1.0, a.ctypes.data, 3, b.ctypes.data, 4,
         0.0, out.ctypes.data, 4)
    return bool(np.array_equal(out, a @ b))
