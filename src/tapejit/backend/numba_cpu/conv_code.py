"""The Numba backend's code for convolution and pooling: calls of vmath's compiled-once
loops (vmath/convolution.py, vmath/windows.py). A convolution with one or two spatial axes
runs on 4-d NHWC arrays of any layout (im2col + BLAS in chunks; in a kernel generated with
threaded_convolutions a large one's chunks run in the kernel's own prange, also in a kernel
with a dot: each chunk's BLAS call stays small enough to run on its thread); windows run on
4-d views (fewer axes get leading size-1 axes), a large one's batch items in a prange in
such a kernel.
Other ranks and dtypes raise LoweringError, so they run in the NumPy interpreter."""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.primitives.reduce import lowest

CONV_PARALLEL_MIN = 1 << 23
"""In a threaded_convolutions kernel, convolutions with at least this many multiply-adds (16
of vmath's chunks, about 0.5 ms on one core here) run their chunks in parallel; smaller ones
run the same chunks in a serial loop. Each prange costs the kernel's compile 2 to 5 s
(Numba compiles its body as a function of its own, with all the vmath code it calls,
measured here), which is why a signature runs its serial kernel until the worker has
compiled the threaded one."""
WINDOW_PARALLEL_MIN = 1 << 18
"""Poolings over at least this many values run their batch items in parallel (see above)."""


def _contiguous(ctx, x, shape, lines) -> str:
    name = ctx.temp("view")
    lines.append(f"{name} = np.ascontiguousarray({x}).reshape({ctx.shape(shape)})")
    return name


def _conv(ctx, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
          feature_group_count):
    """A convolution of 4-d views (vmath's plan and chunks); a 1-d convolution is a 2-d one
    of height 1."""
    lt, rt = ctx.in_types
    out = ctx.out_type
    if lt.dtype not in (np.float32, np.float64) or lt.ndim not in (3, 4):
        raise LoweringError(f"conv_general_dilated on {lt} has no Numba kernel")
    lines: list[str] = []
    if lt.ndim == 3:
        lhs = _contiguous(ctx, lhs, (lt.shape[0], 1) + lt.shape[1:], lines)
        rhs = _contiguous(ctx, rhs, (1,) + rt.shape, lines)
        out_hw = (1, out.shape[1])
        window_strides, lhs_dilation, rhs_dilation = ((1,) + tuple(p) for p in (
            window_strides, lhs_dilation, rhs_dilation))
        padding = ((0, 0),) + tuple(padding)
    else:
        # 4-d operands pass as they are: a weight gradient's transposed views are read in
        # place, not copied; any_layout types every operand alike, so the convolution is
        # compiled once per dtype, whatever its operands' layouts
        out_hw = out.shape[1:3]
    # strides, paddings and dilations come from the size table like shapes (the text, the
    # cache key, is then one for every configuration), and Numba sees int64s, not literals
    # that would compile the called convolution again for every value
    args = (f"any_layout({lhs}), any_layout({rhs}), {ctx.shape(window_strides)}, "
            f"{ctx.shape(tuple(lo for lo, _ in padding))}, {ctx.shape(lhs_dilation)}, "
            f"{ctx.shape(rhs_dilation)}, {ctx.size(feature_group_count)}, "
            f"{ctx.size(out_hw[0])}, {ctx.size(out_hw[1])}")
    ctx.kernel.math.add("any_layout")
    return lines + _chunks(ctx, args, _threaded(ctx, _products(ctx.eqn), CONV_PARALLEL_MIN))


def _products(eqn) -> int:
    """A convolution's multiply-adds: each output's window of (spatial taps x channels)."""
    return prod(eqn.out.type.shape) * prod(eqn.inputs[1].type.shape[:-1])


def _threaded(ctx, work: int, minimum: int) -> bool:
    """Whether the equation's parts run in a prange: in a kernel generated with
    threaded_convolutions that may run threads, outside loop and branch bodies, when its
    work (multiply-adds, values) reaches minimum. Never for a sibling text alone
    (codegen.sibling): compiled on a guess that other sizes may come, each prange would cost
    seconds. A serial text notes that it declined one (its threaded variant differs)."""
    kernel = ctx.kernel
    large = kernel.threads_ok and not kernel.prefix and work >= minimum
    if large and not kernel.threaded_convolutions:
        kernel.serial_convolutions = True
    return large and kernel.threaded_convolutions


def _loop(kernel, parallel: bool) -> str:
    """The loop over a convolution's chunks or a pooling's parts: the kernel's prange when
    `parallel`, a plain range otherwise."""
    if parallel:
        kernel.parallel = True
        return "prange"
    return "range"


def _chunks(ctx, args: str, parallel: bool) -> list[str]:
    """A convolution's plan (conv_setup), then its chunks wave by wave, in the kernel's
    prange when `parallel` (threads write disjoint rows or their own partial sums: the serial
    result, bit for bit). The loops are the kernel's own, not a vmath function's: one more
    layer of calls would be one more function for Numba to compile, with all it links."""
    xp, taps, out, acc, geo, wave, first, count, k = (ctx.temp(stem) for stem in (
        "cxp", "ctaps", "cout", "cacc", "cgeo", "cwave", "cfirst", "ccount", "ck"))
    ctx.kernel.math.update(("conv_setup", "conv_waves", "conv_wave", "conv_chunk",
                            "conv_fold", "conv_finish"))
    return [f"{xp}, {taps}, {out}, {acc}, {geo} = conv_setup({args})",
            f"for {wave} in range(conv_waves({geo})):",
            f"    {first}, {count} = conv_wave({geo}, {wave})",
            f"    for {k} in {_loop(ctx.kernel, parallel)}({count}):",
            f"        conv_chunk({xp}, {taps}, {out}, {acc}, {geo}, {first} + {k})",
            f"    conv_fold({acc}, {geo}, {wave})",
            f"{ctx.out} = conv_finish({out}, {acc}, {geo}).reshape("
            f"{ctx.shape(ctx.out_type.shape)})"]


