"""Convolution and pooling for generated code, compiled once (and cached on disk) rather
than inside every kernel: conv2d_nhwc (a blocked loop nest, or im2col + BLAS) and the
windowed max/sum and arg-max gather/scatter over 4-d arrays (fewer axes are padded with
size-1 axes by the caller). Semantics as primitives/conv.py and primitives/window.py."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _fill_columns(x, cols, group, kh, kw, out_h, out_w, strides, pad_lo, lhs_dil, rhs_dil):
    """cols[(b, oh, ow), (i, j, c)] = the (dilated, padded) input each tap meets."""
    n, h, w, _ = x.shape
    cg = cols.shape[1] // (kh * kw)
    span_h, span_w = (h - 1) * lhs_dil[0] + 1, (w - 1) * lhs_dil[1] + 1
    first = group * cg
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                row = (b * out_h + oh) * out_w + ow
                for i in range(kh):
                    hp = oh * strides[0] + i * rhs_dil[0] - pad_lo[0]
                    valid_h = 0 <= hp < span_h and hp % lhs_dil[0] == 0
                    for j in range(kw):
                        wp = ow * strides[1] + j * rhs_dil[1] - pad_lo[1]
                        base = (i * kw + j) * cg
                        if valid_h and 0 <= wp < span_w and wp % lhs_dil[1] == 0:
                            ih, iw = hp // lhs_dil[0], wp // lhs_dil[1]
                            for c in range(cg):
                                cols[row, base + c] = x[b, ih, iw, first + c]
                        else:
                            for c in range(cg):
                                cols[row, base + c] = 0


@njit(cache=True, nogil=True)
def _tap(o, k, stride, dilation, lo, lhs_dil, span):
    """The input index a tap reads along one axis, -1 in the padding or between the
    elements of a dilated input."""
    p = o * stride + k * dilation - lo
    if p < 0 or p >= span:
        return -1
    if lhs_dil == 1:
        return p
    return p // lhs_dil if p % lhs_dil == 0 else -1


BLOCK = 64
"""Output positions computed together by the blocked loop nest (its columns fit in cache)."""


@njit(cache=True, nogil=True)
def _gather_block(x, cols, start, size, group, kernel_shape, out_h, out_w, strides, pad_lo,
                  lhs_dil, rhs_dil):
    """cols[tap, r] = the (dilated, padded) input that tap meets at output position
    start + r: im2col of one block, transposed so output positions are contiguous."""
    _, h, w, _ = x.shape
    kh, kw, cg, _ = kernel_shape
    span_h, span_w = (h - 1) * lhs_dil[0] + 1, (w - 1) * lhs_dil[1] + 1
    for r in range(size):
        row = start + r
        ow, oh, b = row % out_w, (row // out_w) % out_h, row // (out_w * out_h)
        for i in range(kh):
            ih = _tap(oh, i, strides[0], rhs_dil[0], pad_lo[0], lhs_dil[0], span_h)
            for j in range(kw):
                iw = _tap(ow, j, strides[1], rhs_dil[1], pad_lo[1], lhs_dil[1], span_w)
                base = (i * kw + j) * cg
                for c in range(cg):
                    cols[base + c, r] = x[b, ih, iw, group * cg + c] if (
                        ih >= 0 and iw >= 0) else 0


@njit(cache=True, nogil=True)
def _blocked(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups, out):
    """The convolution in blocks of BLOCK output positions: each block's columns gathered,
    then every output channel accumulated as a run of axpys over the block (contiguous, so
    they vectorize). Beats BLAS on the small matrices of small networks, and needs no BLAS
    threads."""
    kh, kw, cg, f = kernel.shape
    out_h, out_w = out.shape[1], out.shape[2]
    fg, taps, rows = f // groups, kh * kw * cg, out.shape[0] * out_h * out_w
    cols = np.empty((taps, min(BLOCK, rows)), x.dtype)
    acc = np.empty((fg, min(BLOCK, rows)), x.dtype)
    weights = np.empty((groups, fg, taps), x.dtype)
    for g in range(groups):
        for t in range(taps):
            for k in range(fg):
                weights[g, k, t] = kernel[t // (kw * cg), (t // cg) % kw, t % cg, g * fg + k]
    flat = out.reshape(rows, f)
    for start in range(0, rows, BLOCK):
        size = min(BLOCK, rows - start)
        for g in range(groups):
            _gather_block(x, cols, start, size, g, kernel.shape, out_h, out_w, strides,
                          pad_lo, lhs_dil, rhs_dil)
            for k in range(fg):
                acc[k, :size] = 0
                for t in range(taps):
                    wv = weights[g, k, t]
                    for r in range(size):
                        acc[k, r] += wv * cols[t, r]
            for r in range(size):
                for k in range(fg):
                    flat[start + r, g * fg + k] = acc[k, r]


BLAS_MAX_PRODUCTS = 1 << 20
"""im2col + BLAS only for products with fewer outputs than a block and at most this many
multiply-adds (weight gradients of small images: few, long dot products): small enough
that OpenBLAS runs them on one thread. Larger ones are the blocked loop nest, as BLAS's
threads lose time on a busy machine (measured on LeNet-sized layers)."""


@njit(cache=True, nogil=True)
def conv2d_nhwc(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups, out_h, out_w):
    """conv_general_dilated of an (N, H, W, C) input and an (KH, KW, C/G, F) kernel."""
    n = x.shape[0]
    kh, kw, cg, f = kernel.shape
    fg = f // groups
    out = np.zeros((n, out_h, out_w, f), x.dtype)
    rows = n * out_h * out_w
    if rows == 0 or fg == 0 or cg == 0:
        return out
    if rows >= BLOCK or rows * kh * kw * cg * fg > BLAS_MAX_PRODUCTS:
        _blocked(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups, out)
        return out
    cols = np.empty((rows, kh * kw * cg), x.dtype)
    flat = out.reshape(rows, f)
    for g in range(groups):
        _fill_columns(x, cols, g, kh, kw, out_h, out_w, strides, pad_lo, lhs_dil, rhs_dil)
        taps = np.ascontiguousarray(kernel[:, :, :, g * fg:(g + 1) * fg]).reshape(
            kh * kw * cg, fg)
        product = np.dot(cols, taps)
        if groups == 1:
            return product.reshape(n, out_h, out_w, f)
        for r in range(rows):
            for k in range(fg):
                flat[r, g * fg + k] = product[r, k]
    return out


@njit(cache=True, nogil=True)
def _offset(o, w, stride, lo, size):
    """The operand position of window offset w at output position o along one axis, -1
    in the padding."""
    p = o * stride + w - lo
    return p if 0 <= p < size else -1


@njit(cache=True, nogil=True)
def _chosen(xf, shape, o0, o1, o2, o3, window, strides, lo, fill):
    """The flat index of a window's first maximum in row-major order (NaN counting as the
    maximum), -1 when that is a padded position."""
    best, best_at, first = fill, -1, True
    for w0 in range(window[0]):
        p0 = _offset(o0, w0, strides[0], lo[0], shape[0])
        for w1 in range(window[1]):
            p1 = _offset(o1, w1, strides[1], lo[1], shape[1])
            for w2 in range(window[2]):
                p2 = _offset(o2, w2, strides[2], lo[2], shape[2])
                for w3 in range(window[3]):
                    p3 = _offset(o3, w3, strides[3], lo[3], shape[3])
                    at = -1
                    if p0 >= 0 and p1 >= 0 and p2 >= 0 and p3 >= 0:
                        at = ((p0 * shape[1] + p1) * shape[2] + p2) * shape[3] + p3
                    v = xf[at] if at >= 0 else fill
                    if first or v > best or (v != v and best == best):
                        best, best_at, first = v, at, False
    return best_at


@njit(cache=True, nogil=True)
def _window_sum_or_max(xf, shape, o0, o1, o2, o3, window, strides, lo, fill, is_max):
    acc = fill
    for w0 in range(window[0]):
        p0 = _offset(o0, w0, strides[0], lo[0], shape[0])
        if p0 < 0:
            continue
        for w1 in range(window[1]):
            p1 = _offset(o1, w1, strides[1], lo[1], shape[1])
            if p1 < 0:
                continue
            for w2 in range(window[2]):
                p2 = _offset(o2, w2, strides[2], lo[2], shape[2])
                if p2 < 0:
                    continue
                row = ((p0 * shape[1] + p1) * shape[2] + p2) * shape[3]
                for w3 in range(window[3]):
                    p3 = _offset(o3, w3, strides[3], lo[3], shape[3])
                    if p3 < 0:
                        continue
                    v = xf[row + p3]
                    if not is_max:
                        acc += v
                    elif v > acc or v != v:
                        acc = v
    return acc


@njit(cache=True, nogil=True)
def _spatial_only(shape, window, strides, lo, out_shape):
    """Whether the window pools axes 1 and 2 only (as 2-d pooling of NHWC data does), so
    channels can run contiguously in the innermost loop."""
    return (window[0] == 1 and window[3] == 1 and strides[0] == 1 and strides[3] == 1
            and lo[0] == 0 and lo[3] == 0 and out_shape[0] == shape[0]
            and out_shape[3] == shape[3])


@njit(cache=True, nogil=True)
def _pool_reduce(xf, shape, window, strides, lo, out_shape, fill, is_max, out):
    n, h, w, c = shape
    for b in range(n):
        for oh in range(out_shape[1]):
            for ow in range(out_shape[2]):
                o = ((b * out_shape[1] + oh) * out_shape[2] + ow) * c
                for k in range(c):
                    out[o + k] = fill
                for i in range(window[1]):
                    ih = _offset(oh, i, strides[1], lo[1], h)
                    if ih < 0:
                        continue
                    for j in range(window[2]):
                        iw = _offset(ow, j, strides[2], lo[2], w)
                        if iw < 0:
                            continue
                        at = ((b * h + ih) * w + iw) * c
                        for k in range(c):
                            v = xf[at + k]
                            if not is_max:
                                out[o + k] += v
                            elif v > out[o + k] or v != v:
                                out[o + k] = v


@njit(cache=True, nogil=True)
def _pool_choose(xf, shape, b, oh, ow, window, strides, lo, fill, best, best_at):
    """best_at[k]: the flat index of channel k's first maximum in the window at (oh, ow)
    (NaN counting as the maximum), -1 for a padded position."""
    n, h, w, c = shape
    first = True
    for i in range(window[1]):
        ih = _offset(oh, i, strides[1], lo[1], h)
        for j in range(window[2]):
            iw = _offset(ow, j, strides[2], lo[2], w)
            inside = ih >= 0 and iw >= 0
            at = ((b * h + ih) * w + iw) * c if inside else -1
            for k in range(c):
                v = xf[at + k] if inside else fill
                if first or v > best[k] or (v != v and best[k] == best[k]):
                    best[k] = v
                    best_at[k] = at + k if inside else -1
            first = False


@njit(cache=True, nogil=True)
def _pool_select(vf, xf, shape, window, strides, lo, out_shape, fill, out, scatter):
    """Gather (out[o] = v[arg-max]) or scatter (out[arg-max] += v[o]) for pooling windows."""
    c = shape[3]
    best = np.empty(c, xf.dtype)
    best_at = np.empty(c, np.int64)
    for b in range(shape[0]):
        for oh in range(out_shape[1]):
            for ow in range(out_shape[2]):
                _pool_choose(xf, shape, b, oh, ow, window, strides, lo, fill, best, best_at)
                o = ((b * out_shape[1] + oh) * out_shape[2] + ow) * c
                for k in range(c):
                    if best_at[k] >= 0:
                        if scatter:
                            out[best_at[k]] += vf[o + k]
                        else:
                            out[o + k] = vf[best_at[k]]


@njit(cache=True, nogil=True)
def window_reduce(xf, shape, window, strides, lo, out_shape, fill, is_max):
    """reduce_window_max (is_max) or reduce_window_sum of a raveled 4-d operand; the
    output raveled."""
    out = np.empty(out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3], xf.dtype)
    if _spatial_only(shape, window, strides, lo, out_shape):
        _pool_reduce(xf, shape, window, strides, lo, out_shape, fill, is_max, out)
        return out
    i = 0
    for o0 in range(out_shape[0]):
        for o1 in range(out_shape[1]):
            for o2 in range(out_shape[2]):
                for o3 in range(out_shape[3]):
                    out[i] = _window_sum_or_max(xf, shape, o0, o1, o2, o3, window, strides,
                                                lo, fill, is_max)
                    i += 1
    return out


@njit(cache=True, nogil=True)
def window_gather(tf, xf, shape, window, strides, lo, out_shape, fill):
    """select_and_gather_add: t at each window's arg-max of x (0 at a padded one)."""
    out = np.zeros(out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3], tf.dtype)
    if _spatial_only(shape, window, strides, lo, out_shape):
        _pool_select(tf, xf, shape, window, strides, lo, out_shape, fill, out, False)
        return out
    i = 0
    for o0 in range(out_shape[0]):
        for o1 in range(out_shape[1]):
            for o2 in range(out_shape[2]):
                for o3 in range(out_shape[3]):
                    at = _chosen(xf, shape, o0, o1, o2, o3, window, strides, lo, fill)
                    if at >= 0:
                        out[i] = tf[at]
                    i += 1
    return out


@njit(cache=True, nogil=True)
def window_scatter(sf, xf, shape, window, strides, lo, s_shape, fill):
    """select_and_scatter_add: each window's s added at its arg-max of x."""
    out = np.zeros(xf.size, sf.dtype)
    if _spatial_only(shape, window, strides, lo, s_shape):
        _pool_select(sf, xf, shape, window, strides, lo, s_shape, fill, out, True)
        return out
    i = 0
    for o0 in range(s_shape[0]):
        for o1 in range(s_shape[1]):
            for o2 in range(s_shape[2]):
                for o3 in range(s_shape[3]):
                    at = _chosen(xf, shape, o0, o1, o2, o3, window, strides, lo, fill)
                    if at >= 0:
                        out[at] += sf[i]
                    i += 1
    return out
