"""The Numba backend's code for primitives that work on whole arrays (views, joins, BLAS).
Each entry is code(ctx, *operand names, **params) -> lines assigning `ctx.out`.

`ctx` gives the equation's types, runtime sizes (`ctx.size`, `ctx.shape`: read from the size
table, so the source does not change with the batch size) and temporaries.
"""

from __future__ import annotations

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu import numpy_blas
from tapejit.backend.numba_cpu.conv_code import CONV_CODE
from tapejit.backend.numba_cpu.copy_code import copy_into, permuted
from tapejit.backend.numba_cpu.indexing_code import INDEXING_CODE
from tapejit.backend.numba_cpu.linalg_code import LINALG_CODE
from tapejit.backend.numba_cpu.random_code import RANDOM_CODE
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
    return [f"{ctx.out} = {permuted(x, permutation)}"]


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
            *copy_into(ctx.temp, f"{ctx.out}[{', '.join(parts)}]", x, source.ndim)]


def _rev(ctx, x, *, dimensions):
    (source,) = ctx.in_types
    parts = ["::-1" if d in dimensions else ":" for d in range(source.ndim)]
    return [f"{ctx.out} = {x}[{', '.join(parts)}]" if parts else f"{ctx.out} = {x}"]


def _as_matrix(ctx, x, ttype, groups, lines) -> str:
    """x with each group of dimensions (batch?, rows, cols) merged into one axis: x itself or
    `x.T` when each group is one axis, a contiguous permuted copy reshaped otherwise."""
    order = tuple(d for group in groups for d in group)
    if len(groups) == 2 and all(len(g) == 1 for g in groups):
        return x if order == (0, 1) else f"{x}.T"
    sizes = tuple(int(np.prod([ttype.shape[d] for d in g], dtype=np.int64)) for g in groups)
    name = ctx.temp("m")
    if ttype.ndim == 0:
        lines.append(f"{name} = np.full({ctx.shape(sizes)}, {x}, {ctx.np_type(ttype.dtype)})")
        return name
    lines.append(f"{name} = np.ascontiguousarray({permuted(x, order)})"
                 f".reshape({ctx.shape(sizes)})")
    return name


def _blas_product(ctx, p, left, right, batched: bool, dtype) -> list[str]:
    """p = the matrices' product on BLAS, one call per batch entry: NumPy's own library
    where it was found (vmath/blas.py), else np.dot on SciPy's."""
    product = "np.dot"
    if numpy_blas.find() is not None:
        product = "blas_matmul_into" if batched else "blas_matmul"
        ctx.kernel.math.add(product)
    if not batched:
        return [f"{p} = {product}({left}, {right})"]
    return [f"{p} = np.empty(({left}.shape[0], {left}.shape[1], {right}.shape[2]), "
            f"{ctx.np_type(dtype)})",
            f"for bi in range({left}.shape[0]):",
            f"    {product}({left}[bi], {right}[bi], {p}[bi])"]


def _loop_product(ctx, p, left, right, batched: bool, dtype) -> list[str]:
    """p = the matrix product as a loop nest, for the integers BLAS lacks (wrapping on
    overflow as NumPy's matmul does)."""
    b, batch = ("bi, ", f"{left}.shape[0]") if batched else ("", "1")
    shape = (f"{batch}, " if batched else "") + f"{left}.shape[-2], {right}.shape[-1]"
    s = ctx.temp("s")
    return [f"{p} = np.zeros(({shape}), {ctx.np_type(dtype)})",
            f"for bi in range({batch}):",
            f"    for i in range({left}.shape[-2]):",
            f"        for k in range({left}.shape[-1]):",
            f"            {s} = {left}[{b}i, k]",
            f"            for j in range({right}.shape[-1]):",
            f"                {p}[{b}i, j] += {s} * {right}[{b}k, j]"]


def _product_code(dtype: np.dtype):
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        return _blas_product
    if dtype.kind in "iu":
        return _loop_product
    raise LoweringError(f"dot_general on {dtype} has no Numba kernel")


def _dot_general(ctx, a, b, *, dimension_numbers):
    """Both operands as (batch?, rows, cols) matrices, their product, shaped as the output.

    Any group of dimensions may be empty (a full contraction, no free dims, no batch): it
    becomes an axis of size 1. Zero sizes give empty axes or, contracted, zeros.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    lt, rt = ctx.in_types
    product_code = _product_code(lt.dtype)
    lf, rf = free_dims(lt.ndim, lc, lb), free_dims(rt.ndim, rc, rb)
    lines: list[str] = []
    left = _as_matrix(ctx, a, lt, ((lb,) if lb else ()) + (lf, lc), lines)
    right = _as_matrix(ctx, b, rt, ((rb,) if rb else ()) + (rc, rf), lines)
    product = ctx.temp("p")
    lines += product_code(ctx, product, left, right, bool(lb), lt.dtype)
    out = ctx.out_type
    if out.ndim == 0:
        lines.append(f"{ctx.out} = {product}[0, 0]")
    elif not lb and len(lf) == 1 and len(rf) == 1:
        lines.append(f"{ctx.out} = {product}")
    else:
        lines.append(f"{ctx.out} = {product}.reshape({ctx.shape(out.shape)})")
    return lines


ARRAY_CODE = {
    "reshape": _reshape, "squeeze": _reshape, "expand_dims": _reshape,
    "transpose": _transpose, "slice": _slice, "rev": _rev,
    "concatenate": _concatenate, "pad": _pad,
    "dot_general": _dot_general,
    **INDEXING_CODE, **SCAN_CODE, **SORT_CODE, **LINALG_CODE, **RANDOM_CODE,
    **CONV_CODE,
}
