"""The Numba backend's code for sorting along an axis: a stable argsort of each lane
(merge sort; NaN last, as NumPy) and the reordering of values by it."""

from __future__ import annotations

from tapejit.backend.numba_cpu.scan_code import as_rows, from_rows


def _argsort(ctx, x, *, axis):
    (ttype,) = ctx.in_types
    lines: list[str] = []
    rows = as_rows(ctx, x, ttype, axis, lines)
    order = ctx.temp("order")
    lines += [f"{order} = np.empty({rows}.shape, np.int64)",
              f"for r in range({rows}.shape[0]):",
              f"    {order}[r] = np.argsort({rows}[r], kind='mergesort')"]
    from_rows(ctx, order, ttype, axis, lines)
    return lines


def _permute_along_axis(ctx, x, order, *, axis):
    ttype, _ = ctx.in_types
    lines: list[str] = []
    values, indices = (as_rows(ctx, v, ttype, axis, lines) for v in (x, order))
    moved = ctx.temp("moved")
    lines += [f"{moved} = np.empty_like({values})",
              f"for r in range({values}.shape[0]):",
              f"    for j in range({values}.shape[1]):",
              f"        {moved}[r, j] = {values}[r, {indices}[r, j]]"]
    from_rows(ctx, moved, ttype, axis, lines)
    return lines


SORT_CODE = {"argsort": _argsort, "permute_along_axis": _permute_along_axis}
