"""np.pad: every string mode, composed from slices, reversals, broadcasts and concatenation
so that gradients flow back to the padded source values (an element copied twice gets
both cotangents). Axes are padded one after the other, each seeing the padding of the
axes before it, as in NumPy (so the corners come out the same)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import operand
from tapejit.numpy.logic import equal
from tapejit.numpy.order_statistics import median as _median
from tapejit.numpy.reductions import any as _any
from tapejit.numpy.reductions import max as _max
from tapejit.numpy.reductions import mean as _mean
from tapejit.numpy.reductions import min as _min
from tapejit.numpy.rounding import floor, rint
from tapejit.numpy.shaping import slice_along
from tapejit.numpy.ufuncs import add, divide, multiply, subtract
from tapejit.ops import shape as tf_shape
from tapejit.ops.compare import where as _select
from tapejit.ops.indexing import getitem
from tapejit.ops.operands import cast
from tapejit.site import user_site
from tapejit.tensor import Tensor

_KEYWORDS = {
    "constant": {"constant_values"}, "empty": set(), "edge": set(), "wrap": set(),
    "linear_ramp": {"end_values"}, "reflect": {"reflect_type"},
    "symmetric": {"reflect_type"}, "maximum": {"stat_length"}, "minimum": {"stat_length"},
    "mean": {"stat_length"}, "median": {"stat_length"},
}


def pad(array, pad_width, mode="constant", **kwargs):
    """`array` padded by pad_width[axis] = (before, after) values along each axis (np.pad).

    pad_width: an int, (n,), (before, after), ((b0, a0), (b1, a1), ...) or {axis: n or
    (before, after)}. Modes: 'constant' (constant_values: numbers, arrays, or tensors,
    which are differentiated), 'edge', 'reflect' and 'symmetric' (reflect_type 'even' or
    'odd'), 'wrap', 'linear_ramp' (end_values), 'maximum', 'minimum', 'mean', 'median'
    (stat_length), and 'empty', which fills zeros (NumPy leaves the values undefined).
    A function as `mode` is not supported."""
    x = operand(array, "pad")
    widths = _pad_widths(pad_width, x.ndim)
    if callable(mode):
        raise op_error(NotImplementedError, "pad", "a function as mode is not supported: it "
                       "writes into the array in place, and tapejit tensors are immutable",
                       "use one of the string modes, or build the padding with "
                       "tnp.concatenate", user_site())
    _check_keywords(mode, kwargs)
    if mode == "constant":
        return _pad_constant(x, widths, kwargs.get("constant_values", 0))
    if mode == "empty":
        return _pad_constant(x, widths, 0)
    if x.size == 0:
        return _pad_empty_array(x, widths)
    if mode == "linear_ramp":
        ends = _value_pairs(kwargs.get("end_values", 0), x.ndim, "end_values")
        return _per_axis(x, widths, lambda y, axis, w: _pad_ramp(y, axis, w, ends[axis]))
    if mode in ("maximum", "minimum", "mean", "median"):
        lengths = _stat_lengths(kwargs.get("stat_length"), x.ndim)
        return _per_axis(x, widths, lambda y, axis, w: _pad_stat(y, axis, w, mode,
                                                                 lengths[axis]))
    pad_axis = {"edge": _pad_edge, "wrap": _pad_wrap,
                "reflect": _reflector(False, kwargs.get("reflect_type", "even")),
                "symmetric": _reflector(True, kwargs.get("reflect_type", "even"))}[mode]
    return _per_axis(x, widths, pad_axis, skip_unpadded=True)


# --- arguments -------------------------------------------------------------------------

def _pad_widths(pad_width, ndim: int) -> list[tuple[int, int]]:
    if isinstance(pad_width, dict):
        pad_width = _widths_of_dict(pad_width, ndim)
    if isinstance(pad_width, Tensor):
        pad_width = pad_width.concrete("pad")
    widths = np.asarray(pad_width)
    if widths.dtype.kind != "i":
        raise op_error(TypeError, "pad", f"`pad_width` must be of integral type, got "
                       f"{widths.dtype} ({pad_width!r})", "pass integer widths",
                       user_site())
    return [(int(b), int(a)) for b, a in _pairs(widths, ndim, "pad_width", index=True)]


def _widths_of_dict(pad_width: dict, ndim: int) -> list:
    widths = [(0, 0)] * ndim
    for axis, width in pad_width.items():
        if isinstance(width, int):
            width = (width, width)
        if not (isinstance(width, tuple) and len(width) == 2 and
                all(isinstance(w, int) for w in width)):
            raise op_error(AssertionError, "pad", f"pad_width[{axis!r}] must be an int or a "
                           f"tuple of two ints, got {width!r}", "give n or (before, after) "
                           "as Python ints", user_site())
        if not -ndim <= axis < ndim:
            raise op_error(IndexError, "pad", f"axis {axis} is out of range for a "
                           f"{ndim}-d array", f"use an axis in [{-ndim}, {ndim})",
                           user_site())
        widths[axis] = width
    return widths


def _pairs(values: np.ndarray, ndim: int, what: str, index: bool = False) -> list:
    """`values` as NumPy reads a per-axis argument: one value for every side, one
    (before, after) pair for every axis, or one pair per axis."""
    if index:
        values = np.round(values).astype(np.intp)
    if values.ndim < 3 and values.size == 1:
        pairs = [(values.ravel()[0],) * 2] * ndim
    elif values.ndim < 3 and values.size == 2 and values.shape != (2, 1):
        pairs = [tuple(values.ravel())] * ndim
    else:
        try:
            pairs = [tuple(p) for p in np.broadcast_to(values, (ndim, 2)).tolist()]
        except ValueError:
            raise op_error(ValueError, "pad", f"{what} of shape {values.shape} does not "
                           f"broadcast to ({ndim}, 2) for a {ndim}-d array",
                           "give one value, a (before, after) pair, or one pair per axis",
                           user_site()) from None
    if index and any(v < 0 for p in pairs for v in p):
        raise op_error(ValueError, "pad", f"index can't contain negative values ({what} "
                       f"{values.tolist()})", "give non-negative widths", user_site())
    return pairs


def _value_pairs(values, ndim: int, what: str) -> list:
    """constant_values/end_values as (before, after) per axis: NumPy scalars, or 0-d
    tensors picked out of a tensor (whose gradient then flows)."""
    if values is None:
        raise op_error(TypeError, "pad", f"{what} cannot be None", f"give a number, "
                       f"or omit {what} for 0", user_site())
    if not isinstance(values, Tensor):
        return _pairs(np.asarray(values), ndim, what)
    if values.size == 1 and values.ndim < 3:
        value = tf_shape.reshape(values, ())
        return [(value, value)] * ndim
    if values.size == 2 and values.ndim < 3 and tuple(values.shape) != (2, 1):
        flat = tf_shape.reshape(values, (2,))
        return [(getitem(flat, 0), getitem(flat, 1))] * ndim
    _pairs(np.zeros(values.shape, bool), ndim, what)  # NumPy's error for a bad shape
    table = tf_shape.broadcast_to(values, (ndim, 2))
    return [(getitem(table, (i, 0)), getitem(table, (i, 1))) for i in range(ndim)]


def _stat_lengths(stat_length, ndim: int) -> list:
    if stat_length is None:
        return [(None, None)] * ndim
    values = np.asarray(stat_length)
    if values.dtype.kind not in "biuf":
        raise op_error(TypeError, "pad", f"stat_length must be numbers or None, got "
                       f"{stat_length!r}", "give lengths as integers", user_site())
    return [(int(b), int(a)) for b, a in _pairs(values, ndim, "stat_length", index=True)]


def _check_keywords(mode, kwargs: dict) -> None:
    if not isinstance(mode, str) or mode not in _KEYWORDS:
        raise op_error(ValueError, "pad", f"mode '{mode}' is not supported",
                       f"use one of {sorted(_KEYWORDS)}", user_site())
    unsupported = set(kwargs) - _KEYWORDS[mode]
    if unsupported:
        raise op_error(ValueError, "pad", f"unsupported keyword arguments for mode "
                       f"'{mode}': {unsupported}",
                       f"mode '{mode}' takes {sorted(_KEYWORDS[mode]) or 'no keywords'}",
                       user_site())


# --- building blocks -------------------------------------------------------------------

def _block_shape(x, axis: int, width: int) -> tuple[int, ...]:
    return tuple(width if i == axis else n for i, n in enumerate(x.shape))


def _filled(x, axis: int, width: int, value):
    """A block of `width` along `axis` holding `value` (a number or a 0-d tensor)."""
    shape = _block_shape(x, axis, width)
    if isinstance(value, Tensor):
        return tf_shape.broadcast_to(cast(value, x.dtype), shape)
    return tf_shape.full(shape, np.asarray(value).astype(x.dtype), x.dtype)


def _joined(before, x, after, axis: int):
    parts = [p for p in (before, x, after) if p is not None]
    return tf_shape.concat(parts, axis) if len(parts) > 1 else x


def _per_axis(x, widths, pad_axis, skip_unpadded: bool = False):
    """pad_axis(x, axis, (before, after)) for each axis in turn, on the padded result."""
    for axis, (before, after) in enumerate(widths):
        if before or after or not skip_unpadded:
            x = pad_axis(x, axis, (before, after))
    return x


def _pad_constant(x, widths, values):
    values = _value_pairs(values, x.ndim, "constant_values")
    for axis, ((before, after), (low, high)) in enumerate(zip(widths, values)):
        if before or after:
            x = _joined(_filled(x, axis, before, low) if before else None, x,
                        _filled(x, axis, after, high) if after else None, axis)
    return x


def _pad_empty_array(x, widths):
    """Modes other than 'constant' and 'empty' cannot extend an empty axis: they need its
    values. Extending the others still gives an empty array."""
    for axis, (before, after) in enumerate(widths):
        if x.shape[axis] == 0 and (before or after):
            raise op_error(ValueError, "pad", f"can't extend empty axis {axis} (shape "
                           f"{tuple(x.shape)}) using modes other than 'constant' or 'empty'",
                           "pad with mode='constant', or leave the empty axis unpadded",
                           user_site())
    shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
    return tf_shape.full(shape, 0, x.dtype)


def _repeated(x, axis: int, width: int, edge):
    return tf_shape.broadcast_to(edge, _block_shape(x, axis, width)) if width else None


def _pad_edge(x, axis: int, width):
    n = x.shape[axis]
    return _joined(_repeated(x, axis, width[0], slice_along(x, axis, 0, 1)), x,
                   _repeated(x, axis, width[1], slice_along(x, axis, n - 1, n)), axis)


def _pad_wrap(x, axis: int, width):
    """Periodic copies, added a period (a multiple of the original length) at a time."""
    original = x.shape[axis]
    before, after = width
    while before > 0 or after > 0:
        length = x.shape[axis]
        period = length // original * original
        left = right = None
        if before > 0:
            size = min(period, before)
            left, before = slice_along(x, axis, period - size, period), before - size
        if after > 0:
            size = min(period, after)
            start = length - period
            right, after = slice_along(x, axis, start, start + size), after - size
        x = _joined(left, x, right, axis)
    return x


def _reflector(symmetric: bool, reflect_type):
    """Mirror images about the edge element ('reflect') or the edge itself ('symmetric');
    reflect_type 'odd' turns each mirrored value v into 2 * edge - v. A pad wider than the
    array mirrors the padded result again, as NumPy does (any reflect_type other than
    'odd' is 'even', as in NumPy)."""
    odd = reflect_type == "odd"

    def pad_axis(x, axis: int, width):
        original = x.shape[axis]
        if original == 1:
            return _pad_edge(x, axis, width)
        before, after = width
        while before > 0 or after > 0:
            length = x.shape[axis]
            if symmetric:
                period, skip = length // original * original, 0
            else:
                period, skip = (length - 1) // (original - 1) * (original - 1), 1
            left = right = None
            if before > 0:
                size = min(period, before)
                left = _mirrored(x, axis, skip, skip + size, 0, odd)
                before -= size
            if after > 0:
                size = min(period, after)
                right = _mirrored(x, axis, length - skip - size, length - skip, length - 1,
                                  odd)
                after -= size
            x = _joined(left, x, right, axis)
        return x
    return pad_axis


def _mirrored(x, axis: int, start: int, stop: int, edge: int, odd: bool):
    chunk = tf_shape.reverse(slice_along(x, axis, start, stop), axis)
    if not odd:
        return chunk
    return cast(subtract(multiply(2, slice_along(x, axis, edge, edge + 1)), chunk), x.dtype)


def _pad_ramp(x, axis: int, width, ends):
    n = x.shape[axis]
    left = _ramp(x, axis, width[0], ends[0], slice_along(x, axis, 0, 1)) if width[0] else None
    right = None
    if width[1]:
        right = tf_shape.reverse(_ramp(x, axis, width[1], ends[1], slice_along(x, axis, n - 1, n)),
                                 axis)
    return _joined(left, x, right, axis)


def _ramp(x, axis: int, width: int, end, edge):
    """np.linspace(end, edge, width, endpoint=False) along `axis`, computed as NumPy does
    (in the float type of end and x; a step of zero anywhere switches the whole ramp to
    (k / width) * delta), then in x's dtype, integers rounded down."""
    work = np.result_type(end.dtype if isinstance(end, Tensor) else end, x.dtype, 1.0)
    start = cast(end, work) if isinstance(end, Tensor) else work.type(end)
    delta = subtract(cast(edge, work), start)
    step = divide(delta, work.type(width))
    counts = np.arange(width, dtype=work).reshape(
        tuple(width if i == axis else 1 for i in range(x.ndim)))
    flat = _any(equal(step, work.type(0)))
    ramp = add(_select(flat, multiply(counts / work.type(width), delta),
                       multiply(counts, step)), start)
    if x.dtype.kind in "iu":
        ramp = floor(ramp)
    return cast(tf_shape.broadcast_to(ramp, _block_shape(x, axis, width)), x.dtype)


