"""NumPy's dtype rules, for tapejit.numpy.

Arrays, NumPy scalars and tensors keep their dtype; dtypes combine as `np.promote_types`
does (int32 with float32 gives float64, as in NumPy); Python numbers are weak (NEP 50): they
take the dtype of the other operands when its kind can hold them. Where NumPy would give a
Python number its default float64 or int64 (alone, or a float next to integers), tapejit
gives float32 or int32: the policy of `tj.constant`, and JAX's without x64.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, op_error
from tapejit.ops.containers import holds_tensors, leaves, pack
from tapejit.primitives.convert import convert_element_type_p
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable, reject_masked
from tapejit.trace import bind

_WEAK_ORDER = {bool: 0, int: 1, float: 2}
_POLICY = {bool: dtypes.bool_, int: dtypes.int32, float: dtypes.float32}


def is_weak(x) -> bool:
    """A Python number (not a NumPy scalar, which has a dtype of its own)."""
    return type(x) in _WEAK_ORDER


def strong_dtype(x, op: str) -> np.dtype:
    """The dtype a non-weak operand brings: a tensor's, an array's, a list's inferred one."""
    reject_masked(x, op)
    if isinstance(x, (Tensor, Variable, np.ndarray, np.generic)):
        return dtypes.canonical(x.dtype, op)
    if isinstance(x, (list, tuple)):
        return list_dtype(x, op)
    if isinstance(x, complex):
        raise op_error(DTypeError, op, "complex numbers are not supported",
                       "use real and imaginary parts as separate float tensors", user_site())
    raise op_error(TypeError, op, f"expected an array, tensor or number, got "
                   f"{type(x).__name__}", "convert it with tnp.asarray(...)", user_site())


def list_dtype(values, op: str) -> np.dtype:
    """The dtype of nested data: NumPy's inference, with Python-only data under the policy."""
    return result_dtype(*leaves(values), op=op) if leaves(values) else dtypes.float32


def with_weak(dtype: np.dtype | None, kind: type) -> np.dtype:
    """`dtype` combined with a Python number of type `kind` (NEP 50, tapejit's defaults)."""
    if dtype is None:
        return _POLICY[kind]
    if kind is bool or (kind is int and dtype.kind in "iuf") or dtype.kind == "f":
        return dtype
    return _POLICY[kind]


def result_dtype(*operands, op: str = "tapejit.numpy") -> np.dtype:
    """The dtype NumPy's rules give `operands` (see the module docstring)."""
    strong = [strong_dtype(x, op) for x in operands if not is_weak(x)]
    dtype = reduce(np.promote_types, strong) if strong else None
    weak = sorted({type(x) for x in operands if is_weak(x)}, key=_WEAK_ORDER.get)
    for kind in weak:
        dtype = with_weak(dtype, kind)
    return dtypes.canonical(dtype, op)


def operand(x, dtype: np.dtype, op: str):
    """`x` as an operand of `dtype`: tensors converted by a recorded op, containers of
    tensors stacked, NumPy and Python values converted as constants."""
    if isinstance(x, Variable):
        x = x.read()
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else bind(convert_element_type_p, x, new_dtype=dtype)
    if isinstance(x, (list, tuple)) and holds_tensors(x):
        return pack(x, op, lambda _: dtype)
    if is_weak(x):
        if dtype.kind in "iu" and not np.iinfo(dtype).min <= x <= np.iinfo(dtype).max:
            raise op_error(DTypeError, op, f"{x!r} does not fit in {dtype}",
                           "use a wider dtype, e.g. tnp.asarray(x, tnp.int64)", user_site())
        return dtype.type(x)
    value = np.asarray(x)
    return (value if value.dtype == dtype else value.astype(dtype))[()]


def operands(op: str, *xs) -> list:
    """All of `xs` as operands of their common dtype under NumPy's rules."""
    dtype = result_dtype(*xs, op=op)
    return [operand(x, dtype, op) for x in xs]
