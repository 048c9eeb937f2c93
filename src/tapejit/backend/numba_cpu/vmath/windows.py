"""Pooling for generated code, compiled once (and cached on disk) rather than inside every
kernel: the windowed max/sum and arg-max gather/scatter over 4-d arrays (fewer axes are
padded with size-1 axes by the caller). Semantics as primitives/window.py."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.keyed_cache import cached_njit


@cached_njit(nogil=True)
def _offset(o, w, stride, lo, size):
    """The operand position of window offset w at output position o along one axis, -1
    in the padding."""
    p = o * stride + w - lo
    return p if 0 <= p < size else -1


@cached_njit(nogil=True)
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


@cached_njit(nogil=True)
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


@cached_njit(nogil=True)
def _spatial_only(shape, window, strides, lo, out_shape):
    """Whether the window pools axes 1 and 2 only (as 2-d pooling of NHWC data does), so
    channels can run contiguously in the innermost loop."""
    return (window[0] == 1 and window[3] == 1 and strides[0] == 1 and strides[3] == 1
            and lo[0] == 0 and lo[3] == 0 and out_shape[0] == shape[0]
            and out_shape[3] == shape[3])


@cached_njit(nogil=True)
def _inside(shape, window, strides, lo, out_shape):
    """Whether every window pools axes 1 and 2 only and lies inside the operand (VALID
    pooling): the loops below then need no bounds tests."""
    return (_spatial_only(shape, window, strides, lo, out_shape) and lo[1] == 0
            and lo[2] == 0 and (out_shape[1] - 1) * strides[1] + window[1] <= shape[1]
            and (out_shape[2] - 1) * strides[2] + window[2] <= shape[2])


@cached_njit(nogil=True)
def _pairs(shape, window, strides, lo, out_shape):
    """Whether the windows are 2x2 with stride 2 over axes 1 and 2, inside the operand (the
    common max-pooling): the loops below then take each window's four values one by one,
    as loops of two trips each run several times slower here."""
    return (_inside(shape, window, strides, lo, out_shape) and window[1] == 2
            and window[2] == 2 and strides[1] == 2 and strides[2] == 2)


@cached_njit(nogil=True, inline="always")
def _max_step(v, acc):
    return v if v > acc or v != v else acc


@cached_njit(nogil=True)
def _pool_reduce_pairs(xf, shape, out_shape, fill, is_max, out, b0, b1):
    """_pool_reduce_inside for 2x2 windows of stride 2: the same values in the same order.
    A window's few channels make too short a loop to vectorize, so each pair of operand
    rows runs as one loop along the row, every position taken as a window's top-left
    corner; the odd columns' results are then dropped (_row_pairs)."""
    c, row, span = _row_pairs(shape, out_shape)
    whole = np.empty(span, out.dtype)
    for b in range(b0, b1):
        for oh in range(out_shape[1]):
            base = np.uint64(b * shape[1] + 2 * oh) * row
            for q in range(span - c):
                x0, x1, x2, x3 = _four(xf, base + q, c, row)
                if is_max:
                    whole[q] = _max_step(x3, _max_step(x2, _max_step(x1, _max_step(x0, fill))))
                else:
                    whole[q] = (((fill + x0) + x1) + x2) + x3
            o = np.uint64((b * out_shape[1] + oh) * out_shape[2]) * c
            for ow in range(np.uint64(out_shape[2])):
                for k in range(c):
                    out[o + ow * c + k] = whole[2 * ow * c + k]


@cached_njit(nogil=True)
def _row_pairs(shape, out_shape):
    """(channels, an operand row's length, the length its windows cover), unsigned so that
    loops over them vectorize."""
    c = np.uint64(shape[3])
    return c, np.uint64(shape[2]) * c, np.uint64(2 * out_shape[2]) * c


@cached_njit(nogil=True, inline="always")
def _improves(v, top):
    """Whether v replaces top as a window's first maximum (a NaN counts as the maximum)."""
    return (v > top) | ((v != v) & (top == top))


@cached_njit(nogil=True, inline="always")
def _four(xf, p, c, row):
    """The 2x2 window whose top-left value is xf[p] (c: its column step, row: its row's)."""
    return xf[p], xf[p + c], xf[p + row], xf[p + row + c]


@cached_njit(nogil=True, inline="always")
def _later_maxima(x0, x1, x2, x3):
    """Whether x1, x2, x3 in turn replace the window's first maximum so far."""
    t1 = _improves(x1, x0)
    top = x1 if t1 else x0
    t2 = _improves(x2, top)
    top = x2 if t2 else top
    return t1, t2, _improves(x3, top)


