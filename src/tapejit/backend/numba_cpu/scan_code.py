"""The Numba backend's code for scans along an axis (cumsum, cumprod, linear_recurrence):
the axis is moved last and the array seen as (rows, n), each row scanned in a loop."""

from __future__ import annotations

from math import prod


def _last_axis_order(ndim: int, axis: int) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i != axis) + (axis,)


def as_rows(ctx, x: str, ttype, axis: int, lines: list[str]) -> str:
    """A contiguous (rows, n) array holding x's lanes along `axis`, one per row."""
    order = _last_axis_order(ttype.ndim, axis)
    moved = x if order == tuple(range(ttype.ndim)) else f"np.transpose({x}, {order})"
    rows = prod(ttype.shape[i] for i in order[:-1])
    name = ctx.temp("rows")
    lines.append(f"{name} = np.ascontiguousarray({moved}).reshape("
                 f"{ctx.shape((rows, ttype.shape[axis]))})")
    return name


def from_rows(ctx, rows: str, ttype, axis: int, lines: list[str]) -> None:
    """Assign ctx.out from (rows, n) results laid out as as_rows gave them."""
    order = _last_axis_order(ttype.ndim, axis)
    shaped = f"{rows}.reshape({ctx.shape(tuple(ttype.shape[i] for i in order))})"
    if order == tuple(range(ttype.ndim)):
        lines.append(f"{ctx.out} = {shaped}")
        return
    inverse = tuple(order.index(i) for i in range(ttype.ndim))
    lines.append(f"{ctx.out} = np.ascontiguousarray(np.transpose({shaped}, {inverse}))")


def _scan(ctx, operands: list[str], axis: int, reverse: bool, first: str, step: str):
    """Loop over each row: acc starts as `first` at the first position and becomes `step`
    after it (expressions of `acc` and the loaded operands `u0`, `u1`, ...)."""
    (ttype, *_), out = ctx.in_types, ctx.out_type
    lines: list[str] = []
    rows = [as_rows(ctx, x, ttype, axis, lines) for x in operands]
    result, n = ctx.temp("scan"), ctx.size(ttype.shape[axis])
    lines += [f"{result} = np.empty_like({rows[-1]}, {ctx.np_type(out.dtype)})",
              f"for r in range({result}.shape[0]):",
              f"    acc = {ctx.np_type(out.dtype)}(0)",
              f"    for k in range({n}):",
              f"        j = {n} - 1 - k" if reverse else "        j = k",
              *[f"        u{i} = {name}[r, j]" for i, name in enumerate(rows)],
              f"        acc = {first} if k == 0 else {step}",
              f"        {result}[r, j] = acc"]
    from_rows(ctx, result, ttype, axis, lines)
    return lines


def _cumsum(ctx, x, *, axis, reverse):
    return _scan(ctx, [x], axis, reverse, "u0", "acc + u0")


def _cumprod(ctx, x, *, axis, reverse):
    return _scan(ctx, [x], axis, reverse, "u0", "acc * u0")


def _linear_recurrence(ctx, a, b, *, axis, reverse):
    return _scan(ctx, [a, b], axis, reverse, "u1", "u0 * acc + u1")


SCAN_CODE = {"cumsum": _cumsum, "cumprod": _cumprod, "linear_recurrence": _linear_recurrence}
