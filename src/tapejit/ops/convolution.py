"""tj.nn's convolutions and pools with TF's names and semantics (tf.nn.conv2d, max_pool2d,
avg_pool2d, ...), on the conv_general_dilated and window primitives.

Channels last (NWC, NHWC, ...) is the primitives' layout; channels-first data formats are
transposed in and out. 'SAME' padding puts the odd element after (pad_total // 2 before),
as TF; avg_pool divides by the count of elements inside the input (padding not counted).
"""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, op_error
from tapejit.ops.operands import as_operand, cast, float_operand, numeric_operand
from tapejit.ops.shape import transpose
from tapejit.primitives.conv import conv_general_dilated
from tapejit.primitives.window import reduce_window_max, reduce_window_sum, reduce_window_sum_p
from tapejit.site import user_site


def _fail(op: str, problem: str, fix: str):
    return op_error(ShapeError, op, problem, fix, user_site())

def _per_axis(value, k: int, name: str, op: str, default: int = 1) -> tuple[int, ...]:
    """TF's int-or-list spatial argument: an int, 1 value, k values, or k + 2 values with 1
    on the batch and channel axes."""
    if value is None:
        return (default,) * k
    values = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) == 1:
        values = values * k
    elif len(values) == k + 2:
        if values[0] != 1 or values[-1] != 1:
            raise _fail(op, f"{name}={list(value)} sets the batch or channel axis",
                        f"give 1 there, e.g. {[1] + [values[1]] * k + [1]}")
        values = values[1:-1]
    if len(values) != k or any(int(v) < 1 for v in values):
        raise _fail(op, f"{name}={value!r} is not an int or a list of 1, {k} or {k + 2} "
                    "positive ints", f"pass e.g. {name}=2 or {name}={[2] * k}")
    return tuple(int(v) for v in values)