@cached_njit(nogil=True)
def _pool_gather_pairs(vf, xf, shape, out_shape, out, b0, b1):
    """_pool_select_inside's gather for 2x2 windows of stride 2: each window's four values
    compared one by one, v taken from the first maximum's position."""
    c, row = shape[3], shape[2] * shape[3]
    for b in range(b0, b1):
        for oh in range(out_shape[1]):
            o = (b * out_shape[1] + oh) * out_shape[2] * c
            base = (b * shape[1] + 2 * oh) * row
            for ow in range(out_shape[2]):
                p0 = base + 2 * ow * c
                p1, p2, p3 = p0 + c, p0 + row, p0 + row + c
                for k in range(c):
                    x0, x1, x2, x3 = _four(xf, p0 + k, c, row)
                    t1, t2, t3 = _later_maxima(x0, x1, x2, x3)
                    v = vf[p1 + k] if t1 else vf[p0 + k]
                    v = vf[p2 + k] if t2 else v
                    out[o + k] = vf[p3 + k] if t3 else v
                o += c


@cached_njit(nogil=True)
def _pool_scatter_pairs(vf, xf, shape, out_shape, out, b0, b1):
    """_pool_select_inside's scatter for 2x2 windows of stride 2, each pair of operand rows
    in loops along the row (see _pool_reduce_pairs): first every position's choice among
    the four of the window it starts, then each position's value from its own window's
    choice (an even column is its window's first or third value, an odd one its second or
    fourth): 0 + v at the first maximum, 0 elsewhere, as adding v into zeros gives. No
    store goes to a computed address (that ran four times slower here). Every position of
    the batch items b0 ... b1 - 1 is written, so `out` need not start as zeros."""
    c, row, span = _row_pairs(shape, out_shape)
    chosen = np.zeros(span + c, np.uint8)  # chosen[q + c]: the choice of the window at q
    odd = np.empty(span, np.uint8)  # 1 in odd columns (no division: it costs ~30 cycles)
    for column in range(np.uint64(2 * out_shape[2])):
        for k in range(c):
            odd[column * c + k] = column % 2
    spread = np.empty(span, out.dtype)  # each position's window's v
    zero = out.dtype.type(0)
    for b in range(b0, b1):
        for oh in range(out_shape[1]):
            base = np.uint64(b * shape[1] + 2 * oh) * row
            for q in range(span - c):
                x0, x1, x2, x3 = _four(xf, base + q, c, row)
                t1, t2, t3 = _later_maxima(x0, x1, x2, x3)
                chosen[q + c] = 3 if t3 else (2 if t2 else (1 if t1 else 0))
            o = np.uint64((b * out_shape[1] + oh) * out_shape[2]) * c
            for ow in range(np.uint64(out_shape[2])):
                for k in range(c):
                    v = zero + vf[o + ow * c + k]
                    spread[2 * ow * c + k] = v
                    spread[2 * ow * c + c + k] = v
            for q in range(span):
                side = odd[q]
                here, ahead = chosen[q], chosen[q + c]
                pick = here if side != 0 else ahead  # "!= 0": a select, not a branch
                v = spread[q]
                out[base + q] = v if pick == side else zero
                out[base + row + q] = v if pick == side + np.uint8(2) else zero
            for q in range(span, row):  # an odd width's last column
                out[base + q] = zero
                out[base + row + q] = zero
        for h in range(2 * out_shape[1], shape[1]):  # an odd height's last row
            start = np.uint64(b * shape[1] + h) * row
            for q in range(row):
                out[start + q] = zero


@cached_njit(nogil=True)
def _window_start(shape, window, strides, b, oh, ow, i):
    """The flat index of row i's first element in the window at (b, oh, ow), unsigned (so
    the loops over channels vectorize: no negative-index wraparound to test)."""
    return np.uint64(((b * shape[1] + oh * strides[1] + i) * shape[2] + ow * strides[2])
                     * shape[3])


@cached_njit(nogil=True)
def _pool_reduce_inside(xf, shape, window, strides, out_shape, fill, is_max, out, b0, b1):
    """_pool_reduce for windows inside the operand, branch-free over channels."""
    c = np.uint64(shape[3])
    o = np.uint64(b0 * out_shape[1] * out_shape[2]) * c
    for b in range(b0, b1):
        for oh in range(out_shape[1]):
            for ow in range(out_shape[2]):
                for k in range(c):
                    out[o + k] = fill
                for i in range(window[1]):
                    row = _window_start(shape, window, strides, b, oh, ow, i)
                    for j in range(window[2]):
                        at = row + np.uint64(j) * c
                        for k in range(c):
                            v, acc = xf[at + k], out[o + k]
                            if is_max:
                                out[o + k] = v if v > acc or v != v else acc
                            else:
                                out[o + k] = acc + v
                o += c


@cached_njit(nogil=True)
def _pool_select_inside(vf, xf, shape, window, strides, out_shape, out, scatter, b0, b1):
    """_pool_select for windows inside the operand, branch-free over channels."""
    c = np.uint64(shape[3])
    best = np.empty(shape[3], xf.dtype)
    best_at = np.empty(shape[3], np.uint64)
    o = np.uint64(b0 * out_shape[1] * out_shape[2]) * c
    for b in range(b0, b1):
        for oh in range(out_shape[1]):
            for ow in range(out_shape[2]):
                first = True
                for i in range(window[1]):
                    row = _window_start(shape, window, strides, b, oh, ow, i)
                    for j in range(window[2]):
                        at = row + np.uint64(j) * c
                        for k in range(c):
                            v, top = xf[at + k], best[k]
                            take = first or v > top or (v != v and top == top)
                            best[k] = v if take else top
                            best_at[k] = at + k if take else best_at[k]
                        first = False
                for k in range(c):
                    if scatter:
                        out[best_at[k]] += vf[o + k]
                    else:
                        out[o + k] = vf[best_at[k]]
                o += c


