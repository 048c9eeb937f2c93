"""Numerical differentiation and phase unwrapping with NumPy's signatures: gradient and
unwrap (np.*), differentiable in the data and, for gradient, in the sample coordinates."""

from __future__ import annotations

import math

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, op_error
from tapejit.numpy.arguments import one_axis, operand
from tapejit.numpy.logic import equal, greater, isfinite, less, logical_and, logical_not, where
from tapejit.numpy.reductions import all as _all
from tapejit.numpy.rounding import mod
from tapejit.numpy.scans import cumsum, diff
from tapejit.numpy.shaping import reshape, slice_along
from tapejit.numpy.ufuncs import absolute, add, divide, multiply, negative, subtract
from tapejit.ops.operands import cast
from tapejit.ops.shape import concat
from tapejit.site import user_site
from tapejit.tensor import Tensor


def _ndim(value) -> int:
    return value.ndim if hasattr(value, "ndim") else np.ndim(value)


def _ordered_axes(axis, ndim: int) -> tuple[int, ...]:
    """`axis` (None: every axis) as non-negative axes in the order given (np.gradient
    returns one derivative per axis, in that order)."""
    if axis is None:
        return tuple(range(ndim))
    given = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(one_axis(a, ndim, "gradient") for a in given)
    if len(set(axes)) != len(axes):
        raise op_error(ValueError, "gradient", f"repeated axis in axis={axis!r}",
                       "name each axis once", user_site())
    return axes


def _scalar_spacing(value):
    """A scalar spacing: Python numbers as Python floats; NumPy scalars and 0-d tensors as
    tensors, integers and booleans in float64 (as NumPy's 2.0 * np.int32(h) is)."""
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        return float(value)
    h = operand(value, "gradient")
    return h if h.dtype.kind == "f" else cast(h, dtypes.float64)


def _coordinate_steps(value, length: int):
    """The steps between 1-d sample coordinates (np.gradient's uneven spacing)."""
    points = operand(value, "gradient")
    if points.ndim != 1:
        raise op_error(ValueError, "gradient", f"distances must be either scalars or 1d "
                       f"(got shape {points.shape})", "pass one number, or one 1-d array of "
                       "coordinates per axis", user_site())
    if points.shape[0] != length:
        raise op_error(ValueError, "gradient", f"when 1d, distances must match the length "
                       f"of the corresponding dimension ({points.shape[0]} coordinates for "
                       f"an axis of length {length})", "pass one coordinate per sample",
                       user_site())
    if points.dtype.kind == "b":
        raise op_error(DTypeError, "gradient", "boolean coordinates are not supported",
                       "pass the coordinates as numbers", user_site())
    if points.dtype.kind in "iu":
        points = cast(points, dtypes.float64)
    return diff(points)


