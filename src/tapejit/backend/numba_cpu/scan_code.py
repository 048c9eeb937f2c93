"""The Numba backend's code for scans along an axis (cumsum, cumprod, linear_recurrence):
the array is seen as (outer, n, inner) around the scanned axis (a reshape, no transpose) and
each lane scanned in a loop."""

from __future__ import annotations

from math import prod


def lanes_shape(shape: tuple, axis: int) -> tuple[int, int, int]:
    """(outer, n, inner): the sizes before, along and after `axis`."""
    return prod(shape[:axis]), shape[axis], prod(shape[axis + 1:])


def as_lanes(ctx, x: str, ttype, axis: int, lines: list[str]) -> str:
    """A contiguous (outer, n, inner) array with x's data."""
    name = ctx.temp("lanes")
    lines.append(f"{name} = np.ascontiguousarray({x}).reshape("
                 f"{ctx.shape(lanes_shape(ttype.shape, axis))})")
    return name


def lane_loops(ctx, lanes: str) -> list[str]:
    """The loops over every lane of an (outer, n, inner) array: `o` and `i` index it."""
    return [f"for o in range({lanes}.shape[0]):", f"    for i in range({lanes}.shape[2]):"]


def _scan(ctx, operands: list[str], axis: int, reverse: bool, first: str, step: str):
    """acc starts as `first` at the first position of each lane and becomes `step` after it
    (expressions of `acc` and the operands' elements `u0`, `u1`, ...)."""
    (ttype, *_), out = ctx.in_types, ctx.out_type
    lines: list[str] = []
    lanes = [as_lanes(ctx, x, ttype, axis, lines) for x in operands]
    result = ctx.temp("scan")
    lines += [f"{result} = np.empty({lanes[-1]}.shape, {ctx.np_type(out.dtype)})",
              *lane_loops(ctx, lanes[-1]),
              f"        acc = {ctx.np_type(out.dtype)}(0)",
              f"        for k in range({lanes[-1]}.shape[1]):",
              f"            j = {lanes[-1]}.shape[1] - 1 - k" if reverse else "            j = k",
              *[f"            u{n} = {name}[o, j, i]" for n, name in enumerate(lanes)],
              f"            acc = {first} if k == 0 else {step}",
              f"            {result}[o, j, i] = acc",
              f"{ctx.out} = {result}.reshape({ctx.shape(out.shape)})"]
    return lines


def _cumsum(ctx, x, *, axis, reverse):
    return _scan(ctx, [x], axis, reverse, "u0", "acc + u0")


def _cumprod(ctx, x, *, axis, reverse):
    return _scan(ctx, [x], axis, reverse, "u0", "acc * u0")


def _linear_recurrence(ctx, a, b, *, axis, reverse):
    return _scan(ctx, [a, b], axis, reverse, "u1", "u0 * acc + u1")


SCAN_CODE = {"cumsum": _cumsum, "cumprod": _cumprod, "linear_recurrence": _linear_recurrence}
