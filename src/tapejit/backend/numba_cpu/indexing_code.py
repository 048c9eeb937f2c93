"""The Numba backend's code for the indexing primitives (merged into ARRAY_CODE): loops over
the index array that clamp (mode "clip") or skip (mode "drop") positions out of range, so no
access ever leaves an array; dynamic slices clamp their starts; argmax/argmin scan an axis.
"""

from __future__ import annotations

from tapejit.backend.numba_cpu.copy_code import copy_into


class _Lines:
    """Generated lines with the indentation of the block being written."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def add(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def block(self, header: str) -> None:
        self.add(header)
        self.depth += 1

    def loop(self, var: str, bound: str) -> None:
        self.block(f"for {var} in range({bound}):")


def _at(name: str, ndim: int, subscripts) -> str:
    return f"{name}[{', '.join(subscripts)}]" if ndim else name


def _zeros(ctx, lines: _Lines) -> None:
    """The output, zeros of the output type (a scalar if 0-d)."""
    out = ctx.out_type
    if out.ndim:
        lines.add(f"{ctx.out} = np.zeros({ctx.shape(out.shape)}, {ctx.np_type(out.dtype)})")
    else:
        lines.add(f"{ctx.out} = {ctx.np_type(out.dtype)}(0)")


def _index_nest(ctx, lines: _Lines, idx: str, x_type, idx_type, axes, mode):
    """Open the loops over the batch rows, the position checks and the loops over the rest
    axes; returns the batch and rest loop variables and x's subscripts."""
    sizes = {a: ctx.size(x_type.shape[a]) for a in axes}
    if mode == "clip":  # an empty axis has no position to clamp to: leave the zeros
        lines.block(f"if {' and '.join(f'{sizes[a]} > 0' for a in axes)}:")
    batch = [ctx.temp("b") for _ in range(idx_type.ndim - 1)]
    for var, n in zip(batch, idx_type.shape):
        lines.loop(var, ctx.size(n))
    position, inside = {}, []
    for j, a in enumerate(axes):
        p = position[a] = ctx.temp("p")
        lines.add(f"{p} = np.int64({_at(idx, idx_type.ndim, batch + [str(j)])})")
        if mode == "clip":
            lines.add(f"{p} = min(max({p}, 0), {sizes[a]} - 1)")
        else:
            inside.append(f"0 <= {p} < {sizes[a]}")
    if inside:
        lines.block(f"if {' and '.join(inside)}:")
    rest = []
    for a in range(x_type.ndim):
        if a not in axes:
            rest.append(ctx.temp("r"))
            lines.loop(rest[-1], ctx.size(x_type.shape[a]))
    rests = iter(rest)
    x_subs = [position[a] if a in axes else next(rests) for a in range(x_type.ndim)]
    return batch, rest, x_subs


def _gather(ctx, x, idx, *, axes, mode):
    x_type, idx_type = ctx.in_types
    lines = _Lines()
    _zeros(ctx, lines)
    batch, rest, x_subs = _index_nest(ctx, lines, idx, x_type, idx_type, axes, mode)
    lines.add(f"{_at(ctx.out, ctx.out_type.ndim, batch + rest)} = {_at(x, x_type.ndim, x_subs)}")
    return lines.lines


def _assign(lines: _Lines, target: str, value: str, ctx) -> None:
    lines.add(f"{target} = {value}")


def _add(lines: _Lines, target: str, value: str, ctx) -> None:
    lines.add(f"{target} += {value}")


def _mul(lines: _Lines, target: str, value: str, ctx) -> None:
    lines.add(f"{target} *= {value}")


def _keep(better: str):
    """Keep the extreme; a NaN update wins and a NaN already there stays (as np.maximum)."""
    def combine(lines: _Lines, target: str, value: str, ctx) -> None:
        v = ctx.temp("v")
        lines.add(f"{v} = {value}")
        lines.block(f"if {v} {better} {target} or {v} != {v}:")
        lines.add(f"{target} = {v}")
        lines.depth -= 1
    return combine


