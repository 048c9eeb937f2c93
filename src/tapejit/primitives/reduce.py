"""Reductions over axes: reduce_sum, reduce_max, reduce_min; means and sums-to-shape."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import is_float
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.operands import as_operand, cast, float_operand
from tapejit.primitives.base import check_axes
from tapejit.trace import bind


def _reduce_type(x: TensorType, *, axes) -> TensorType:
    check_axes(x, axes)
    return TensorType(x.dtype, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def _sum_type(x: TensorType, *, axes) -> TensorType:
    if x.dtype.kind == "b":
        raise TypeRuleError(f"cannot sum booleans {x}", "cast to an integer or float first",
                            DTypeError)
    return _reduce_type(x, axes=axes)


def _kept_dims(ndim: int, axes) -> tuple[int, ...]:
    return tuple(d for d in range(ndim) if d not in axes)


def _sum_transpose(ct, x, *, axes):
    from tapejit.primitives.shape import broadcast_in_dim_p

    return (bind(broadcast_in_dim_p, ct, shape=x.shape,
                 broadcast_dimensions=_kept_dims(len(x.shape), axes)),)


reduce_sum_p = Primitive(
    "reduce_sum", _sum_type, lambda x, *, axes: np.sum(x, axis=axes, dtype=x.dtype),
    lambda p, t, out, *, axes: bind(reduce_sum_p, t[0], axes=axes), _sum_transpose,
    kind="reduce")


def _lowest(dtype):
    return -np.inf if is_float(dtype) else np.iinfo(dtype).min if dtype.kind != "b" else False


def _highest(dtype):
    return np.inf if is_float(dtype) else np.iinfo(dtype).max if dtype.kind != "b" else True


def _chooser_jvp(primals, tangents, out, *, axes):
    """Tangent of a max/min: the mean of the tangents at the positions that attain it."""
    from tapejit.primitives.compare import equal
    from tapejit.primitives.shape import broadcast_in_dim_p

    (x,), (t,) = primals, tangents
    spread = bind(broadcast_in_dim_p, out, shape=tuple(x.shape),
                  broadcast_dimensions=_kept_dims(len(x.shape), axes))
    hits = cast(equal(x, spread), x.dtype)
    from tapejit.primitives.arithmetic import maximum

    count = maximum(bind(reduce_sum_p, hits, axes=axes), 1)  # an empty reduction has none
    return bind(reduce_sum_p, t * hits, axes=axes) / count


reduce_max_p = Primitive(
    "reduce_max", _reduce_type,
    lambda x, *, axes: np.max(x, axis=axes, initial=_lowest(x.dtype)), _chooser_jvp,
    kind="reduce")
reduce_min_p = Primitive(
    "reduce_min", _reduce_type,
    lambda x, *, axes: np.min(x, axis=axes, initial=_highest(x.dtype)), _chooser_jvp,
    kind="reduce")


# --- user functions ------------------------------------------------------------------------

def _reduce(prim, x, axis, keepdims, op):
    from tapejit.primitives.shape import _normalize_axes, reshape

    x = as_operand(x, op)
    axes = _normalize_axes(axis, len(x.shape), op)
    out = bind(prim, x, axes=axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else s for i, s in enumerate(x.shape)))
    return out


def reduce_sum(x, axis=None, keepdims: bool = False):
    """Sum over `axis` (all axes by default)."""
    x = as_operand(x, "reduce_sum")
    if x.dtype.kind == "b":
        x = cast(x, np.int32)
    return _reduce(reduce_sum_p, x, axis, keepdims, "reduce_sum")


def reduce_max(x, axis=None, keepdims: bool = False):
    return _reduce(reduce_max_p, x, axis, keepdims, "reduce_max")


def reduce_min(x, axis=None, keepdims: bool = False):
    return _reduce(reduce_min_p, x, axis, keepdims, "reduce_min")


def reduce_mean(x, axis=None, keepdims: bool = False):
    """Mean over `axis`; integer inputs give float32 (not TF's integer mean)."""
    from tapejit.primitives.shape import _normalize_axes

    x = float_operand(x, "reduce_mean")
    count = int(np.prod([x.shape[a] for a in _normalize_axes(axis, len(x.shape),
                                                             "reduce_mean")]))
    return reduce_sum(x, axis, keepdims) / np.asarray(count, x.dtype)[()]


def sum_to_shape(x, shape):
    """Sum a broadcast result back to `shape` (the transpose of NumPy broadcasting)."""
    from tapejit.primitives.shape import reshape

    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    lead = len(x.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    out = bind(reduce_sum_p, x, axes=axes) if axes else x
    return reshape(out, shape)
