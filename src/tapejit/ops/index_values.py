"""Index values for gathers and scatters. Known ones (NumPy data, lists, eager tensors) are
NumPy arrays: checked against their axis with NumPy's wording and wrapped in NumPy; traced
ones stay tensors and are wrapped by recorded ops (under jit their range is unknown: the
primitives clamp or drop what falls outside)."""

from __future__ import annotations

import numpy as np

from tapejit.errors import op_error
from tapejit.ops.containers import holds_tensors
from tapejit.ops.operands import as_operand, cast
from tapejit.ops.shape import broadcast_to, stack
from tapejit.primitives.arithmetic import add_p
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.primitives.compare import lt_p, select_p
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable
from tapejit.trace import Tracer, bind, top_trace

INT32_MAX = np.iinfo(np.int32).max
UPDATE_MODES = (None, "clip", "drop")


def index_error(op: str, problem: str, fix: str) -> Exception:
    return op_error(IndexError, op, problem, fix, user_site())


def out_of_range_fix(size: int) -> str:
    return (f"use indices in [{-size}, {size}); under tj.jit a traced index out of range is "
            "clamped by gathers and dropped by scatters")


def is_traced(value) -> bool:
    return isinstance(value, Tracer)


def index_value(value, op: str):
    """`value` as a NumPy array when its data is known, else the traced tensor."""
    if isinstance(value, Variable):
        value = value.read()
    if isinstance(value, Tracer):
        return value
    if isinstance(value, Tensor):
        return np.asarray(value._value)
    if isinstance(value, (list, tuple)):
        if holds_tensors(value):
            return index_value(as_operand(value, op), op)
        try:
            array = np.asarray(value)
        except ValueError as e:
            raise index_error(op, f"cannot make an index array of {value!r}: {e}",
                              "give a rectangular list of integers or booleans") from None
        return array.astype(np.int64) if array.size == 0 and array.dtype.kind == "f" else array
    return np.asarray(value)


def require_integer(value, op: str) -> None:
    if value.dtype.kind not in "iu":
        raise index_error(op, f"arrays used as indices must be of integer (or boolean) type, "
                          f"got {np.dtype(value.dtype).name}",
                          "cast the indices with tj.cast(i, tj.int32)")


def check_bounds(value, size: int, axis: int, op: str) -> None:
    """NumPy's IndexError for a known index outside [-size, size)."""
    if is_traced(value):
        return
    bad = (value < -size) | (value >= size) if value.dtype.kind == "i" else value >= size
    if np.any(bad):
        raise index_error(op, f"index {np.asarray(value)[bad].flat[0]} is out of bounds for "
                          f"axis {axis} with size {size}", out_of_range_fix(size))


def widened(value):
    """A traced index of a dtype narrower than int32 as int32 (so adding a size fits)."""
    if value.dtype.itemsize < 4:
        return cast(value, np.int32)
    return cast(value, np.int64) if value.dtype.kind == "u" else value


def wrap_negative(value, size: int):
    """NumPy's negative indices (-1 is the last), for known or traced values."""
    if not is_traced(value):
        value = np.asarray(value, np.int64)
        return np.where(value < 0, value + size, value)
    value = widened(value)
    zero = np.zeros((), value.dtype)[()]
    return bind(select_p, bind(lt_p, value, zero),
                bind(add_p, value, np.asarray(size, value.dtype)[()]), value)


def known_index(value, size: int):
    """A known index limited to [-1, size], which changes no clamp or drop, so it fits any
    index dtype."""
    return np.clip(np.asarray(value, np.int64), -1, size)


def stack_columns(columns, sizes, shape):
    """One index array of shape (*shape, len(columns)): column j, for an axis of size
    sizes[j], broadcast to `shape`. Known columns alone give int32 (int64 for huge axes);
    with traced ones, the traced columns' dtype."""
    columns = [widened(c) if is_traced(c) else c for c in columns]
    traced = [c.dtype for c in columns if is_traced(c)]
    dtype = np.result_type(*traced) if traced else np.dtype(
        np.int32 if max(sizes, default=0) <= INT32_MAX else np.int64)
    known = [c if is_traced(c) else known_index(c, n).astype(dtype)
             for c, n in zip(columns, sizes)]
    if not traced:
        return np.stack([np.broadcast_to(c, shape) for c in known], -1)
    trace = top_trace(columns)
    return stack([broadcast_to(cast(c, dtype), shape) if is_traced(c)
                  else _traced_broadcast(trace, c, shape) for c in known], -1)


def into_trace(value, trace):
    """A known value as a value of `trace` (None: as it is), so that what is computed from it
    there (broadcasts, above all) is traced rather than computed and captured."""
    if trace is None or isinstance(value, Tracer):
        return value
    array = value._value if isinstance(value, Tensor) else np.asarray(value)
    return _traced_broadcast(trace, array, array.shape, always=True)


def _traced_broadcast(trace, value: np.ndarray, shape, always: bool = False):
    """A known column broadcast inside the trace, so only its own values become a constant
    (not the broadcast array)."""
    if value.shape == tuple(shape) and not always:
        return value
    lead = len(shape) - value.ndim
    params = dict(shape=tuple(shape), broadcast_dimensions=tuple(range(lead, len(shape))))
    return trace.emit(broadcast_in_dim_p, (value[()] if value.ndim == 0 else value,), params)


def values_as(values, dtype, op: str):
    """Values written into a tensor of `dtype`: tensors cast by a recorded op, other data
    (Python numbers, lists, arrays) converted straight to `dtype`, with no stop at float32."""
    if isinstance(values, (Tensor, Variable)) or (isinstance(values, (list, tuple))
                                                  and holds_tensors(values)):
        return cast(as_operand(values, op), dtype)
    as_operand(values, op)  # the usual errors for data that is not numbers
    return np.asarray(np.asarray(values).astype(dtype))


def check_mode(mode, op: str, allowed=UPDATE_MODES) -> None:
    if mode not in allowed:
        raise op_error(ValueError, op, f"mode {mode!r} is not supported",
                       f"use one of {', '.join(map(repr, allowed))}", user_site())