@cached_njit(nogil=True)
def _pool_reduce(xf, shape, window, strides, lo, out_shape, fill, is_max, out, b0, b1):
    n, h, w, c = shape
    for b in range(b0, b1):
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


@cached_njit(nogil=True)
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


@cached_njit(nogil=True)
def _pool_select(vf, xf, shape, window, strides, lo, out_shape, fill, out, scatter, b0, b1):
    """Gather (out[o] = v[arg-max]) or scatter (out[arg-max] += v[o]) for pooling windows."""
    c = shape[3]
    best = np.empty(c, xf.dtype)
    best_at = np.empty(c, np.int64)
    for b in range(b0, b1):
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


@cached_njit(nogil=True)
def _unravel(i, shape):
    """The 4-d position of row-major flat index i in `shape`."""
    i, o3 = divmod(i, shape[3])
    i, o2 = divmod(i, shape[2])
    o0, o1 = divmod(i, shape[1])
    return o0, o1, o2, o3


@cached_njit(nogil=True)
def window_parts(shape, window, strides, lo, out_shape):
    """Parts a pooling splits into, each writing its own outputs (and, for a scatter, its
    own operand positions): one per batch item when windows pool axes 1 and 2 only, else
    one. A kernel runs the parts one after another, a parallel kernel in a prange of its
    own: the same values either way."""
    return shape[0] if _spatial_only(shape, window, strides, lo, out_shape) else 1


@cached_njit(nogil=True)
def window_reduce_part(xf, shape, window, strides, lo, out_shape, fill, is_max, out, k):
    """Part k of reduce_window_max (is_max) or reduce_window_sum of a raveled 4-d operand
    into `out` (np.empty of the output's size, raveled)."""
    if _pairs(shape, window, strides, lo, out_shape):
        _pool_reduce_pairs(xf, shape, out_shape, fill, is_max, out, k, k + 1)
    elif _inside(shape, window, strides, lo, out_shape):
        _pool_reduce_inside(xf, shape, window, strides, out_shape, fill, is_max, out, k, k + 1)
    elif _spatial_only(shape, window, strides, lo, out_shape):
        _pool_reduce(xf, shape, window, strides, lo, out_shape, fill, is_max, out, k, k + 1)
    else:
        for i in range(out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3]):
            o0, o1, o2, o3 = _unravel(i, out_shape)
            out[i] = _window_sum_or_max(xf, shape, o0, o1, o2, o3, window, strides, lo, fill,
                                        is_max)


@cached_njit(nogil=True)
def _zero_part(out, shape, window, strides, lo, out_shape, k):
    """Zeros over part k's operand positions (one batch item's, or all for a single part)."""
    if window_parts(shape, window, strides, lo, out_shape) == shape[0]:
        size = np.uint64(shape[1] * shape[2] * shape[3])
        start = np.uint64(k) * size
    else:
        size, start = np.uint64(out.size), np.uint64(0)
    for q in range(size):
        out[start + q] = 0


@cached_njit(nogil=True)
def window_select_part(vf, xf, shape, window, strides, lo, out_shape, fill, out, scatter, k):
    """Part k of select_and_gather_add, t at each window's arg-max of x (out: zeros of the
    output's size), or, scatter, of select_and_scatter_add, each window's s added at its
    arg-max of x (out: the operand's size, uninitialized: the part's positions are all
    written, zero where no window's maximum is; out_shape is then s's shape)."""
    if scatter and _pairs(shape, window, strides, lo, out_shape):
        _pool_scatter_pairs(vf, xf, shape, out_shape, out, k, k + 1)
        return
    if scatter:
        _zero_part(out, shape, window, strides, lo, out_shape, k)
    if _pairs(shape, window, strides, lo, out_shape):
        _pool_gather_pairs(vf, xf, shape, out_shape, out, k, k + 1)
    elif _inside(shape, window, strides, lo, out_shape):
        _pool_select_inside(vf, xf, shape, window, strides, out_shape, out, scatter, k, k + 1)
    elif _spatial_only(shape, window, strides, lo, out_shape):
        _pool_select(vf, xf, shape, window, strides, lo, out_shape, fill, out, scatter, k,
                     k + 1)
    else:
        for i in range(out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3]):
            o0, o1, o2, o3 = _unravel(i, out_shape)
            at = _chosen(xf, shape, o0, o1, o2, o3, window, strides, lo, fill)
            if at >= 0:
                if scatter:
                    out[at] += vf[i]
                else:
                    out[i] = vf[at]
