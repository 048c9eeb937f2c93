"""The extrema reductions reduce_max and reduce_min (reduce_sum, the linear one, stands with
broadcast_in_dim, its transpose)."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import is_float
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import axis_batch, shifted
from tapejit.primitives.broadcast import broadcast_in_dim, kept_dims, reduce_sum, reduced_type
from tapejit.primitives.compare import equal
from tapejit.primitives.convert import convert


def _reduce_type(x: TensorType, *, axes) -> TensorType:
    return reduced_type(x, axes)


def lowest(dtype: np.dtype):
    """The identity of max over `dtype`."""
    return -np.inf if is_float(dtype) else np.iinfo(dtype).min if dtype.kind != "b" else False


def highest(dtype: np.dtype):
    """The identity of min over `dtype`."""
    return np.inf if is_float(dtype) else np.iinfo(dtype).max if dtype.kind != "b" else True


def _chooser_jvp(primals, tangents, out, *, axes):
    """Tangent of a max/min: the mean of the tangents at the positions that attain it.

    A NaN extremum is attained nowhere (NaN != NaN): the mean of no tangents is NaN, so the
    NaN reaches the gradient, as in JAX. An empty reduction's tangent is zero.
    """
    (x,), (t,) = primals, tangents
    if any(x.shape[a] == 0 for a in axes):
        return reduce_sum(t, axes)
    spread = broadcast_in_dim(out, x.shape, kept_dims(len(x.shape), axes))
    hits = convert(equal(x, spread), x.dtype)
    return reduce_sum(t * hits, axes) / reduce_sum(hits, axes)


_axes_batch = axis_batch(lambda n, *, axes: {"axes": shifted(axes)})
reduce_max_p = Primitive(
    name="reduce_max", type_rule=_reduce_type,
    impl=lambda x, *, axes: np.max(x, axis=axes, initial=lowest(x.dtype)), jvp=_chooser_jvp,
    kind="reduce", batch=_axes_batch)
reduce_min_p = Primitive(
    name="reduce_min", type_rule=_reduce_type,
    impl=lambda x, *, axes: np.min(x, axis=axes, initial=highest(x.dtype)), jvp=_chooser_jvp,
    kind="reduce", batch=_axes_batch)