def _pads(padding, sizes, windows, strides, op: str, explicit_ok: bool = True):
    """(lo, hi) per spatial axis for 'SAME', 'VALID' or TF's explicit pairs."""
    k = len(sizes)
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return ((0, 0),) * k
        if mode == "SAME":
            pads = []
            for n, w, s in zip(sizes, windows, strides):
                total = max((-(-n // s) - 1) * s + w - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
    elif explicit_ok:
        pairs = [tuple(int(v) for v in p) for p in padding]
        if len(pairs) == k + 2 and pairs[0] == pairs[-1] == (0, 0):
            pairs = pairs[1:-1]
        if len(pairs) == k and all(len(p) == 2 and min(p) >= 0 for p in pairs):
            return tuple(pairs)
    raise _fail(op, f"padding={padding!r} is not understood",
                "pass 'SAME', 'VALID'" + (f" or {k + 2} non-negative (before, after) pairs "
                                          "with (0, 0) on the batch and channel axes"
                                          if explicit_ok else ""))

def _channels_last(x, data_format: str, k: int, op: str):
    """x in channels-last layout, and the function putting an output back."""
    last, first = "N" + "DHW"[3 - k:] + "C", "NC" + "DHW"[3 - k:]
    if data_format in (None, last):
        return x, lambda y: y
    if data_format == first:
        to_last = (0,) + tuple(range(2, k + 2)) + (1,)
        back = (0, k + 1) + tuple(range(1, k + 1))
        return transpose(x, to_last), lambda y: transpose(y, back)
    raise _fail(op, f"data_format={data_format!r}", f"use '{last}' or '{first}'")

def _check_rank(x, k: int, op: str, what: str = "input"):
    if len(x.shape) != k + 2:
        raise _fail(op, f"{what} has shape {tuple(x.shape)}, not rank {k + 2}",
                    f"pass a batch of {k}-d inputs with channels, shape (batch, "
                    f"{', '.join(['size'] * k)}, channels)")

def _convolve(op, k, input, filters, strides, padding, data_format, dilations):
    x = float_operand(input, op)
    w = as_operand(filters, op)
    if w.dtype != x.dtype and isinstance(filters, (np.ndarray, list, tuple)):
        w = cast(w, x.dtype)
    x, back = _channels_last(x, data_format, k, op)
    _check_rank(x, k, op)
    _check_rank(w, k, op, "filters")
    strides = _per_axis(strides, k, "strides", op)
    dilations = _per_axis(dilations, k, "dilations", op)
    channels, per_group, features = x.shape[-1], w.shape[-2], w.shape[-1]
    if per_group == 0 or channels % per_group or features % (channels // per_group or 1):
        raise _fail(op, f"input has {channels} channels, filters {tuple(w.shape)} take "
                    f"{per_group} per group", "the filters' in_channels must divide the "
                    "input's channels (their ratio is the group count, which must divide "
                    "out_channels)")
    reach = tuple((n - 1) * d + 1 for n, d in zip(w.shape[:-2], dilations))
    pads = _pads(padding, x.shape[1:-1], reach, strides, op)
    y = conv_general_dilated(x, w, strides, pads, (1,) * k, dilations, channels // per_group)
    return back(y)

def convolution(input, filters, strides=None, padding="VALID", data_format=None,
                dilations=None, name=None):
    """tf.nn.convolution: an N-d convolution, the rank taken from filters."""
    k = len(as_operand(filters, "convolution").shape) - 2
    return _convolve("convolution", k, input, filters, strides, padding, data_format,
                     dilations)

def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """tf.nn.conv1d: input (batch, width, in), filters (width, in / groups, out)."""
    return _convolve("conv1d", 1, input, filters, stride, padding, data_format, dilations)

def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """tf.nn.conv2d: input NHWC, filters HWIO (in = input channels / groups); strides and
    dilations an int or 1, 2 or 4 ints; padding 'SAME', 'VALID' or 4 (before, after) pairs."""
    return _convolve("conv2d", 2, input, filters, strides, padding, data_format, dilations)

def _pool_geometry(op, x, k, ksize, strides, padding, explicit_ok):
    _check_rank(x, k, op)
    window = _per_axis(ksize, k, "ksize", op)
    strides = _per_axis(strides, k, "strides", op)
    pads = _pads(padding, x.shape[1:-1], window, strides, op, explicit_ok)
    return ((1,) + window + (1,), (1,) + strides + (1,), ((0, 0),) + pads + ((0, 0),))

def _max_pool(op, k, input, ksize, strides, padding, data_format):
    x, back = _channels_last(numeric_operand(input, op), data_format, k, op)
    return back(reduce_window_max(x, *_pool_geometry(op, x, k, ksize, strides, padding, True)))

def _avg_pool(op, k, input, ksize, strides, padding, data_format):
    x, back = _channels_last(float_operand(input, op), data_format, k, op)
    window, strides, pads = _pool_geometry(op, x, k, ksize, strides, padding, False)
    sums = reduce_window_sum(x, window, strides, pads)
    spatial = (1,) + tuple(x.shape[1:-1]) + (1,)
    counts = reduce_window_sum_p.impl(np.ones(spatial, x.dtype), window_dimensions=window,
                                      window_strides=strides, padding=pads)
    return back(sums / counts)

def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _max_pool("max_pool1d", 1, input, ksize, strides, padding, data_format)

def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """tf.nn.max_pool2d: the max over each window; 'SAME' pads with -inf."""
    return _max_pool("max_pool2d", 2, input, ksize, strides, padding, data_format)

def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _avg_pool("avg_pool1d", 1, input, ksize, strides, padding, data_format)

def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """tf.nn.avg_pool2d: the mean over each window; with 'SAME', over its elements inside
    the input."""
    return _avg_pool("avg_pool2d", 2, input, ksize, strides, padding, data_format)

def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.max_pool: N-d, the rank taken from the input."""
    k = len(as_operand(input, "max_pool").shape) - 2
    return _max_pool("max_pool", k, input, ksize, strides, padding, data_format)

def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    k = len(as_operand(input, "avg_pool").shape) - 2
    return _avg_pool("avg_pool", k, input, ksize, strides, padding, data_format)

