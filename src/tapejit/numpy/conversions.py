"""NumPy's conversions to arrays (np.asanyarray, ascontiguousarray, asfortranarray,
asarray_chkfinite, require), giving tensors. Tensors have no memory layout to choose and no
subclasses, so the layout and subclass requests give the same values as tnp.asarray; only a
request to write into the result (requirement 'W') cannot be met: tensors are immutable."""

from __future__ import annotations

import numpy as np

from tapejit.errors import op_error
from tapejit.numpy.creation import array, asarray
from tapejit.site import user_site
from tapejit.trace import Tracer


def _check_device(device, op: str) -> None:
    if device not in (None, "cpu"):
        raise op_error(ValueError, op, f'Device not understood. Only "cpu" is allowed, but '
                       f"received: {device}", "omit device, or pass device='cpu'", user_site())


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """`a` as a tensor (np.asanyarray; tensors have no subclasses): see tnp.asarray."""
    _check_device(device, "asanyarray")
    return asarray(a, dtype)


def ascontiguousarray(a, dtype=None, *, like=None):
    """`a` as a tensor of at least one dimension (np.ascontiguousarray: a scalar becomes
    shape (1,)); every tensor is laid out as its compiled code needs."""
    return array(a, dtype, ndmin=1)


def asfortranarray(a, dtype=None, *, like=None):
    """`a` as a tensor of at least one dimension (np.asfortranarray; tensors have no memory
    order to choose)."""
    return array(a, dtype, ndmin=1)


def asarray_chkfinite(a, dtype=None, order=None):
    """`a` as a tensor (after the dtype conversion), raising NumPy's ValueError when a float
    element is NaN or infinite (np.asarray_chkfinite). Under tj.jit a traced value has no
    data to check: it passes through unchecked (tj.config.update("debug_nans", True) finds
    where NaN or inf values arise in compiled code)."""
    x = asarray(a, dtype)
    if x.dtype.kind == "f" and not isinstance(x, Tracer):
        if not np.isfinite(np.asarray(x.concrete("asarray_chkfinite"))).all():
            raise op_error(ValueError, "asarray_chkfinite", "array must not contain infs or "
                           "NaNs", "replace them first, e.g. tnp.nan_to_num(a), or use "
                           "tnp.asarray", user_site())
    return x


_FLAGS = {"C": "C", "C_CONTIGUOUS": "C", "CONTIGUOUS": "C", "F": "F", "F_CONTIGUOUS": "F",
          "FORTRAN": "F", "A": "A", "ALIGNED": "A", "W": "W", "WRITEABLE": "W", "O": "O",
          "OWNDATA": "O", "E": "E", "ENSUREARRAY": "E"}


def _requirements(requirements) -> set:
    """The flags named in `requirements` (a string is read one letter at a time, as NumPy
    reads it), with NumPy's KeyError for unknown names."""
    flags = set()
    for name in requirements:
        if name.upper() not in _FLAGS:
            raise op_error(KeyError, "require", f"unknown requirement {name!r}",
                           f"use some of {sorted(_FLAGS)}", user_site())
        flags.add(_FLAGS[name.upper()])
    return flags


def require(a, dtype=None, requirements=None, *, like=None):
    """`a` as a tensor of `dtype` meeting `requirements` (np.require): 'C', 'F', 'A', 'O',
    'E' and their long names hold for every tensor; 'C' with 'F' is NumPy's ValueError;
    'W' (writeable) raises TypeError, as tensors are immutable."""
    flags = _requirements(requirements) if requirements else set()
    if {"C", "F"} <= flags:
        raise op_error(ValueError, "require", 'Cannot specify both "C" and "F" order',
                       "ask for one memory order", user_site())
    if "W" in flags:
        raise op_error(TypeError, "require", "a writeable array was requested, but tapejit "
                       "tensors are immutable", "drop 'W' and compute new values with "
                       "functions, or x.at[index].set(values)", user_site())
    return asarray(a, dtype)
