"""Primitives that cut and join along axes: concatenate, slice, pad."""

from __future__ import annotations

import numpy as np

from tapejit.errors import TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import axis_batch, is_undefined, linear, same_dtype
from tapejit.primitives.batching import front_batch
from tapejit.primitives.broadcast import zeros_like_type
from tapejit.trace import bind


def _concat_type(*xs: TensorType, dimension) -> TensorType:
    dtype = same_dtype(*xs)
    first = xs[0]
    if not 0 <= dimension < first.ndim:
        raise TypeRuleError(f"axis {dimension} is out of range for {first}",
                            f"use an axis in range({first.ndim})")
    for x in xs[1:]:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape))
                                       if i != dimension):
            shown = ", ".join(map(str, xs))
            raise TypeRuleError(f"cannot concatenate {shown} along axis {dimension}",
                                "all other dimensions must match")
    size = sum(x.shape[dimension] for x in xs)
    return TensorType(dtype, first.shape[:dimension] + (size,) + first.shape[dimension + 1:])


def _concat_jvp(primals, tangents, out, *, dimension):
    parts = [t if t is not None else zeros_like_type(x) for x, t in zip(primals, tangents)]
    return concatenate(parts, dimension)


def _concat_transpose(ct, *xs, dimension):
    cts, start = [], 0
    for x in xs:
        size = x.shape[dimension]
        if is_undefined(x):
            starts = tuple(start if i == dimension else 0 for i in range(ct.ndim))
            limits = tuple(start + size if i == dimension else n for i, n in enumerate(ct.shape))
            cts.append(slice_(ct, starts, limits, (1,) * ct.ndim))
        else:
            cts.append(None)
        start += size
    return tuple(cts)


concatenate_p = Primitive(
    name="concatenate", type_rule=_concat_type,
    impl=lambda *xs, dimension: np.concatenate(xs, dimension), jvp=_concat_jvp,
    transpose=_concat_transpose, kind="other",
    batch=front_batch(lambda n, *, dimension: {"dimension": dimension + 1}))


def _slice_len(start: int, limit: int, stride: int) -> int:
    return max(0, -(-(limit - start) // stride))


def _slice_type(x: TensorType, *, start_indices, limit_indices, strides) -> TensorType:
    ok = len(start_indices) == len(limit_indices) == len(strides) == x.ndim and all(
        0 <= s <= lim <= n and k >= 1
        for s, lim, k, n in zip(start_indices, limit_indices, strides, x.shape))
    if not ok:
        raise TypeRuleError(
            f"invalid slice of {x}: starts {start_indices}, limits {limit_indices}, "
            f"strides {strides}", "need 0 <= start <= limit <= size and stride >= 1 per axis")
    shape = tuple(_slice_len(*a) for a in zip(start_indices, limit_indices, strides))
    return TensorType(x.dtype, shape)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    return x[tuple(slice(*a) for a in zip(start_indices, limit_indices, strides))]


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    if 0 in ct.shape:
        return (zeros_like_type(x),)
    high = tuple(n - s - (m - 1) * k - 1
                 for n, s, m, k in zip(x.shape, start_indices, ct.shape, strides))
    return (pad(ct, start_indices, high, tuple(k - 1 for k in strides)),)


slice_p = linear("slice", _slice_type, _slice_impl, _slice_transpose, kind="view",
                 size_params=("start_indices", "limit_indices", "strides"),
                 batch=axis_batch(lambda n, *, start_indices, limit_indices, strides: {
                     "start_indices": (0,) + tuple(start_indices),
                     "limit_indices": (n,) + tuple(limit_indices),
                     "strides": (1,) + tuple(strides)}))


def pad_type(x: TensorType, *, low, high, interior) -> TensorType:
    ok = len(low) == len(high) == len(interior) == x.ndim and min(low + high + interior,
                                                                   default=0) >= 0
    if not ok:
        raise TypeRuleError(f"invalid padding of {x}: low {low}, high {high}, "
                            f"interior {interior}", "give one non-negative amount per axis")
    shape = tuple(lo + hi + n + max(n - 1, 0) * i
                  for n, lo, hi, i in zip(x.shape, low, high, interior))
    return TensorType(x.dtype, shape)


def padded_limit(low: int, size: int, interior: int) -> int:
    """One past the last padded position an operand element lands on along an axis."""
    return low + (size - 1) * (interior + 1) + 1 if size else low


def _pad_impl(x, *, low, high, interior):
    x = np.asarray(x)
    out_shape = pad_type(TensorType(x.dtype, x.shape), low=low, high=high,
                         interior=interior).shape
    out = np.zeros(out_shape, x.dtype)
    out[tuple(slice(lo, padded_limit(lo, n, i), i + 1)
              for lo, n, i in zip(low, x.shape, interior))] = x
    return out


def _pad_transpose(ct, x, *, low, high, interior):
    limits = tuple(padded_limit(lo, n, i) for lo, n, i in zip(low, x.shape, interior))
    return (slice_(ct, low, limits, tuple(i + 1 for i in interior)),)


pad_p = linear("pad", pad_type, _pad_impl, _pad_transpose, kind="other",
               size_params=("low", "high", "interior"),
               batch=axis_batch(lambda n, *, low, high, interior: {
                   "low": (0,) + tuple(low), "high": (0,) + tuple(high),
                   "interior": (0,) + tuple(interior)}))


def concatenate(xs, dimension: int):
    return bind(concatenate_p, *xs, dimension=dimension)


def slice_(x, start_indices, limit_indices, strides):
    return bind(slice_p, x, start_indices=tuple(start_indices),
                limit_indices=tuple(limit_indices), strides=tuple(strides))


def pad(x, low, high, interior):
    return bind(pad_p, x, low=tuple(low), high=tuple(high), interior=tuple(interior))
