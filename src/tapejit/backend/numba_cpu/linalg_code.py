"""The Numba backend's code for solves and factorizations of stacks of matrices.

Each is a loop over the batch calling LAPACK through Numba's np.linalg (SciPy's LAPACK),
wrapped once in vmath/lapack.py, in float64 as NumPy's linalg computes, so kernels give eager
results (to rounding) and the same sign conventions. A matrix LAPACK rejects (singular, not
positive definite, NaN or inf where Numba checks) gives NaN in its slot of the result
instead of raising, as ir/SPEC.md documents. triangular_solve is substitution loops here.
"""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.backend.numba_cpu.copy_code import copy_into
from tapejit.primitives.spectral import qr_shapes, svd_shapes


class _Batch:
    """The operands as (batch, rows, cols) arrays and a (batch, ...) float64 result, looped
    over with `bi`; `matrix(k)` is operand k's matrix at `bi` in float64."""

    def __init__(self, ctx, operands, out_tail) -> None:
        self.ctx = ctx
        self.count = prod(ctx.in_types[0].shape[:-2])
        self.result = ctx.temp("r")
        self.lines, self.names = [], []
        for x, t in zip(operands, ctx.in_types):
            name = ctx.temp("a")
            shape = ctx.shape((self.count,) + t.shape[-2:])
            self.lines.append(f"{name} = np.ascontiguousarray({x}).reshape({shape})")
            self.names.append(name)
        self.lines.append(f"{self.result} = np.empty({ctx.shape((self.count,) + out_tail)}, "
                          f"np.float64)")
        self.lines.append(f"for bi in range({ctx.size(self.count)}):")

    def matrix(self, k: int) -> str:
        wide = self.ctx.in_types[k].dtype == np.float64
        return f"{self.names[k]}[bi]" if wide else f"{self.names[k]}[bi].astype(np.float64)"

    def guarded(self, body: list[str]) -> None:
        """`body` inside the batch loop; a LAPACK error fills this slot with NaN."""
        self.lines += ["    try:", *[f"        {line}" for line in body],
                       "    except Exception:", f"        {self.result}[bi] = np.nan"]

    def finish(self) -> list[str]:
        ctx = self.ctx
        result = self.result if ctx.out_type.dtype == np.float64 else (
            f"{self.result}.astype({ctx.np_type(ctx.out_type.dtype)})")
        return self.lines + [f"{ctx.out} = {result}.reshape({ctx.shape(ctx.out_type.shape)})"]


def _store(ctx, result: str, value: str, offset: int, shape) -> list[str]:
    """Lines writing a 1-d or 2-d `value` raveled into result[bi, offset:]."""
    if len(shape) == 1:
        return [f"for i in range({ctx.size(shape[0])}):",
                f"    {result}[bi, {ctx.size(offset)} + i] = {value}[i]"]
    rows, cols = shape
    return [f"for i in range({ctx.size(rows)}):",
            f"    for j in range({ctx.size(cols)}):",
            f"        {result}[bi, {ctx.size(offset)} + i * {ctx.size(cols)} + j] = "
            f"{value}[i, j]"]


def _store_all(ctx, result: str, values, shapes) -> list[str]:
    lines, offset = [], 0
    for value, shape in zip(values, shapes):
        lines += _store(ctx, result, value, offset, shape)
        offset += prod(shape)
    return lines


def _lapack(ctx, name: str, *args: str) -> str:
    """A call of vmath/lapack.py's `name`, imported by the kernel."""
    ctx.kernel.math.add(name)
    return f"{name}({', '.join(args)})"


def _matrix_op(call: str):
    """An op whose result per matrix is vmath's `call` of the operand matrices (fresh temps:
    a name another op's code chose must not be reassigned with another type)."""
    def code(ctx, *operands, **params):
        batch = _Batch(ctx, operands, ctx.out_type.shape[-2:])
        names = [ctx.temp("m") for _ in operands]
        body = [f"{n} = {batch.matrix(k)}" for k, n in enumerate(names)]
        rcond = params.get("rcond")
        args = names + ([ctx.kernel.const(rcond, np.float64)] if rcond is not None else [])
        value = ctx.temp("m")
        batch.guarded(body + [f"{value} = {_lapack(ctx, call, *args)}",
                              *copy_into(ctx.temp, f"{batch.result}[bi]", value, 2)])
        return batch.finish()
    return code


def _values(ctx, batch: _Batch, call: str) -> list[str]:
    """Lines storing vmath's `call` of the matrix, a vector of values, as the result row."""
    return [f"w = {_lapack(ctx, call, batch.matrix(0))}",
            *copy_into(ctx.temp, f"{batch.result}[bi]", "w", 1)]


