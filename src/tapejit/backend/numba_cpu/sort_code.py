"""The Numba backend's code for sorting along an axis: a stable argsort of each lane
(vmath's stable_argsort: merge sort, NaN last, as NumPy) and the reordering of values by
it, on (outer, n, inner) views of the arrays (scan_code.py)."""

from __future__ import annotations

from tapejit.backend.numba_cpu.scan_code import as_lanes, lane_loops


def _argsort(ctx, x, *, axis):
    (ttype,) = ctx.in_types
    lines: list[str] = []
    lanes = as_lanes(ctx, x, ttype, axis, lines)
    order, lane = ctx.temp("order"), ctx.temp("lane")
    ctx.kernel.math.add("stable_argsort")
    # element loops: slice assignment and .copy() of a strided lane cost seconds to compile
    lines += [f"{order} = np.empty({lanes}.shape, np.int64)",
              f"{lane} = np.empty({lanes}.shape[1], {lanes}.dtype)",
              *lane_loops(ctx, lanes),
              f"        for j in range({lanes}.shape[1]):",
              f"            {lane}[j] = {lanes}[o, j, i]",
              f"        sorted_positions = stable_argsort({lane})",
              f"        for j in range({lanes}.shape[1]):",
              f"            {order}[o, j, i] = sorted_positions[j]",
              f"{ctx.out} = {order}.reshape({ctx.shape(ctx.out_type.shape)})"]
    return lines


def _permute_along_axis(ctx, x, order, *, axis):
    ttype, _ = ctx.in_types
    lines: list[str] = []
    values, indices = (as_lanes(ctx, v, ttype, axis, lines) for v in (x, order))
    moved = ctx.temp("moved")
    lines += [f"{moved} = np.empty_like({values})",
              *lane_loops(ctx, values),
              f"        for j in range({values}.shape[1]):",
              f"            {moved}[o, j, i] = {values}[o, {indices}[o, j, i], i]",
              f"{ctx.out} = {moved}.reshape({ctx.shape(ctx.out_type.shape)})"]
    return lines


SORT_CODE = {"argsort": _argsort, "permute_along_axis": _permute_along_axis}