def _scatter(combine):
    def code(ctx, x, idx, u, *, axes, mode):
        x_type, idx_type, u_type = ctx.in_types
        lines = _Lines()
        lines.add(f"{ctx.out} = np.copy({x})")
        batch, rest, x_subs = _index_nest(ctx, lines, idx, x_type, idx_type, axes, mode)
        combine(lines, _at(ctx.out, x_type.ndim, x_subs), _at(u, u_type.ndim, batch + rest), ctx)
        return lines.lines
    return code


def _clamped_starts(ctx, lines: list, starts, sizes, shape) -> list[str]:
    """Start variables clamped so the slice fits (XLA's rule), as slice expressions."""
    parts = []
    for s, k, n in zip(starts, sizes, shape):
        begin, size = ctx.temp("s"), ctx.size(k)
        lines.append(f"{begin} = min(max(np.int64({s}), 0), {ctx.size(n)} - {size})")
        parts.append(f"{begin}:{begin} + {size}")
    return parts


def _dynamic_slice(ctx, x, *starts, slice_sizes):
    (x_type, *_) = ctx.in_types
    if x_type.ndim == 0:
        return [f"{ctx.out} = {x}"]
    lines: list[str] = []
    parts = _clamped_starts(ctx, lines, starts, slice_sizes, x_type.shape)
    return lines + [f"{ctx.out} = {x}[{', '.join(parts)}]"]


def _dynamic_update_slice(ctx, x, u, *starts):
    (x_type, u_type, *_) = ctx.in_types
    if x_type.ndim == 0:
        return [f"{ctx.out} = {u}"]
    lines = [f"{ctx.out} = np.copy({x})"]
    parts = _clamped_starts(ctx, lines, starts, u_type.shape, x_type.shape)
    return lines + copy_into(ctx.temp, f"{ctx.out}[{', '.join(parts)}]", u, u_type.ndim)


def _arg_extremum(better: str):
    """The first position of the extreme along `axis`; the first NaN, if any, as NumPy."""
    def code(ctx, x, *, axis, index_dtype):
        (x_type,), out = ctx.in_types, ctx.out_type
        lines = _Lines()
        if out.ndim:
            lines.add(f"{ctx.out} = np.empty({ctx.shape(out.shape)}, "
                      f"{ctx.np_type(index_dtype)})")
        outer = [ctx.temp("o") for _ in range(out.ndim)]
        for var, n in zip(outer, out.shape):
            lines.loop(var, ctx.size(n))
        at_axis = lambda j: _at(x, x_type.ndim, outer[:axis] + [j] + outer[axis:])
        best, where, j, v = ctx.temp("m"), ctx.temp("a"), ctx.temp("j"), ctx.temp("v")
        lines.add(f"{best} = {at_axis('0')}")
        lines.add(f"{where} = 0")
        depth = lines.depth
        if x_type.dtype.kind == "f":
            lines.block(f"if {best} == {best}:")
        lines.block(f"for {j} in range(1, {ctx.size(x_type.shape[axis])}):")
        lines.add(f"{v} = {at_axis(j)}")
        if x_type.dtype.kind == "f":
            lines.block(f"if {v} != {v}:")
            lines.add(f"{where} = {j}")
            lines.add("break")
            lines.depth -= 1
        lines.block(f"if {v} {better} {best}:")
        lines.add(f"{best} = {v}")
        lines.add(f"{where} = {j}")
        lines.depth = depth
        value = f"{ctx.np_type(index_dtype)}({where})"
        lines.add(f"{_at(ctx.out, out.ndim, outer)} = {value}")
        return lines.lines
    return code


INDEXING_CODE = {
    "gather": _gather,
    "scatter_add": _scatter(_add), "scatter": _scatter(_assign), "scatter_mul": _scatter(_mul),
    "scatter_min": _scatter(_keep("<")), "scatter_max": _scatter(_keep(">")),
    "dynamic_slice": _dynamic_slice, "dynamic_update_slice": _dynamic_update_slice,
    "argmax": _arg_extremum(">"), "argmin": _arg_extremum("<"),
}