_STATISTICS = {"maximum": _max, "minimum": _min, "mean": _mean, "median": _median}


def _pad_stat(x, axis: int, width, mode: str, lengths):
    n = x.shape[axis]
    left_length, right_length = (n if k is None else min(k, n) for k in lengths)
    if mode in ("maximum", "minimum") and 0 in (left_length, right_length):
        raise op_error(ValueError, "pad", f"stat_length of 0 yields no value for padding "
                       f"(mode '{mode}', axis {axis})", "give stat_length >= 1",
                       user_site())
    left = right = None
    if width[0]:
        left = _repeated(x, axis, width[0], _statistic(slice_along(x, axis, 0, left_length), axis,
                                                       mode))
    if width[1]:
        right = _repeated(x, axis, width[1], _statistic(slice_along(x, axis, n - right_length, n),
                                                        axis, mode))
    return _joined(left, x, right, axis)


def _statistic(chunk, axis: int, mode: str):
    """The statistic of each lane along `axis` (kept, of length 1), in chunk's dtype:
    rounded to the nearest (half to even) for integers; NaN for an empty mean/median."""
    if chunk.shape[axis] == 0:
        shape = _block_shape(chunk, axis, 1)
        kind = chunk.dtype if chunk.dtype.kind == "f" else dtypes.float64
        value = tf_shape.full(shape, np.nan, kind)
    else:
        value = _STATISTICS[mode](chunk, axis=axis, keepdims=True)
    if chunk.dtype.kind in "iu" and value.dtype.kind == "f":
        value = rint(value)
    return cast(value, chunk.dtype)
