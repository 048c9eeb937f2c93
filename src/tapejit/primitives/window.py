"""Windowed reductions (XLA's reduce_window for sum and max) and the two linear ops that
carry max-pool derivatives: select_and_gather_add (the tangent at each window's arg-max)
and its transpose select_and_scatter_add (each window's cotangent added at its arg-max).

A window has a size and a stride per axis of the operand (1 on batch and channel axes for
pooling) and (lo, hi) padding per axis (negative crops); padding holds 0 for sums and the
dtype's lowest value for max. The arg-max of a window is its first maximum in row-major
order over the padded operand, NaN counting as the maximum; a padded position carries a
zero tangent.
"""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import require_float, require_numeric, same_dtype
from tapejit.primitives.broadcast import zeros_like_type
from tapejit.primitives.conv import dilate_and_pad, dilated, window_out_size
from tapejit.primitives.conv_batch import window_batch
from tapejit.primitives.reduce import lowest
from tapejit.primitives.slicing import pad
from tapejit.trace import bind


def _window_type(x: TensorType, window_dimensions, window_strides, padding) -> TensorType:
    n = x.ndim
    if not len(window_dimensions) == len(window_strides) == len(padding) == n or any(
            len(p) != 2 for p in padding):
        raise TypeRuleError(
            f"a window over {x} needs {n} sizes, strides and (lo, hi) padding pairs; got "
            f"{window_dimensions}, {window_strides}, {padding}",
            "give one value per axis of the operand (1 for axes not pooled)", ShapeError)
    if min((*window_dimensions, *window_strides), default=1) < 1:
        raise TypeRuleError(f"window {window_dimensions} and strides {window_strides} must "
                            "be positive", "use sizes and strides >= 1", ShapeError)
    shape = tuple(window_out_size(m, w, s, lo, hi) for m, w, s, (lo, hi)
                  in zip(x.shape, window_dimensions, window_strides, padding))
    return TensorType(x.dtype, shape)


def _reduce_window_type(x: TensorType, *, window_dimensions, window_strides, padding):
    require_numeric(x)
    return _window_type(x, window_dimensions, window_strides, padding)


def _windows(x, window_dimensions, window_strides, padding, fill):
    """(padded operand, output shape, offset -> the strided slice of the padded operand
    each output position sees at that window offset)."""
    x = np.asarray(x)
    out_shape = _window_type(TensorType(x.dtype, x.shape), window_dimensions,
                             window_strides, padding).shape
    padded = dilate_and_pad(x, range(x.ndim), (1,) * x.ndim, padding, fill)

    def at(offset):
        return tuple(slice(o, o + (m - 1) * s + 1, s)
                     for o, m, s in zip(offset, out_shape, window_strides))

    return padded, out_shape, at


def _reduce_window_impl(combine, fill_of):
    def impl(x, *, window_dimensions, window_strides, padding):
        x = np.asarray(x)
        fill = fill_of(x.dtype)
        padded, out_shape, at = _windows(x, window_dimensions, window_strides, padding, fill)
        out = np.full(out_shape, fill, x.dtype)
        if out.size:
            for offset in np.ndindex(*window_dimensions):
                out = combine(out, padded[at(offset)])
        return out
    return impl


def _sum_transpose(ct, x, *, window_dimensions, window_strides, padding):
    """Each operand element gathers the cotangents of the windows it sat in: the cotangent
    spread out by the strides, then summed over stride-1 windows."""
    if 0 in ct.shape or 0 in x.shape:
        return (zeros_like_type(x.type),)
    n = len(ct.shape)
    spread = pad(ct, (0,) * n, (0,) * n, tuple(s - 1 for s in window_strides))
    pads = []
    for size, m, w, s, (lo, _) in zip(x.shape, ct.shape, window_dimensions, window_strides,
                                      padding):
        before = w - 1 - lo
        pads.append((before, size + w - 1 - dilated(m, s) - before))
    return (reduce_window_sum(spread, window_dimensions, (1,) * n, pads),)


def _sum_jvp(primals, tangents, out, **params):
    return reduce_window_sum(tangents[0], **params)


def _max_jvp(primals, tangents, out, **params):
    return select_and_gather_add(tangents[0], primals[0], **params)


WINDOW_PARAMS = ("window_dimensions", "window_strides", "padding")
"""Read by kernels at run time (size-free text): one kernel text serves every window."""

reduce_window_sum_p = Primitive(
    name="reduce_window_sum", type_rule=_reduce_window_type,
    impl=_reduce_window_impl(np.add, lambda dtype: 0), jvp=_sum_jvp, transpose=_sum_transpose,
    kind="other", size_params=WINDOW_PARAMS, batch=window_batch)

reduce_window_max_p = Primitive(
    name="reduce_window_max", type_rule=_reduce_window_type,
    impl=_reduce_window_impl(np.maximum, lowest), jvp=_max_jvp, kind="other",
    size_params=WINDOW_PARAMS, batch=window_batch)


