"""Scans along one axis: cumsum (linear), cumprod, and the first-order linear recurrence
out[i] = a[i] * out[i-1] + b[i] that carries cumprod's derivatives (so they differentiate
again, and stay finite where the input has zeros)."""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import (
    axis_batch,
    is_undefined,
    linear,
    quiet,
    require_float,
    require_numeric,
    same_dtype,
)
from tapejit.primitives.batching import front_batch
from tapejit.primitives.broadcast import full
from tapejit.primitives.slicing import concatenate, slice_
from tapejit.trace import bind


def _check_axis(x: TensorType, axis: int) -> None:
    if not 0 <= axis < x.ndim:
        raise TypeRuleError(f"axis {axis} is not an axis of {x}",
                            f"scan along an axis in range({x.ndim}) (reshape a scalar to (1,))",
                            ShapeError)


def _scan_type(x: TensorType, *, axis, reverse) -> TensorType:
    require_numeric(x)
    _check_axis(x, axis)
    return x


def _along(fn, x, axis: int, reverse: bool):
    """fn (a NumPy accumulate along `axis`) run from the far end when `reverse`."""
    if not reverse:
        return fn(x, axis)
    return np.flip(fn(np.flip(x, axis), axis), axis)


def _cumsum_impl(x, *, axis, reverse):
    return _along(lambda v, a: np.cumsum(v, a, dtype=v.dtype), x, axis, reverse)


def _cumprod_impl(x, *, axis, reverse):
    return _along(lambda v, a: np.cumprod(v, a, dtype=v.dtype), x, axis, reverse)


def shifted(x, axis: int, reverse: bool, fill):
    """x moved one step along `axis` in the scan direction: each position holds the value
    scanned before it, the first position `fill`."""
    n, shape = x.shape[axis], tuple(x.shape)
    if n == 0:
        return x
    start = [0] * len(shape)
    limit = list(shape)
    if reverse:
        start[axis] = 1
    else:
        limit[axis] = n - 1
    rest = slice_(x, start, limit, (1,) * len(shape))
    edge = full(shape[:axis] + (1,) + shape[axis + 1:], fill, x.dtype)
    return concatenate([rest, edge] if reverse else [edge, rest], axis)


cumsum_p = linear(
    "cumsum", _scan_type, _cumsum_impl,
    lambda ct, x, *, axis, reverse: (cumsum(ct, axis, not reverse),), kind="other",
    batch=axis_batch(lambda n, *, axis, reverse: {"axis": axis + 1, "reverse": reverse}))


def _cumprod_jvp(primals, tangents, out, *, axis, reverse):
    (x,), (t,) = primals, tangents
    return linear_recurrence(x, t * shifted(out, axis, reverse, 1), axis, reverse)


cumprod_p = Primitive(name="cumprod", type_rule=_scan_type, impl=quiet(_cumprod_impl),
                      jvp=_cumprod_jvp, kind="other", batch=cumsum_p.batch)


def _recurrence_type(a: TensorType, b: TensorType, *, axis, reverse) -> TensorType:
    same_dtype(a, b)
    require_float(b)
    if a.shape != b.shape:
        raise TypeRuleError(f"coefficients {a} and terms {b} differ in shape",
                            "give one coefficient per term", ShapeError)
    _check_axis(b, axis)
    return b


def _recurrence_impl(a, b, *, axis, reverse):
    a, b = np.moveaxis(np.asarray(a), axis, 0), np.moveaxis(np.asarray(b), axis, 0)
    out = b.copy()
    order = range(len(b) - 2, -1, -1) if reverse else range(1, len(b))
    for i in order:
        out[i] = a[i] * out[i + 1 if reverse else i - 1] + b[i]
    return np.moveaxis(out, 0, axis)


def _recurrence_jvp(primals, tangents, out, *, axis, reverse):
    (a, _), (ta, tb) = primals, tangents
    terms = tb
    if ta is not None:
        carried = ta * shifted(out, axis, reverse, 0)
        terms = carried if terms is None else terms + carried
    return linear_recurrence(a, terms, axis, reverse)


def _recurrence_transpose(ct, a, b, *, axis, reverse):
    assert not is_undefined(a), "linear_recurrence is linear in its terms only"
    following = shifted(a, axis, not reverse, 0)
    return None, linear_recurrence(following, ct, axis, not reverse)


linear_recurrence_p = Primitive(
    name="linear_recurrence", type_rule=_recurrence_type, impl=quiet(_recurrence_impl),
    jvp=_recurrence_jvp, transpose=_recurrence_transpose, kind="other",
    batch=front_batch(lambda n, *, axis, reverse: {"axis": axis + 1, "reverse": reverse}))


def cumsum(x, axis: int, reverse: bool = False):
    return bind(cumsum_p, x, axis=axis, reverse=reverse)


def cumprod(x, axis: int, reverse: bool = False):
    return bind(cumprod_p, x, axis=axis, reverse=reverse)


def linear_recurrence(a, b, axis: int, reverse: bool = False):
    return bind(linear_recurrence_p, a, b, axis=axis, reverse=reverse)
