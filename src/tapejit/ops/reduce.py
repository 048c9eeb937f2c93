"""Reductions under NumPy's conventions: axis None/int/sequence, keepdims, booleans summed
as integers, means of integers in float32."""

from __future__ import annotations

import numpy as np

from tapejit.ops.operands import as_operand, cast, float_operand
from tapejit.ops.shape import normalize_axes, reshape
from tapejit.primitives.broadcast import reduce_sum_p
from tapejit.primitives.reduce import reduce_max_p, reduce_min_p
from tapejit.trace import bind


def _reduce(prim, x, axis, keepdims, op):
    x = as_operand(x, op)
    axes = normalize_axes(axis, len(x.shape), op)
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
    x = float_operand(x, "reduce_mean")
    count = int(np.prod([x.shape[a] for a in normalize_axes(axis, len(x.shape),
                                                            "reduce_mean")]))
    return reduce_sum(x, axis, keepdims) / np.asarray(count, x.dtype)[()]
