"""Dtype policy: names, Python-scalar defaults (TF's), and promotion between dtypes."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, op_error

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))

SUPPORTED = (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
             float16, float32, float64)

SUPPORTED_SET = frozenset(SUPPORTED)

_SHORT = {bool_: "bool", int8: "i8", int16: "i16", int32: "i32", int64: "i64",
          uint8: "u8", uint16: "u16", uint32: "u32", uint64: "u64",
          float16: "f16", float32: "f32", float64: "f64"}


def short_name(dtype: np.dtype) -> str:
    """The IR's name for a dtype: f32, i32, bool, ..."""
    return _SHORT[dtype]


_UNSUPPORTED_KINDS = {"U": "strings", "S": "byte strings", "c": "complex numbers",
                      "O": "Python objects", "M": "datetimes", "m": "timedeltas",
                      "V": "structured records", "f": "extended-precision floats"}


def canonical(dtype, what: str = "value") -> np.dtype:
    """Turn anything NumPy understands as a dtype into a supported np.dtype, or raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise op_error(DTypeError, what, f"{dtype!r} is not a dtype",
                       "pass a NumPy dtype such as tj.float32") from None
    if dt not in _SHORT:
        kind = _UNSUPPORTED_KINDS.get(dt.kind, "this dtype")
        raise op_error(DTypeError, what, f"{kind} (dtype {dt}) are not supported: tapejit "
                       f"computes on bool, signed/unsigned integers and float16/32/64",
                       "convert the data first, e.g. np.asarray(x, np.float32)")
    return dt


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def python_scalar_dtype(value) -> np.dtype:
    """TF's policy: bool -> bool, int -> int32, float -> float32."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int32
    if isinstance(value, float):
        return float32
    raise DTypeError(f"{type(value).__name__} {value!r} is not a real number")


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """Result dtype of a binary op on two tensors.

    bool < integers < floats; an integer with a float gives that float (not float64 as in
    NumPy); two floats give the wider; two integers follow NumPy.
    """
    if a == b:
        return a
    if is_float(a) and is_float(b):
        return a if a.itemsize >= b.itemsize else b
    if is_float(a):
        return a
    if is_float(b):
        return b
    if a == bool_:
        return b
    if b == bool_:
        return a
    return np.promote_types(a, b)


def weak_scalar_dtype(value, other: np.dtype) -> np.dtype:
    """Dtype a Python scalar takes next to a tensor of dtype `other` (weak typing).

    The scalar adopts the tensor's dtype when that loses no kind: 2 * f16 -> f16,
    2 * i64 -> i64, but 2.5 * i32 -> f32 (a float scalar lifts an integer tensor).
    """
    if isinstance(value, bool):
        return other
    if isinstance(value, int):
        return other if other != bool_ else int32
    if isinstance(value, float):
        return other if is_float(other) else float32
    raise DTypeError(f"{type(value).__name__} {value!r} is not a real number")
