"""Numba's type of a NumPy array, without importing `numpy.ma` first.

Numba's rule for arrays asks `isinstance(val, np.ma.MaskedArray)` before anything else. In
NumPy 2 `np.ma` is imported lazily, so the first array of each kind a process passes to a
compiled function imports `numpy.ma` (6 to 17 ms measured here, a fifth of a warm first
call). A plain `np.ndarray` is never a masked array, so its type is worked out here as Numba
does; every other array (subclasses, masked arrays, dtypes Numba rejects) still goes to
Numba's own rule, with its errors.
"""

from __future__ import annotations

import numpy as np
from numba.core import errors, types
from numba.core.typing import typeof as numba_typeof
from numba.np import numpy_support

_NUMBA_RULE = numba_typeof.typeof_impl.dispatch(np.ndarray)


def typeof_array(val, c):
    if type(val) is not np.ndarray:
        return _NUMBA_RULE(val, c)
    try:
        dtype = numpy_support.from_dtype(val.dtype)
    except errors.NumbaNotImplementedError:
        return _NUMBA_RULE(val, c)
    return types.Array(dtype, val.ndim, numpy_support.map_layout(val),
                       readonly=not val.flags.writeable)


def install() -> None:
    """Register `typeof_array` for `np.ndarray` (once per process)."""
    if numba_typeof.typeof_impl.dispatch(np.ndarray) is not typeof_array:
        numba_typeof.typeof_impl.register(np.ndarray, typeof_array)