def _slogdet(ctx, a):
    batch = _Batch(ctx, [a], (2,))
    batch.guarded([f"sg, ld = {_lapack(ctx, 'lapack_slogdet', batch.matrix(0))}",
                   f"{batch.result}[bi, 0] = sg", f"{batch.result}[bi, 1] = ld"])
    return batch.finish()


def _eigh(ctx, a, *, vectors):
    n = ctx.in_types[0].shape[-1]
    batch = _Batch(ctx, [a], ctx.out_type.shape[-1:])
    if not vectors:
        batch.guarded(_values(ctx, batch, "lapack_eigvalsh"))
    else:
        batch.guarded([f"w, v = {_lapack(ctx, 'lapack_eigh', batch.matrix(0))}",
                       *_store_all(ctx, batch.result, ["w", "v"], [(n,), (n, n)])])
    return batch.finish()


def _svd(ctx, a, *, full_matrices, compute_uv):
    m, n = ctx.in_types[0].shape[-2:]
    batch = _Batch(ctx, [a], ctx.out_type.shape[-1:])
    if not compute_uv:
        batch.guarded(_values(ctx, batch, "lapack_singular_values"))
        return batch.finish()
    shapes = svd_shapes(m, n, full_matrices)
    (_, mu), _, (nu, _) = shapes
    store = _store_all(ctx, batch.result, ["u", "s", "vh"], shapes)
    empty = [f"u = np.eye({ctx.size(m)}, {ctx.size(mu)})", "s = np.zeros(0)",
             f"vh = np.eye({ctx.size(nu)}, {ctx.size(n)})"]
    batch.guarded([f"if {ctx.size(min(m, n))} == 0:", *[f"    {line}" for line in empty],
                   "else:", f"    u, s, vh = "
                   f"{_lapack(ctx, 'lapack_svd', batch.matrix(0), str(bool(full_matrices)))}",
                   *store])
    return batch.finish()


def _qr(ctx, a, *, full_matrices):
    m, n = ctx.in_types[0].shape[-2:]
    shapes = qr_shapes(m, n, full_matrices)
    batch = _Batch(ctx, [a], ctx.out_type.shape[-1:])
    body = [f"if {ctx.size(min(m, n))} == 0:",
            f"    q = np.eye({ctx.size(m)}, {ctx.size(shapes[0][1])})",
            f"    r = np.zeros({ctx.shape(shapes[1])})"]
    if full_matrices:
        # a complete Q: factor a padded with zero columns (their reflectors are identities)
        body += [f"elif {ctx.size(m)} > {ctx.size(n)}:",
                 f"    padded = np.zeros({ctx.shape((m, m))})",
                 f"    given = {batch.matrix(0)}",
                 *[f"    {line}" for line in copy_into(
                     ctx.temp, f"padded[:, :{ctx.size(n)}]", "given", 2)],
                 f"    q, rp = {_lapack(ctx, 'lapack_qr', 'padded')}",
                 f"    r = np.ascontiguousarray(rp[:, :{ctx.size(n)}])"]
    body += ["else:", f"    q, r = {_lapack(ctx, 'lapack_qr', batch.matrix(0))}"]
    batch.guarded(body + _store_all(ctx, batch.result, ["q", "r"], shapes))
    return batch.finish()


def _triangular_solve(ctx, a, b, *, lower, transpose_a, unit_diagonal):
    """Forward or back substitution, row by row, every right-hand side at once."""
    n, k = ctx.in_types[1].shape[-2:]
    batch = _Batch(ctx, [a, b], (n, k))
    x, am, size_n, size_k = batch.result, batch.names[0], ctx.size(n), ctx.size(k)
    at = (lambda i, j: f"{am}[bi, {j}, {i}]") if transpose_a else (
        lambda i, j: f"{am}[bi, {i}, {j}]")
    forward = lower != transpose_a
    others = "range(i)" if forward else f"range(i + 1, {size_n})"
    pivot = "" if unit_diagonal else f" / {at('i', 'i')}"
    batch.lines += [
        f"    acc = np.empty({size_k}, np.float64)",
        f"    for step in range({size_n}):",
        "        i = step" if forward else f"        i = {size_n} - 1 - step",
        f"        for c in range({size_k}):",
        f"            acc[c] = {batch.names[1]}[bi, i, c]",
        f"        for j in {others}:",
        f"            aij = np.float64({at('i', 'j')})",
        f"            for c in range({size_k}):",
        f"                acc[c] -= aij * {x}[bi, j, c]",
        f"        for c in range({size_k}):",
        f"            {x}[bi, i, c] = acc[c]{pivot}"]
    return batch.finish()


LINALG_CODE = {
    "cholesky": _matrix_op("lapack_cholesky"),
    "solve": _matrix_op("lapack_solve"),
    "pinv": _matrix_op("lapack_pinv"),
    "slogdet": _slogdet,
    "eigh": _eigh,
    "svd": _svd,
    "qr": _qr,
    "triangular_solve": _triangular_solve,
}