class _Window:
    """A window's operand shape, sizes, strides and low padding widened to 4 axes."""

    def __init__(self, ctx, x_type, window_dimensions, window_strides, padding) -> None:
        if x_type.ndim > 4 or x_type.ndim == 0:
            raise LoweringError(f"a window over {x_type} has no Numba kernel")
        lead = 4 - x_type.ndim
        self.ctx = ctx
        self.shape = ctx.shape((1,) * lead + x_type.shape)
        self.window = ctx.shape((1,) * lead + tuple(window_dimensions))
        self.strides = ctx.shape((1,) * lead + tuple(window_strides))
        self.lo = ctx.shape((0,) * lead + tuple(lo for lo, _ in padding))
        self.lead = lead

    def shape4(self, shape) -> str:
        return self.ctx.shape((1,) * self.lead + tuple(shape))

    def flat(self, x, ttype, lines) -> str:
        return _contiguous(self.ctx, x, (int(np.prod(ttype.shape, dtype=np.int64)),), lines)

    def fill(self, dtype) -> str:
        return self.ctx.kernel.const(lowest(np.dtype(dtype)), dtype)

    def threaded(self, x_type) -> bool:
        return _threaded(self.ctx, prod(x_type.shape), WINDOW_PARALLEL_MIN)

    def in_parts(self, alloc: str, out4: str, part: Callable[[str, str], str], shape,
                 parallel: bool) -> list[str]:
        """The output allocated, then `part(output, k)` for every part (window_parts), in
        the kernel's prange when `parallel`: each part writes its own values, so threads
        change no bit."""
        ctx = self.ctx
        out, parts, k = ctx.temp("wout"), ctx.temp("wparts"), ctx.temp("wk")
        ctx.kernel.math.add("window_parts")
        return [f"{out} = {alloc}",
                f"{parts} = window_parts({self.shape}, {self.window}, {self.strides}, "
                f"{self.lo}, {out4})",
                f"for {k} in {_loop(ctx.kernel, parallel)}({parts}):",
                f"    {part(out, k)}",
                f"{ctx.out} = {out}.reshape({ctx.shape(shape)})"]

    def allocation(self, shape, dtype, zeros: bool) -> str:
        size = self.ctx.size(prod(shape))
        return f"np.{'zeros' if zeros else 'empty'}(({size},), {self.ctx.np_type(dtype)})"


def _reduce_window(is_max: bool):
    def code(ctx, x, *, window_dimensions, window_strides, padding):
        (xt,), out = ctx.in_types, ctx.out_type
        w = _Window(ctx, xt, window_dimensions, window_strides, padding)
        lines: list[str] = []
        xf = w.flat(x, xt, lines)
        fill = w.fill(xt.dtype) if is_max else ctx.kernel.const(0, xt.dtype)
        head = f"{xf}, {w.shape}, {w.window}, {w.strides}, {w.lo}, {w.shape4(out.shape)}"
        tail = f"{fill}, np.bool_({is_max})"
        ctx.kernel.math.add("window_reduce_part")
        return lines + w.in_parts(
            w.allocation(out.shape, xt.dtype, False), w.shape4(out.shape),
            lambda o, k: f"window_reduce_part({head}, {tail}, {o}, {k})", out.shape,
            w.threaded(xt))
    return code


def _select(scatter: bool):
    """select_and_gather_add (t at each window's arg-max of x) or, scatter,
    select_and_scatter_add (each window's s added at its arg-max of x)."""
    def code(ctx, v, x, *, window_dimensions, window_strides, padding):
        vt, xt = ctx.in_types
        w = _Window(ctx, xt, window_dimensions, window_strides, padding)
        lines: list[str] = []
        vf, xf = w.flat(v, vt, lines), w.flat(x, xt, lines)
        out_shape = xt.shape if scatter else ctx.out_type.shape
        windows = w.shape4(vt.shape if scatter else out_shape)
        args = (f"{vf}, {xf}, {w.shape}, {w.window}, {w.strides}, {w.lo}, {windows}, "
                f"{w.fill(xt.dtype)}")
        ctx.kernel.math.add("window_select_part")
        # a scatter's parts write every operand position (window_select_part)
        return lines + w.in_parts(
            w.allocation(out_shape, vt.dtype, not scatter), windows,
            lambda o, k: f"window_select_part({args}, {o}, np.bool_({scatter}), {k})",
            out_shape, w.threaded(xt))
    return code


CONV_CODE = {
    "conv_general_dilated": _conv,
    "reduce_window_sum": _reduce_window(False), "reduce_window_max": _reduce_window(True),
    "select_and_gather_add": _select(False), "select_and_scatter_add": _select(True),
}