def _spacings(varargs, f, axes) -> list:
    """One spacing per axis: a scalar, or the 1-d steps between coordinates."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and _ndim(varargs[0]) == 0:
        return [_scalar_spacing(varargs[0])] * len(axes)
    if len(varargs) != len(axes):
        raise op_error(TypeError, "gradient", f"invalid number of arguments: {len(varargs)} "
                       f"spacings for {len(axes)} axes", "pass no spacing, one scalar, or "
                       "one spacing per axis", user_site())
    return [_scalar_spacing(v) if _ndim(v) == 0 else _coordinate_steps(v, f.shape[a])
            for v, a in zip(varargs, axes)]


def _check_length(f, axis: int, edge_order) -> None:
    n = f.shape[axis]
    if n < edge_order + 1:
        raise op_error(ValueError, "gradient", "Shape of array too small to calculate a "
                       "numerical gradient, at least (edge_order + 1) elements are required "
                       f"(axis {axis} has {n})", "use a longer axis, or edge_order=1",
                       user_site())
    if edge_order != 1 and n < 3:
        raise op_error(IndexError, "gradient", f"edge_order={edge_order} takes the "
                       f"second-order edge formulas, which need 3 points, and axis {axis} "
                       f"has {n}", "pass edge_order=1 or 2", user_site())


def _first_three(f, axis: int) -> list:
    return [slice_along(f, axis, i, i + 1) for i in range(3)]


def _last_three(f, axis: int) -> list:
    return [slice_along(f, axis, i, i + 1 or None) for i in (-3, -2, -1)]


def _combination(coefficients, parts):
    total = None
    for c, p in zip(coefficients, parts):
        term = multiply(c, p)
        total = term if total is None else add(total, term)
    return total


def _over(c: float, h):
    """c / h, in Python for a Python spacing (as NumPy computes it: 0.0 raises)."""
    return c / h if isinstance(h, float) else divide(c, h)


def _uniform(f, axis: int, h, edge_order):
    twice = 2.0 * h if isinstance(h, float) else multiply(2.0, h)
    interior = divide(subtract(slice_along(f, axis, 2, None),
                               slice_along(f, axis, None, -2)), twice)
    if edge_order == 1:
        first = divide(subtract(slice_along(f, axis, 1, 2), slice_along(f, axis, 0, 1)), h)
        last = divide(subtract(slice_along(f, axis, -1, None), slice_along(f, axis, -2, -1)), h)
    else:
        first = _combination((_over(-1.5, h), _over(2.0, h), _over(-0.5, h)),
                             _first_three(f, axis))
        last = _combination((_over(0.5, h), _over(-2.0, h), _over(1.5, h)),
                            _last_three(f, axis))
    return [first, interior, last]


def _interior_weights(d1, d2):
    """Weights of f[i-1], f[i], f[i+1] in the derivative at i, after steps d1 then d2."""
    total = add(d1, d2)
    return (divide(negative(d2), multiply(d1, total)),
            divide(subtract(d2, d1), multiply(d1, d2)),
            divide(d1, multiply(d2, total)))


def _start_weights(d1, d2):
    """Weights of f[0], f[1], f[2] in the second-order derivative at the start."""
    total = add(d1, d2)
    return (negative(divide(add(multiply(2.0, d1), d2), multiply(d1, total))),
            divide(total, multiply(d1, d2)),
            negative(divide(d1, multiply(d2, total))))


def _end_weights(d1, d2):
    """Weights of f[-3], f[-2], f[-1] in the second-order derivative at the end."""
    total = add(d1, d2)
    return (divide(d2, multiply(d1, total)),
            negative(divide(total, multiply(d1, d2))),
            divide(add(multiply(2.0, d2), d1), multiply(d2, total)))


def _uneven(f, axis: int, steps, edge_order):
    """The derivative with steps between samples. Where the steps are all equal NumPy's
    shortcut leaves out the middle sample, so a non-finite one is left out here too."""
    along = tuple(-1 if i == axis else 1 for i in range(f.ndim))
    d1, d2 = reshape(steps[:-1], along), reshape(steps[1:], along)
    middle = slice_along(f, axis, 1, -1)
    even = _all(equal(steps, steps[0]))
    middle = where(logical_and(even, logical_not(isfinite(middle))), 0.0, middle)
    interior = _combination(_interior_weights(d1, d2),
                            [slice_along(f, axis, None, -2), middle, slice_along(f, axis, 2, None)])
    if edge_order == 1:
        first = divide(subtract(slice_along(f, axis, 1, 2), slice_along(f, axis, 0, 1)), steps[0])
        last = divide(subtract(slice_along(f, axis, -1, None),
                               slice_along(f, axis, -2, -1)), steps[-1])
    else:
        first = _combination(_start_weights(steps[0], steps[1]), _first_three(f, axis))
        last = _combination(_end_weights(steps[-2], steps[-1]), _last_three(f, axis))
    return [first, interior, last]


def _derivative(f, axis: int, spacing, edge_order, out_dtype):
    _check_length(f, axis, edge_order)
    if f.dtype.kind == "b":
        raise op_error(DTypeError, "gradient", "boolean samples cannot be subtracted",
                       "convert them to numbers first: f.astype(float)", user_site())
    if isinstance(spacing, Tensor) and spacing.ndim == 1:
        parts = _uneven(f, axis, spacing, edge_order)
    else:
        parts = _uniform(f, axis, spacing, edge_order)
    return cast(concat(parts, axis), out_dtype)


def gradient(f, *varargs, axis=None, edge_order=1):
    """The derivative of sampled `f` along each axis (np.gradient): central differences
    inside, one-sided differences of order `edge_order` (1 or 2) at the ends. `varargs`:
    no spacing (1), one scalar spacing for every axis, or one per axis, each a scalar or
    the 1-d coordinates of the samples. One array for one axis, else a tuple. Integers give
    float64. Differentiable in f and in the spacings and coordinates."""
    values = operand(f, "gradient")
    axes = _ordered_axes(axis, values.ndim)
    spacings = _spacings(varargs, values, axes)
    if edge_order > 2:
        raise op_error(ValueError, "gradient", f"'edge_order' greater than 2 not supported "
                       f"(got {edge_order})", "pass edge_order=1 or 2", user_site())
    if values.dtype.kind in "iu":
        values = cast(values, dtypes.float64)
    out_dtype = values.dtype if values.dtype.kind == "f" else dtypes.float64
    derivatives = [_derivative(values, a, h, edge_order, out_dtype)
                   for a, h in zip(axes, spacings)]
    return derivatives[0] if len(axes) == 1 else tuple(derivatives)


def _unwrap_dtype(step_dtype: np.dtype, period) -> np.dtype:
    """NumPy's result type of the steps with `period` (a Python number is weak)."""
    if isinstance(period, Tensor):
        return np.result_type(step_dtype, period.dtype)
    return np.result_type(step_dtype, period)


def unwrap(p, discont=None, axis=-1, *, period=2 * math.pi):
    """p with every jump between neighbours along `axis` of more than `discont` (default
    period / 2) brought back by a whole number of periods (np.unwrap). Integer data with
    an integer period stay integers; the result has NumPy's dtype. Differentiable in p."""
    x = operand(p, "unwrap")
    steps = diff(x, axis=axis)
    axis = one_axis(axis, x.ndim, "unwrap")
    dtype = _unwrap_dtype(steps.dtype, period)
    steps = cast(steps, dtype)
    if discont is None:
        discont = period / 2
    if dtype.kind in "iu":
        high, rest = divmod(period, 2)
        ambiguous = rest == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    wrapped = add(mod(subtract(steps, low), period), low)
    if ambiguous:
        wrapped = where(logical_and(equal(wrapped, low), greater(steps, 0)), high, wrapped)
    correction = where(less(absolute(steps), discont), 0, subtract(wrapped, steps))
    later = add(slice_along(x, axis, 1, None), cumsum(correction, axis))
    return concat([cast(slice_along(x, axis, 0, 1), dtype), cast(later, dtype)], axis)
