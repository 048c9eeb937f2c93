"""Convolution compiled once (and cached on disk) rather than inside every kernel: im2col
in chunks of rows, each chunk one BLAS product. A kernel runs a plan's chunks (conv_setup)
in a loop of its own, a parallel kernel in a prange, since a parallel loop here could not
be cached inside the kernel (see this package's docstring).

The input is first dilated and padded into a copy, so gathering never tests bounds. A
convolution with many outputs (a forward pass, an input gradient) gathers each chunk of
output rows' inputs as a matrix (copying runs of a kernel row's taps; for few channels,
runs of output positions, tap by tap) and multiplies it by the kernel. One with few
outputs and a large window (a weight gradient: the window is the output gradient's spatial
extent) is computed with batch and channels swapped: the rows are then the window
positions, and the chunks' products are summed. Either way every BLAS call stays under
CHUNK_PRODUCTS multiply-adds, which OpenBLAS runs on the calling thread. Sums run over
chunks in a fixed order, so the result does not depend on threads or memory layout.
"""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.keyed_cache import cached_njit

CHUNK_PRODUCTS = 1 << 19
"""Multiply-adds per BLAS call, at most. Bigger products made OpenBLAS start its threads,
which cost 15 to 300 times the product's time here (2 cores, even idle)."""

RUN = 16
"""Shortest contiguous run of a kernel row's taps gathered as one copy; shorter rows are
gathered tap by tap along output positions (a tiny loop per tap costs more than its copy)."""


