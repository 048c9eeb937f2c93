"""What tapejit.numpy's functions do with their arguments: NumPy's operand and dtype rules
(with a clear error for complex numbers), NumPy's float type of a float function, and the
ufunc keywords tensors cannot honour (`out=`, `where=`)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, op_error
from tapejit.ops import numpy_policy
from tapejit.ops.operands import cast
from tapejit.ops.shape import normalize_axes, normalize_axis
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer


def reject_complex(x, op: str) -> None:
    if isinstance(x, (list, tuple)):
        for item in x:
            reject_complex(item, op)
    elif isinstance(x, complex) and not isinstance(x, np.generic):
        raise op_error(DTypeError, op, f"dtype complex128 ({x!r}) is not supported: tapejit "
                       "computes on bool, signed/unsigned integers and float16/32/64",
                       "work on the real and imaginary parts as two real arrays", user_site())


def operands(op: str, *xs) -> list:
    """All of `xs` as tensors of NumPy's common dtype (ops/numpy_policy.py): NumPy and
    Python values become constant tensors, so every function returns a tensor."""
    for x in xs:
        reject_complex(x, op)
    return [v if isinstance(v, Tensor) else Tensor(np.array(v) if v.ndim else v)
            for v in numpy_policy.operands(op, *xs)]


def known_values(t) -> np.ndarray | None:
    """The data of `t` when it is known (eagerly), None when it is traced."""
    return None if isinstance(t, Tracer) else np.asarray(t.numpy())


def operand(x, op: str):
    return operands(op, x)[0]


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The float type NumPy computes a float function of `dtype` in (bool/int8 -> f16,
    int16 -> f32, int32/int64 -> f64)."""
    return np.promote_types(dtype, np.float16)


def float_operands(op: str, *xs) -> list:
    values = operands(op, *xs)
    dtype = float_dtype(values[0].dtype)
    return [cast(v, dtype) for v in values]


def reject_out(out, op: str) -> None:
    """Tensors are immutable: results are returned, never written into `out`."""
    if out is not None:
        raise op_error(TypeError, op, "out= is not supported: tapejit tensors are immutable",
                       f"use the returned value instead: y = tnp.{op}(...)", user_site())


def reject_where(where, op: str) -> None:
    if where is not True:
        raise op_error(TypeError, op, "where= is not supported",
                       f"compute everywhere and select: tnp.where(mask, tnp.{op}(...), other)",
                       user_site())


def ufunc_checks(op: str, out, where) -> None:
    reject_out(out, op)
    reject_where(where, op)


def with_dtype(op: str, xs: tuple, dtype) -> tuple:
    """A ufunc's `dtype=`: the operands converted to it first (None: as they are)."""
    if dtype is None:
        return xs
    target = dtypes.canonical(dtype, op)
    return tuple(cast(v, target) for v in operands(op, *xs))


def axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """`axis` (None: all; an int; a tuple) as sorted non-negative axes."""
    return normalize_axes(axis, ndim, op)


def one_axis(axis, ndim: int, op: str) -> int:
    return normalize_axis(axis, ndim, op)
