"""conv_general_dilated: XLA's convolution in one fixed layout, channels last.

lhs is (N, *spatial, C), rhs (*window, C / feature_group_count, F), the output
(N, *out_spatial, F) (TF's NHWC with HWIO kernels, Keras's layout). Per spatial axis the
lhs is dilated (lhs_dilation - 1 zeros between elements), padded by (lo, hi) (negative
amounts crop), and the window, dilated by rhs_dilation, slides with window_strides. The
output channels split into feature_group_count groups, group g reading input channels
g*C/G ... (g+1)*C/G - 1. Both transposes are convolutions again, so it differentiates to
any order.
"""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import is_undefined, require_float, same_dtype
from tapejit.primitives.broadcast import zeros_like_type
from tapejit.primitives.conv_batch import conv_batch
from tapejit.primitives.shape import reshape, rev, transpose
from tapejit.primitives.slicing import concatenate, slice_
from tapejit.trace import bind


def dilated(size: int, dilation: int) -> int:
    return (size - 1) * dilation + 1 if size else 0


def window_out_size(size: int, window: int, stride: int, lo: int, hi: int,
                    base_dilation: int = 1, window_dilation: int = 1) -> int:
    """Positions of a (dilated) window sliding over a dilated, padded axis."""
    span = lo + dilated(size, base_dilation) + hi
    reach = dilated(window, window_dilation)
    return (span - reach) // stride + 1 if span >= reach else 0


