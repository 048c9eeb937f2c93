"""The extrema reductions reduce_max and reduce_min (reduce_sum, the linear one, stands with
broadcast_in_dim, its transpose)."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import is_float
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.arithmetic import maximum
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
    """Tangent of a max/min: the mean of the tangents at the positions that attain it."""
    (x,), (t,) = primals, tangents
    spread = broadcast_in_dim(out, x.shape, kept_dims(len(x.shape), axes))
    hits = convert(equal(x, spread), x.dtype)
    count = maximum(reduce_sum(hits, axes), np.ones((), x.dtype)[()])  # an empty one has none
    return reduce_sum(t * hits, axes) / count


reduce_max_p = Primitive(
    name="reduce_max", type_rule=_reduce_type,
    impl=lambda x, *, axes: np.max(x, axis=axes, initial=lowest(x.dtype)), jvp=_chooser_jvp,
    kind="reduce")
reduce_min_p = Primitive(
    name="reduce_min", type_rule=_reduce_type,
    impl=lambda x, *, axes: np.min(x, axis=axes, initial=highest(x.dtype)), jvp=_chooser_jvp,
    kind="reduce")
