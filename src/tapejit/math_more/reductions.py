"""tf.math's reductions and scans that tj.math lacked: reduce_prod/all/any/euclidean_norm,
count_nonzero, add_n, cumsum, cumprod, l2_normalize."""

from __future__ import annotations

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.reductions import prod as _prod
from tapejit.ops import (
    add,
    cast,
    identity,
    less,
    not_equal,
    reduce_max,
    reduce_min,
    reduce_sum,
    rsqrt,
    sqrt,
    square,
    where,
)
from tapejit.ops.operands import as_operand, float_operand, numeric_operand
from tapejit.ops.shape import normalize_axis
from tapejit.primitives import scan
from tapejit.site import user_site


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """The product over `axis` in the input's dtype (tf.math.reduce_prod); its gradient is
    finite where factors are zero."""
    del name
    x = numeric_operand(input_tensor, "reduce_prod")
    return _prod(x, axis, dtype=x.dtype, keepdims=keepdims)


def _truth(reduce_fn, input_tensor, axis, keepdims):
    """all (min) or any (max), over uint8: the backend's reductions have no bool accumulator."""
    x = cast(cast(input_tensor, dtypes.bool_), dtypes.uint8)
    return cast(reduce_fn(x, axis, keepdims), dtypes.bool_)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over `axis`, true for an empty one (tf.math.reduce_all)."""
    del name
    return _truth(reduce_min, input_tensor, axis, keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over `axis`, false for an empty one (tf.math.reduce_any)."""
    del name
    return _truth(reduce_max, input_tensor, axis, keepdims)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) over `axis` (tf.math.reduce_euclidean_norm): integers give the
    integer part in their dtype; the gradient x / norm is NaN at a zero norm, as in TF."""
    del name
    x = numeric_operand(input_tensor, "reduce_euclidean_norm")
    total = reduce_sum(square(x), axis, keepdims)
    if x.dtype.kind == "f":
        return sqrt(total)
    return cast(sqrt(cast(total, dtypes.float64)), x.dtype)


def count_nonzero(input, axis=None, keepdims=None, dtype=dtypes.int64, name=None):  # noqa: A002
    """The number of nonzero (NaN included) elements over `axis`, in `dtype`
    (tf.math.count_nonzero)."""
    del name
    x = as_operand(input, "count_nonzero")
    nonzero = x if x.dtype.kind == "b" else not_equal(x, x.dtype.type(0))
    return cast(reduce_sum(cast(nonzero, dtypes.int64), axis, bool(keepdims)), dtype)


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape (tf.math.add_n; no broadcasting)."""
    del name
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise op_error(ValueError, "add_n", "inputs must be a list of at least one Tensor with "
                       "the same dtype and shape", "pass [a, b, ...]", user_site())
    values = [identity(v) for v in inputs]
    shapes = sorted({tuple(v.shape) for v in values})
    if len(shapes) > 1:
        raise op_error(ShapeError, "add_n", f"inputs have different shapes {shapes}",
                       "give tensors of one shape (add_n does not broadcast)", user_site())
    total = values[0]
    for v in values[1:]:
        total = add(total, v)
    return total


def one_axis(x, axis, op: str) -> int:
    """`axis` of x (rank >= 1) as a non-negative int."""
    if x.ndim == 0:
        raise op_error(ShapeError, op, "expects a tensor of rank >= 1, got a scalar",
                       "reshape it to (1,)", user_site())
    return normalize_axis(axis, x.ndim, op)


def _running(x, axis, exclusive, reverse, op: str, scan_fn, identity):
    x = numeric_operand(x, op)
    axis = one_axis(x, axis, op)
    if exclusive:
        x = scan.shifted(x, axis, bool(reverse), identity)
    return scan_fn(x, axis, bool(reverse))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along `axis`, in x's dtype (tf.math.cumsum): `exclusive` leaves each
    element out of its own sum, `reverse` sums from the end."""
    del name
    return _running(x, axis, exclusive, reverse, "cumsum", scan.cumsum, 0)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running products along `axis` (tf.math.cumprod; see cumsum). Its gradient is the
    exact one where x has zeros, where TF's divides by zero."""
    del name
    return _running(x, axis, exclusive, reverse, "cumprod", scan.cumprod, 1)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x**2), epsilon)) over `axis` (tf.math.l2_normalize; `dim` is its old
    name), with TF's gradient: through the sum where it is >= epsilon, else zero."""
    del name
    if dim is not None:
        if axis is not None:
            raise op_error(ValueError, "l2_normalize", "cannot specify both 'axis' and 'dim'",
                           "pass axis only", user_site())
        axis = dim
    x = float_operand(x, "l2_normalize")
    square_sum = reduce_sum(square(x), axis, keepdims=True)
    return x * rsqrt(where(less(square_sum, epsilon), epsilon, square_sum))