def dilate_and_pad(x: np.ndarray, axes, dilation, padding, fill) -> np.ndarray:
    """x with `dilation - 1` fill values between elements and (lo, hi) fill values at the
    ends of each of `axes` (a negative amount crops)."""
    x = np.asarray(x)
    shape, place, crop = list(x.shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
    for axis, d, (lo, hi) in zip(axes, dilation, padding):
        n = dilated(x.shape[axis], d)
        shape[axis] = max(lo, 0) + n + max(hi, 0)
        place[axis] = slice(max(lo, 0), max(lo, 0) + n, d)
        crop[axis] = slice(max(-lo, 0), shape[axis] - max(-hi, 0))
    out = np.full(shape, fill, x.dtype)
    out[tuple(place)] = x
    return out[tuple(crop)]


def _check_conv_params(k, window_strides, padding, lhs_dilation, rhs_dilation, groups):
    lengths = {len(window_strides), len(padding), len(lhs_dilation), len(rhs_dilation)}
    if lengths != {k} or any(len(p) != 2 for p in padding):
        raise TypeRuleError(
            f"{k} spatial axes need {k} strides, padding pairs and dilations; got strides "
            f"{window_strides}, padding {padding}, dilations {lhs_dilation}/{rhs_dilation}",
            "give one value (one (lo, hi) pair for padding) per spatial axis")
    if min((*window_strides, *lhs_dilation, *rhs_dilation, groups), default=1) < 1:
        raise TypeRuleError(
            f"strides {window_strides}, dilations {lhs_dilation}/{rhs_dilation} and "
            f"feature_group_count {groups} must be positive", "use values >= 1")


def _conv_type(lhs: TensorType, rhs: TensorType, *, window_strides, padding, lhs_dilation,
               rhs_dilation, feature_group_count) -> TensorType:
    dtype = same_dtype(lhs, rhs)
    require_float(lhs)
    if lhs.ndim < 2 or lhs.ndim != rhs.ndim:
        raise TypeRuleError(
            f"lhs {lhs} and rhs {rhs} are not (N, *spatial, C) and (*window, C/groups, F) "
            "with the same number of spatial axes",
            "pass NHWC inputs and HWIO kernels (tj.nn.conv2d takes care of the layout)")
    k, groups = lhs.ndim - 2, feature_group_count
    _check_conv_params(k, window_strides, padding, lhs_dilation, rhs_dilation, groups)
    if min(rhs.shape[:-2], default=1) < 1:
        raise TypeRuleError(f"rhs {rhs} has an empty window", "give each window axis a size >= 1")
    channels, (per_group, features) = lhs.shape[-1], rhs.shape[-2:]
    if channels != per_group * groups or features % groups:
        raise TypeRuleError(
            f"lhs {lhs} has {channels} channels but rhs {rhs} expects {per_group} per group "
            f"in {groups} group(s) with {features} output channels",
            "the kernel's input axis must be C / feature_group_count and its output axis a "
            "multiple of feature_group_count", ShapeError)
    spatial = tuple(window_out_size(n, w, s, lo, hi, ld, rd) for n, w, s, (lo, hi), ld, rd
                    in zip(lhs.shape[1:-1], rhs.shape[:-2], window_strides, padding,
                           lhs_dilation, rhs_dilation))
    return TensorType(dtype, (lhs.shape[0],) + spatial + (features,))


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               feature_group_count):
    """A sum over window offsets of (strided slice of the padded lhs) @ (kernel tap)."""
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    out_type = _conv_type(TensorType(lhs.dtype, lhs.shape), TensorType(rhs.dtype, rhs.shape),
                          window_strides=window_strides, padding=padding,
                          lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                          feature_group_count=feature_group_count)
    groups, k = feature_group_count, lhs.ndim - 2
    out_spatial = out_type.shape[1:-1]
    out = np.zeros(out_type.shape[:-1] + (groups, out_type.shape[-1] // groups), lhs.dtype)
    if out.size == 0 or lhs.shape[-1] == 0:
        return out.reshape(out_type.shape)
    x = dilate_and_pad(lhs, range(1, k + 1), lhs_dilation, padding, 0)
    x = x.reshape(x.shape[:-1] + (groups, -1))
    taps = rhs.reshape(rhs.shape[:-1] + (groups, -1))
    for offset in np.ndindex(*rhs.shape[:-2]):
        window = tuple(slice(o * d, o * d + (m - 1) * s + 1, s) for o, d, m, s
                       in zip(offset, rhs_dilation, out_spatial, window_strides))
        patch = x[(slice(None),) + window]
        out += np.einsum("...gc,cgf->...gf", patch, taps[offset])
    return out.reshape(out_type.shape)


def _conv_jvp(primals, tangents, out, **params):
    (lhs, rhs), (t_lhs, t_rhs) = primals, tangents
    terms = ([conv_general_dilated(t_lhs, rhs, **params)] if t_lhs is not None else []) + (
        [conv_general_dilated(lhs, t_rhs, **params)] if t_rhs is not None else [])
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _regroup_kernel(rhs, groups: int):
    """(*window, Cg, G*Fg) -> (*window, Fg, G*Cg): the kernel of the lhs transpose."""
    window, (per_group, features) = rhs.shape[:-2], rhs.shape[-2:]
    k = len(window)
    split = reshape(rhs, window + (per_group, groups, features // groups))
    swapped = transpose(split, tuple(range(k)) + (k + 2, k + 1, k))
    return reshape(swapped, window + (features // groups, groups * per_group))


def _lhs_cotangent(ct, lhs_type, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                   feature_group_count):
    """A convolution of ct with the flipped kernel, strided by lhs_dilation and dilated by
    window_strides, padded so that each lhs element meets the taps it fed."""
    k = len(window_strides)
    pads = []
    for n, w, m, s, (lo, _), ld, rd in zip(lhs_type.shape[1:-1], rhs.shape[:-2],
                                           ct.shape[1:-1], window_strides, padding,
                                           lhs_dilation, rhs_dilation):
        reach = dilated(w, rd)
        before = reach - 1 - lo
        pads.append((before, dilated(n, ld) + reach - 1 - dilated(m, s) - before))
    kernel = rev(_regroup_kernel(rhs, feature_group_count), tuple(range(k)))
    return conv_general_dilated(ct, kernel, lhs_dilation, tuple(pads), window_strides,
                                rhs_dilation, feature_group_count)


def _rhs_cotangent_one_group(ct, lhs, rhs_window, *, window_strides, padding, lhs_dilation,
                             rhs_dilation):
    """Batch and channels swap roles: a convolution of lhs (as (C, *spatial, N)) with ct
    (as (*out_spatial, N, F)), strided by rhs_dilation and dilated by window_strides."""
    k = len(window_strides)
    spatial = tuple(range(1, k + 1))
    pads = tuple((lo, dilated(m, s) - dilated(n, ld) + dilated(w, rd) - lo - 1)
                 for n, w, m, s, (lo, _), ld, rd in zip(
                     lhs.shape[1:-1], rhs_window, ct.shape[1:-1], window_strides, padding,
                     lhs_dilation, rhs_dilation))
    swapped_lhs = transpose(lhs, (k + 1,) + spatial + (0,))
    swapped_ct = transpose(ct, spatial + (0, k + 1))
    result = conv_general_dilated(swapped_lhs, swapped_ct, rhs_dilation, pads, lhs_dilation,
                                  window_strides, 1)
    return transpose(result, spatial + (0, k + 1))


def _channels(x, start: int, stop: int):
    return slice_(x, (0,) * (x.ndim - 1) + (start,), tuple(x.shape[:-1]) + (stop,),
                  (1,) * x.ndim)


def _rhs_cotangent(ct, lhs, rhs_type, *, feature_group_count, **params):
    groups = feature_group_count
    window = rhs_type.shape[:-2]
    if groups == 1:
        return _rhs_cotangent_one_group(ct, lhs, window, **params)
    per_group, features = rhs_type.shape[-2], rhs_type.shape[-1] // groups
    parts = [_rhs_cotangent_one_group(_channels(ct, g * features, (g + 1) * features),
                                      _channels(lhs, g * per_group, (g + 1) * per_group),
                                      window, **params) for g in range(groups)]
    return concatenate(parts, len(window) + 1)


def _conv_transpose(ct, lhs, rhs, **params):
    if is_undefined(lhs) == is_undefined(rhs):
        raise AssertionError("conv_general_dilated is linear in one operand at a time")
    target = lhs.type if is_undefined(lhs) else rhs.type
    if 0 in ct.shape or 0 in target.shape:
        return (zeros_like_type(target), None) if is_undefined(lhs) else (
            None, zeros_like_type(target))
    if is_undefined(lhs):
        return _lhs_cotangent(ct, lhs.type, rhs, **params), None
    return None, _rhs_cotangent(ct, lhs, rhs.type, **params)


conv_general_dilated_p = Primitive(
    name="conv_general_dilated", type_rule=_conv_type, impl=_conv_impl, jvp=_conv_jvp,
    transpose=_conv_transpose, kind="other", batch=conv_batch,
    size_params=("window_strides", "padding", "lhs_dilation", "rhs_dilation",
                 "feature_group_count"))


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                         feature_group_count: int = 1):
    ints = lambda values: tuple(int(v) for v in values)
    return bind(conv_general_dilated_p, lhs, rhs, window_strides=ints(window_strides),
                padding=tuple(ints(p) for p in padding), lhs_dilation=ints(lhs_dilation),
                rhs_dilation=ints(rhs_dilation), feature_group_count=int(feature_group_count))
