"""The Numba backend's code for primitives that work on whole arrays (views, joins, BLAS).
Each entry is code(ctx, *operand names, **params) -> lines assigning `ctx.out`.

`ctx` gives the equation's types, runtime sizes (`ctx.size`, `ctx.shape`: read from the size
table, so the source does not change with the batch size) and temporaries.
"""

from __future__ import annotations

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu.scan_code import SCAN_CODE
from tapejit.backend.numba_cpu.sort_code import SORT_CODE
from tapejit.primitives.linalg import free_dims
from tapejit.primitives.slicing import padded_limit


def _reshape(ctx, x, **params):
    """A view when the operand is contiguous (a copy otherwise); scalars need care."""
    (source,), out = ctx.in_types, ctx.out_type
    if source.ndim == 0:
        return [f"{ctx.out} = np.full({ctx.shape(out.shape)}, {x})"]
    if out.ndim == 0:
        return [f"{ctx.out} = {x}[{', '.join(['0'] * source.ndim)}]"]
    return [f"{ctx.out} = np.ascontiguousarray({x}).reshape({ctx.shape(out.shape)})"]


def _transpose(ctx, x, *, permutation):
    if permutation == (1, 0):
        return [f"{ctx.out} = {x}.T"]
    return [f"{ctx.out} = np.transpose({x}, {permutation})"]


def _concatenate(ctx, *xs, dimension):
    return [f"{ctx.out} = np.concatenate(({', '.join(xs)},), axis={dimension})"]


def _slice(ctx, x, *, start_indices, limit_indices, strides):
    (source,), out = ctx.in_types, ctx.out_type
    parts = [f"{ctx.size(s)}:{ctx.size(lim)}:{ctx.size(k)}"
             for s, lim, k in zip(start_indices, limit_indices, strides)]
    if out.ndim == 0 or source.ndim == 0:
        return [f"{ctx.out} = {x}"]
    return [f"{ctx.out} = {x}[{', '.join(parts)}]"]


def _pad(ctx, x, *, low, high, interior):
    (source,), out = ctx.in_types, ctx.out_type
    if source.ndim == 0:
        return [f"{ctx.out} = {x}"]
    parts = [f"{ctx.size(lo)}:{ctx.size(padded_limit(lo, n, i))}:{ctx.size(i + 1)}"
             for lo, n, i in zip(low, source.shape, interior)]
    return [f"{ctx.out} = np.zeros({ctx.shape(out.shape)}, {ctx.np_type(out.dtype)})",
            f"{ctx.out}[{', '.join(parts)}] = {x}"]


def _rev(ctx, x, *, dimensions):
    (source,) = ctx.in_types
    parts = ["::-1" if d in dimensions else ":" for d in range(source.ndim)]
    return [f"{ctx.out} = {x}[{', '.join(parts)}]" if parts else f"{ctx.out} = {x}"]


def _as_matrix(ctx, x, ttype, perm, rows, cols, lines) -> str:
    """x permuted and reshaped to a (rows, cols) or (batch, rows, cols) matrix expression."""
    if ttype.ndim == 2 and perm == (1, 0) and len(rows) == 1:
        return f"{x}.T"
    if perm == tuple(range(ttype.ndim)) and ttype.ndim == 2 and len(rows) == 1:
        return x
    name = ctx.temp("m")
    permuted = x if perm == tuple(range(ttype.ndim)) else f"np.transpose({x}, {perm})"
    lines.append(f"{name} = np.ascontiguousarray({permuted}).reshape("
                 f"{ctx.shape(tuple(int(np.prod(d, dtype=np.int64)) for d in rows + cols))})")
    return name


def _dot_general(ctx, a, b, *, dimension_numbers):
    """BLAS through np.dot on (batched) matrices; other dtypes have no kernel."""
    (lc, rc), (lb, rb) = dimension_numbers
    lt, rt = ctx.in_types
    if lt.dtype.kind != "f" or lt.dtype.itemsize not in (4, 8):
        raise LoweringError(f"dot_general on {lt.dtype} has no BLAS kernel")
    lf, rf = free_dims(lt.ndim, lc, lb), free_dims(rt.ndim, rc, rb)
    dims = lambda t, ds: [t.shape[d] for d in ds]
    batch = dims(lt, lb)
    lines: list[str] = []
    rows_a = ([batch] if lb else []) + [dims(lt, lf)]
    rows_b = ([batch] if rb else []) + [dims(rt, rc)]
    left = _as_matrix(ctx, a, lt, lb + lf + lc, rows_a, [dims(lt, lc)], lines)
    right = _as_matrix(ctx, b, rt, rb + rc + rf, rows_b, [dims(rt, rf)], lines)
    product = ctx.temp("p")
    if lb:
        m, n = int(np.prod(dims(lt, lf))), int(np.prod(dims(rt, rf)))
        shape3 = ctx.shape((int(np.prod(batch)), m, n))
        lines += [f"{product} = np.empty({shape3}, {ctx.np_type(lt.dtype)})",
                  f"for bi in range({ctx.size(int(np.prod(batch)))}):",
                  f"    {product}[bi] = np.dot({left}[bi], {right}[bi])"]
    else:
        lines.append(f"{product} = np.dot({left}, {right})")
    out = ctx.out_type
    if out.ndim == 0:
        lines.append(f"{ctx.out} = {product}[0, 0]")
    elif out.ndim == 2 and not lb and len(lf) == 1 and len(rf) == 1:
        lines.append(f"{ctx.out} = {product}")
    else:
        lines.append(f"{ctx.out} = {product}.reshape({ctx.shape(out.shape)})")
    return lines


ARRAY_CODE = {
    "reshape": _reshape, "squeeze": _reshape, "expand_dims": _reshape,
    "transpose": _transpose, "slice": _slice, "rev": _rev,
    "concatenate": _concatenate, "pad": _pad,
    "dot_general": _dot_general,
    **SCAN_CODE, **SORT_CODE,
}