def _selected_offsets(x, window_dimensions, window_strides, padding):
    """(padded x, out shape, slice maker, the flat window offset of each window's arg-max)."""
    padded, out_shape, at = _windows(x, window_dimensions, window_strides, padding,
                                     lowest(np.asarray(x).dtype))
    offsets = list(np.ndindex(*window_dimensions))
    chosen = np.zeros(out_shape, np.int64)
    if not np.prod(out_shape, dtype=np.int64):
        return padded, out_shape, at, chosen, offsets
    best = padded[at(offsets[0])].copy()
    for k, offset in enumerate(offsets[1:], 1):
        candidate = padded[at(offset)]
        with np.errstate(invalid="ignore"):
            better = (candidate > best) | (np.isnan(candidate) & ~np.isnan(best))
        best = np.where(better, candidate, best)
        chosen = np.where(better, k, chosen)
    return padded, out_shape, at, chosen, offsets


def _gather_impl(t, x, *, window_dimensions, window_strides, padding):
    t = np.asarray(t)
    _, out_shape, at, chosen, offsets = _selected_offsets(x, window_dimensions,
                                                          window_strides, padding)
    t_padded = dilate_and_pad(t, range(t.ndim), (1,) * t.ndim, padding, 0)
    out = np.zeros(out_shape, t.dtype)
    for k, offset in enumerate(offsets):
        out = np.where(chosen == k, t_padded[at(offset)], out)
    return out


def _scatter_impl(s, x, *, window_dimensions, window_strides, padding):
    s, x = np.asarray(s), np.asarray(x)
    padded, _, at, chosen, offsets = _selected_offsets(x, window_dimensions, window_strides,
                                                       padding)
    spread = np.zeros(padded.shape, s.dtype)
    if s.size:
        for k, offset in enumerate(offsets):
            spread[at(offset)] += np.where(chosen == k, s, 0)
    out = np.zeros(x.shape, s.dtype)
    inside, source = [], []
    for size, span, (lo, _) in zip(x.shape, padded.shape, padding):
        start, stop = max(0, -lo), max(max(0, -lo), min(size, span - lo))
        inside.append(slice(start, stop))
        source.append(slice(start + lo, stop + lo))
    out[tuple(inside)] = spread[tuple(source)]
    return out


def _check_values(t: TensorType, x: TensorType) -> None:
    same_dtype(t, x)
    require_float(t)


def _gather_type(t: TensorType, x: TensorType, *, window_dimensions, window_strides,
                 padding) -> TensorType:
    _check_values(t, x)
    if t.shape != x.shape:
        raise TypeRuleError(f"tangent {t} and operand {x} differ in shape",
                            "pass a tangent of the operand's shape", ShapeError)
    return _window_type(x, window_dimensions, window_strides, padding)


def _scatter_type(s: TensorType, x: TensorType, *, window_dimensions, window_strides,
                  padding) -> TensorType:
    _check_values(s, x)
    windows = _window_type(x, window_dimensions, window_strides, padding)
    if s.shape != windows.shape:
        raise TypeRuleError(f"source {s} does not match the {windows.shape} windows of {x}",
                            "pass one value per window", ShapeError)
    return x


def _gather_jvp(primals, tangents, out, **params):
    return None if tangents[0] is None else select_and_gather_add(tangents[0], primals[1],
                                                                  **params)


def _scatter_jvp(primals, tangents, out, **params):
    return None if tangents[0] is None else select_and_scatter_add(tangents[0], primals[1],
                                                                   **params)


def _gather_transpose(ct, t, x, **params):
    return select_and_scatter_add(ct, x, **params), None


def _scatter_transpose(ct, s, x, **params):
    return select_and_gather_add(ct, x, **params), None


select_and_gather_add_p = Primitive(
    name="select_and_gather_add", type_rule=_gather_type, impl=_gather_impl, jvp=_gather_jvp,
    transpose=_gather_transpose, kind="other", size_params=WINDOW_PARAMS,
    batch=window_batch)

select_and_scatter_add_p = Primitive(
    name="select_and_scatter_add", type_rule=_scatter_type, impl=_scatter_impl,
    jvp=_scatter_jvp, transpose=_scatter_transpose, kind="other",
    size_params=WINDOW_PARAMS, batch=window_batch)


def _window_params(window_dimensions, window_strides, padding) -> dict:
    return {"window_dimensions": tuple(int(w) for w in window_dimensions),
            "window_strides": tuple(int(s) for s in window_strides),
            "padding": tuple((int(lo), int(hi)) for lo, hi in padding)}


def reduce_window_sum(x, window_dimensions, window_strides, padding):
    return bind(reduce_window_sum_p, x,
                **_window_params(window_dimensions, window_strides, padding))


def reduce_window_max(x, window_dimensions, window_strides, padding):
    return bind(reduce_window_max_p, x,
                **_window_params(window_dimensions, window_strides, padding))


def select_and_gather_add(t, x, window_dimensions, window_strides, padding):
    return bind(select_and_gather_add_p, t, x,
                **_window_params(window_dimensions, window_strides, padding))


def select_and_scatter_add(s, x, window_dimensions, window_strides, padding):
    return bind(select_and_scatter_add_p, s, x,
                **_window_params(window_dimensions, window_strides, padding))