@cached_njit(nogil=True)
def _placed(size, lo, dilation, extent):
    """(first, last + 1, step) of the padded positions holding input elements along one
    axis, and the (first, last + 1) input elements they hold (none: equal bounds)."""
    first = 0 if lo >= 0 else (-lo + dilation - 1) // dilation
    last = min(size - 1, (extent - 1 - lo) // dilation) if extent - 1 - lo >= 0 else -1
    if last < first:
        return 0, 0, 1, 0, 0
    return lo + first * dilation, lo + last * dilation + 1, dilation, first, last + 1


@cached_njit(nogil=True)
def _padded(x, pad_lo, lhs_dil, height, width):
    """x (N, H, W, C) dilated by lhs_dil and padded (zeros; negative padding crops) to
    (N, height, width, C): the convolution's input as its windows see it. Copied by loops
    (slice assignment would make Numba compile its formatted shape-error messages, seconds
    per process), a run per input row when those are contiguous."""
    n, h, w, c = x.shape
    y0, _, ys, h0, h1 = _placed(h, pad_lo[0], lhs_dil[0], height)
    z0, _, zs, w0, w1 = _placed(w, pad_lo[1], lhs_dil[1], width)
    if ys == 1 and zs == 1 and h0 < h1 and w0 < w1:  # undilated: zeros on the border only
        out = np.empty((n, height, width, c), x.dtype)
        _zero_border(out, y0, y0 + h1 - h0, z0, z0 + w1 - w0)
    else:
        out = np.zeros((n, height, width, c), x.dtype)
    if zs == 1 and x.flags.c_contiguous:
        xf = np.lib.stride_tricks.as_strided(x, (x.size,), (x.itemsize,))
        of = out.ravel()
        run = np.uint64((w1 - w0) * c)
        for b in range(n):
            for i in range(h0, h1):
                y = y0 + (i - h0) * ys
                _copy(xf, np.uint64(((b * h + i) * w + w0) * c), of,
                      np.uint64(((b * height + y) * width + z0) * c), run)
        return out
    for b in range(n):
        for i in range(h0, h1):
            y = y0 + (i - h0) * ys
            for j in range(w0, w1):
                z = z0 + (j - w0) * zs
                for k in range(c):
                    out[b, y, z, k] = x[b, i, j, k]
    return out


@cached_njit(nogil=True)
def _zero_border(out, y_in, y_end, z_in, z_end):
    """Zeros in every row of an (N, H, W, C) array outside rows y_in ... y_end - 1, and in
    those rows outside columns z_in ... z_end - 1."""
    n, height, width, c = out.shape
    flat = out.ravel()
    row = np.uint64(width * c)
    left, right = np.uint64(z_in * c), np.uint64(z_end * c)
    for b in range(n):
        for y in range(height):
            start = np.uint64(b * height + y) * row
            inside = y_in <= y < y_end
            for q in range(left if inside else row):
                flat[start + q] = 0
            if inside:
                for q in range(right, row):
                    flat[start + q] = 0


@cached_njit(nogil=True)
def _permuted(x, a0, a1, a2, a3):
    """The view of a 4-d x with its axes in the order (a0, a1, a2, a3): a strided view, as
    transpose(axes) would make Numba compile its formatted error message."""
    return np.lib.stride_tricks.as_strided(
        x, (x.shape[a0], x.shape[a1], x.shape[a2], x.shape[a3]),
        (x.strides[a0], x.strides[a1], x.strides[a2], x.strides[a3]))


@cached_njit(nogil=True)
def _gather_runs(xp, cols, line, lines, first, cg, kernel_hw, strides, dilation):
    """cols[r, (i, j, c)] = xp[b, oh*s + i*d, ow*s + j*d, first + c] for the output rows
    (b, oh) line ... line + lines - 1: a kernel row's taps copied as one run when they are
    adjacent in memory."""
    _, hp, wp, channels = xp.shape
    kh, kw = kernel_hw
    out_h, out_w = _out_hw(xp, kernel_hw, strides, dilation)
    xf, cf = xp.ravel(), cols.ravel()
    run = kw * cg if dilation[1] == 1 and cg == channels else 0
    one_tap = np.uint64(cg)
    at = np.uint64(0)
    for r in range(line, line + lines):
        b, oh = r // out_h, r % out_h
        for ow in range(out_w):
            for i in range(kh):
                src = ((b * hp + oh * strides[0] + i * dilation[0]) * wp
                       + ow * strides[1]) * channels + first
                if run:
                    _copy(xf, np.uint64(src), cf, at, np.uint64(run))
                    at += np.uint64(run)
                    continue
                for j in range(kw):
                    _copy(xf, np.uint64(src + j * dilation[1] * channels), cf, at, one_tap)
                    at += one_tap


@cached_njit(nogil=True, inline="always")
def _copy(src, start, dst, at, count):
    """dst[at:at + count] = src[start:start + count]; unsigned indices, so the loop
    vectorizes (no negative-index wraparound to test)."""
    for k in range(count):
        dst[at + k] = src[start + k]


@cached_njit(nogil=True)
def _gather_taps(xp, cols_t, line, lines, first, cg, kernel_hw, strides, dilation):
    """cols_t[(i, j, c), r]: _gather_runs transposed, filled along output positions."""
    _, hp, wp, channels = xp.shape
    kh, kw = kernel_hw
    out_h, out_w = _out_hw(xp, kernel_hw, strides, dilation)
    xf = xp.ravel()
    step = np.uint64(strides[1] * channels)
    for i in range(kh):
        for j in range(kw):
            for c in range(cg):
                row = cols_t[(i * kw + j) * cg + c]
                at = np.uint64(0)
                for r in range(line, line + lines):
                    b, oh = r // out_h, r % out_h
                    src = np.uint64(((b * hp + oh * strides[0] + i * dilation[0]) * wp
                                      + j * dilation[1]) * channels + first + c)
                    if step == 1:  # one channel, stride 1: a contiguous run
                        _copy(xf, src, row, at, np.uint64(out_w))
                    else:
                        for ow in range(np.uint64(out_w)):
                            row[at + ow] = xf[src + ow * step]
                    at += np.uint64(out_w)


@cached_njit(nogil=True)
def _out_hw(xp, kernel_hw, strides, dilation):
    """Output positions of a window sliding over the padded input."""
    return ((xp.shape[1] - (kernel_hw[0] - 1) * dilation[0] - 1) // strides[0] + 1,
            (xp.shape[2] - (kernel_hw[1] - 1) * dilation[1] - 1) // strides[1] + 1)


@cached_njit(nogil=True)
def _im2col_dot(xp, line, lines, first, cg, kernel_hw, strides, dilation, other, out,
                transposed):
    """out = P @ other, or P.T @ other when transposed, P being the im2col rows (output
    positions by (i, j, c) taps) of output rows (b, oh) line ... line + lines - 1 over
    channels first ... first + cg - 1, gathered in the order that copies longer runs."""
    out_w = _out_hw(xp, kernel_hw, strides, dilation)[1]
    width = kernel_hw[0] * kernel_hw[1] * cg
    if kernel_hw[1] * cg < RUN:
        cols_t = np.empty((width, lines * out_w), xp.dtype)
        _gather_taps(xp, cols_t, line, lines, first, cg, kernel_hw, strides, dilation)
        if transposed:
            np.dot(cols_t, other, out)
        else:
            np.dot(cols_t.T, other, out)
        return
    cols = np.empty((lines * out_w, width), xp.dtype)
    _gather_runs(xp, cols, line, lines, first, cg, kernel_hw, strides, dilation)
    if transposed:
        np.dot(cols.T, other, out)
    else:
        np.dot(cols, other, out)


@cached_njit(nogil=True)
def _lines_per_chunk(out_w, width, f):
    """Output rows per BLAS call: at most CHUNK_PRODUCTS multiply-adds."""
    return max(1, CHUNK_PRODUCTS // max(out_w * width * f, 1))


MANY, FEW = 0, 1
"""A convolution's two plans: output rows in chunks, or a weight gradient's sum of chunks."""

WAVE_VALUES = 1 << 21
"""Values held at once in a weight gradient's partial sums: a wave of chunks computes its
partial sums (in parallel in a parallel kernel), then adds them to the total in chunk order."""


@cached_njit(nogil=True)
def _geometry(mode, lines_total, per_chunk, groups, cg, kernel_hw, strides, dilation, wave,
              rows_per_line):
    """The int64 plan: mode, chunks, lines per chunk, lines, channels, window, strides,
    dilation, groups, chunks per group, wave, a weight gradient's kernel rows per line."""
    chunks = (lines_total + per_chunk - 1) // per_chunk
    return np.array([mode, chunks * groups, per_chunk, lines_total, cg, kernel_hw[0],
                     kernel_hw[1], strides[0], strides[1], dilation[0], dilation[1], groups,
                     chunks, wave, rows_per_line], np.int64)


@cached_njit(nogil=True)
def _many_setup(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups, out):
    """Each group's output channels: im2col of its input channels @ its kernel."""
    kh, kw, cg, f = kernel.shape
    fg = f // groups
    n, out_h, out_w = out.shape[0], out.shape[1], out.shape[2]
    xp = _padded(x, pad_lo, lhs_dil, (out_h - 1) * strides[0] + (kh - 1) * rhs_dil[0] + 1,
                 (out_w - 1) * strides[1] + (kw - 1) * rhs_dil[1] + 1)
    taps = np.empty((groups, kh * kw * cg, fg), x.dtype)
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                for c in range(cg):
                    for q in range(fg):
                        taps[g, (i * kw + j) * cg + c, q] = kernel[i, j, c, g * fg + q]
    per_chunk = _lines_per_chunk(out_w, kh * kw * cg, fg)
    geo = _geometry(MANY, n * out_h, per_chunk, groups, cg, (kh, kw), strides, rhs_dil, 0, 0)
    return xp, taps, np.zeros((0, 0, 0), x.dtype), geo


@cached_njit(nogil=True)
def _few_setup(lhs, rhs, strides, pad_lo, lhs_dil, rhs_dil, out):
    """One group, batch and channels swapped. With X = lhs as (C, H, W, N) and D = rhs as
    rows (c, i, j) by F, out[b, oh, ow, f] = sum over rows of P[row, (oh, ow, b)] D[row, f],
    P being X's im2col with window (OH, OW) dilated by the strides at positions (i, j)
    strided by rhs_dil: a weight gradient's long, thin product, summed chunk by chunk."""
    x = _permuted(lhs, 3, 1, 2, 0)
    d = np.ascontiguousarray(_permuted(rhs, 2, 0, 1, 3))  # a weight gradient's: no copy
    c, kh, kw, f = d.shape
    n, out_h, out_w = out.shape[0], out.shape[1], out.shape[2]
    xp = _padded(x, pad_lo, lhs_dil, (kh - 1) * rhs_dil[0] + (out_h - 1) * strides[0] + 1,
                 (kw - 1) * rhs_dil[1] + (out_w - 1) * strides[1] + 1)
    width = out_h * out_w * n
    per_chunk = _lines_per_chunk(kw, width, f)
    wave = max(1, min(16, WAVE_VALUES // max(width * f, 1)))
    geo = _geometry(FEW, c * kh, per_chunk, 1, n, (out_h, out_w), rhs_dil, strides, wave, kw)
    return xp, d.reshape(1, c * kh * kw, f), np.zeros((1 + wave, width, f), x.dtype), geo


@cached_njit(nogil=True)
def conv_setup(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups, out_h, out_w):
    """The plan of conv_general_dilated of an (N, H, W, C) input and an (KH, KW, C/G, F)
    kernel, either of any memory layout (a weight gradient's operands are transposed views):
    (padded input, kernel matrices, output, partial sums, geometry). The convolution is
    conv_chunk of every chunk, wave by wave (conv_waves, conv_wave), each wave followed by
    conv_fold; then conv_finish. Chunks write disjoint rows or their own partial sums, so a
    parallel kernel runs a wave's chunks in parallel and gets the serial result, bit for bit."""
    n = x.shape[0]
    kh, kw, cg, f = kernel.shape
    if n * out_h * out_w == 0 or f == 0 or cg == 0:
        geo = _geometry(MANY, 0, 1, 1, cg, (kh, kw), strides, rhs_dil, 0, 0)
        return x[:0, :0, :0, :0].copy(), np.zeros((1, 0, 0), x.dtype), \
            np.zeros((n, out_h, out_w, f), x.dtype), np.zeros((0, 0, 0), x.dtype), geo
    if groups == 1 and n * out_h * out_w < kh * kw * cg:
        out = np.zeros((n, out_h, out_w, f), x.dtype)
        xp, taps, acc, geo = _few_setup(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, out)
    else:
        out = np.empty((n, out_h, out_w, f), x.dtype)  # every row is some chunk's
        xp, taps, acc, geo = _many_setup(x, kernel, strides, pad_lo, lhs_dil, rhs_dil, groups,
                                         out)
    return xp, taps, out, acc, geo


@cached_njit(nogil=True)
def conv_waves(geo):
    """How many waves of chunks the plan runs."""
    if geo[0] == MANY:
        return 1 if geo[1] else 0
    return (geo[1] + geo[13] - 1) // geo[13]


@cached_njit(nogil=True)
def conv_wave(geo, wave):
    """(first chunk, chunks) of a wave."""
    if geo[0] == MANY:
        return 0, geo[1]
    first = wave * geo[13]
    return first, min(geo[13], geo[1] - first)


@cached_njit(nogil=True)
def conv_chunk(xp, taps, out, acc, geo, k):
    """Chunk k: its output rows (MANY) or its partial sum (FEW). Every _im2col_dot call
    passes the same argument types (no literal 0 or True), so Numba compiles it once."""
    per, n_lines, cg, groups = geo[2], geo[3], geo[4], geo[11]
    window, strides, dilation = (geo[5], geo[6]), (geo[7], geo[8]), (geo[9], geo[10])
    few = geo[0] == FEW
    g = 0 if few else k // geo[12]
    if few:
        line = k * per
        lines = min(per, n_lines - line)
        rows = taps[0]
        _im2col_dot(xp, line, lines, g * cg, cg, window, strides, dilation,
                    rows[line * geo[14]:(line + lines) * geo[14]], acc[1 + k % geo[13]], few)
        return
    line = (k % geo[12]) * per
    lines = min(per, n_lines - line)
    n, out_h, out_w, f = out.shape
    fg = f // groups
    flat = out.reshape(n * out_h * out_w, f)
    if groups == 1:
        _im2col_dot(xp, line, lines, g * cg, cg, window, strides, dilation, taps[0],
                    flat[line * out_w:(line + lines) * out_w], few)
        return
    part = np.empty((lines * out_w, fg), xp.dtype)
    _im2col_dot(xp, line, lines, g * cg, cg, window, strides, dilation, taps[g], part, few)
    for r in range(lines * out_w):
        for q in range(fg):
            flat[line * out_w + r, g * fg + q] = part[r, q]


@cached_njit(nogil=True)
def conv_fold(acc, geo, wave):
    """A weight gradient's wave of partial sums added to the total, in chunk order."""
    if geo[0] == MANY:
        return
    first, count = conv_wave(geo, wave)
    total = acc[0]
    for k in range(first, first + count):
        part = acc[1 + k % geo[13]]
        for r in range(total.shape[0]):
            for q in range(total.shape[1]):
                total[r, q] += part[r, q]


@cached_njit(nogil=True)
def conv_finish(out, acc, geo):
    """The output: a weight gradient's total moved into place."""
    if geo[0] == FEW:
        n, out_h, out_w = out.shape[0], out.shape[1], out.shape[2]
        total = acc[0]
        for oh in range(out_h):
            for ow in range(out_w):
                for b in range(n):
                    for q in range(out.shape[3]):
                        out[b, oh, ow, q] = total[(oh * out_w + ow) * n + b, q]
    return out


@cached_njit(nogil=True)
def any_layout(x):
    """x as a view typed with Numba's 'A' layout (a slice with a run-time step), whatever
    its layout: callers pass their operands through it so that C-, F- and
    strided-layout operands share one compiled convolution."""
    return x[::np.int64(1)]
