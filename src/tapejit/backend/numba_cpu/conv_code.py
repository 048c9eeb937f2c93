"""The Numba backend's code for convolution and pooling: calls of vmath's compiled-once
loops (vmath/convolution.py, vmath/windows.py). A convolution with one or two spatial axes
runs on 4-d NHWC arrays of any layout (im2col + BLAS in chunks); windows run on 4-d views
(fewer axes get leading size-1 axes).
Other ranks and dtypes raise LoweringError, so they run in the NumPy interpreter."""

from __future__ import annotations

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.primitives.reduce import lowest


def _contiguous(ctx, x, shape, lines) -> str:
    name = ctx.temp("view")
    lines.append(f"{name} = np.ascontiguousarray({x}).reshape({ctx.shape(shape)})")
    return name


def _conv(ctx, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
          feature_group_count):
    """conv2d_nhwc of 4-d views; a 1-d convolution is a 2-d one of height 1."""
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
    call = (f"conv2d_nhwc(any_layout({lhs}), any_layout({rhs}), {ctx.shape(window_strides)}, "
            f"{ctx.shape(tuple(lo for lo, _ in padding))}, {ctx.shape(lhs_dilation)}, "
            f"{ctx.shape(rhs_dilation)}, {ctx.size(feature_group_count)}, "
            f"{ctx.size(out_hw[0])}, {ctx.size(out_hw[1])})")
    ctx.kernel.math.update(("conv2d_nhwc", "any_layout"))
    return lines + [f"{ctx.out} = {call}.reshape({ctx.shape(out.shape)})"]


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


def _reduce_window(is_max: bool):
    def code(ctx, x, *, window_dimensions, window_strides, padding):
        (xt,), out = ctx.in_types, ctx.out_type
        w = _Window(ctx, xt, window_dimensions, window_strides, padding)
        lines: list[str] = []
        xf = w.flat(x, xt, lines)
        fill = w.fill(xt.dtype) if is_max else ctx.kernel.const(0, xt.dtype)
        ctx.kernel.math.add("window_reduce")
        return lines + [f"{ctx.out} = window_reduce({xf}, {w.shape}, {w.window}, {w.strides}, "
                        f"{w.lo}, {w.shape4(out.shape)}, {fill}, np.bool_({is_max}))"
                        f".reshape({ctx.shape(out.shape)})"]
    return code


def _select_and_gather_add(ctx, t, x, *, window_dimensions, window_strides, padding):
    tt, xt = ctx.in_types
    w = _Window(ctx, xt, window_dimensions, window_strides, padding)
    lines: list[str] = []
    tf, xf = w.flat(t, tt, lines), w.flat(x, xt, lines)
    ctx.kernel.math.add("window_gather")
    out = ctx.out_type
    return lines + [f"{ctx.out} = window_gather({tf}, {xf}, {w.shape}, {w.window}, "
                    f"{w.strides}, {w.lo}, {w.shape4(out.shape)}, {w.fill(xt.dtype)})"
                    f".reshape({ctx.shape(out.shape)})"]


def _select_and_scatter_add(ctx, s, x, *, window_dimensions, window_strides, padding):
    st, xt = ctx.in_types
    w = _Window(ctx, xt, window_dimensions, window_strides, padding)
    lines: list[str] = []
    sf, xf = w.flat(s, st, lines), w.flat(x, xt, lines)
    ctx.kernel.math.add("window_scatter")
    return lines + [f"{ctx.out} = window_scatter({sf}, {xf}, {w.shape}, {w.window}, "
                    f"{w.strides}, {w.lo}, {w.shape4(st.shape)}, {w.fill(xt.dtype)})"
                    f".reshape({ctx.shape(xt.shape)})"]


CONV_CODE = {
    "conv_general_dilated": _conv,
    "reduce_window_sum": _reduce_window(False), "reduce_window_max": _reduce_window(True),
    "select_and_gather_add": _select_and_gather_add,
    "select_and_scatter_add": _select_and_scatter_add,
}
