"""Jacobians: from a prepared tape gradient, the backward program batched over the one-hot
cotangents (vmap's rules, so the program does not grow with the output size); or by
forward mode, the JVP batched over one-hot tangents."""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit import ops, tree
from tapejit.autodiff.forward import jvp_eval
from tapejit.errors import op_error
from tapejit.leaves import as_tensor
from tapejit.site import user_site
from tapejit.staging import stage
from tapejit.vmap import vmap


def _basis(shape, dtype, inner: int = 0):
    """Cotangent rows: the one-hot arrays of `shape`, stacked first (n rows), or, with
    `inner`, per-example one-hots of the trailing `inner` elements for every batch row."""
    if not inner:
        n = prod(shape)
        return np.eye(n, dtype=dtype).reshape((n,) + tuple(shape))
    rows = np.zeros((inner, shape[0], inner), dtype)
    rows[np.arange(inner), :, np.arange(inner)] = 1
    return rows.reshape((inner,) + tuple(shape))


def _gradient_rows(prepared, cts, sources) -> list:
    """Each source's gradients for the cotangent rows `cts`: one batched backward pass when
    the tape derived a program (vmap's rules), else one run per row."""
    if hasattr(prepared, "run_batched") and len(cts):
        return prepared.run_batched([cts], len(cts))
    rows = [prepared.run([ct]) for ct in cts]
    return [_stacked([r[j] for r in rows], s) for j, s in enumerate(sources)]


def _stacked(rows, source):
    if not rows or all(r is None for r in rows):
        return None
    return ops.stack([ops.zeros_like_type(source) if r is None else r for r in rows], 0)


def _shaped(rows, shape, source):
    """Batched gradient rows as `shape`, zeros for a source the target does not reach."""
    if rows is None:
        return ops.full(shape, 0, source.dtype)
    return ops.reshape(rows, shape)


def jacobian_of(prepared, target, sources) -> list:
    """d target / d source for each source, from `prepared` (a prepared tape gradient)."""
    cts = _basis(target.shape, target.dtype)
    rows = _gradient_rows(prepared, cts, sources)
    return [_shaped(r, tuple(target.shape) + tuple(s.shape), s) for r, s in zip(rows, sources)]


def batch_jacobian_of(prepared, target, source):
    """Per-example jacobians of `target` with respect to `source` (batch first in both)."""
    batch, inner = target.shape[0], tuple(target.shape[1:])
    cts = _basis(target.shape, target.dtype, prod(inner))
    (rows,) = _gradient_rows(prepared, cts, [source])
    shape = (batch,) + inner + tuple(source.shape[1:])
    if rows is None:
        return ops.full(shape, 0, source.dtype)
    per_example = ops.transpose(rows, (1, 0) + tuple(range(2, len(rows.shape))))
    return ops.reshape(per_example, shape)


def _forward_columns(program, values, position: int, x, out_type):
    """d out / d values[position] (that value is x), the JVP batched over one-hot tangents."""
    shape = tuple(out_type.shape) + tuple(x.shape)
    if not x.size:
        return ops.full(shape, 0, x.dtype)

    def column(tangent):
        tangents = [None] * len(values)
        tangents[position] = tangent
        out = jvp_eval(program, values, tangents)[1][0]
        return ops.zeros_like_type(out_type) if out is None else out

    columns = vmap(column, out_axes=-1)(_basis(x.shape, x.dtype))
    return ops.reshape(columns, shape)


def forward_jacobian(fn, args, argnums):
    """Jacobians by forward mode: one JVP per input element, with the function staged once."""
    staged = stage(fn, args)
    leaves = [[as_tensor(x, "jacobian") for x in tree.leaves(a)] for a in args]
    flat = [x for group in leaves for x in group]
    values = flat + [v.read() for v in staged.variables] + list(staged.consts)
    if staged.num_outputs != 1:
        raise op_error(TypeError, "jacobian", "mode='fwd' needs a function with one tensor "
                       "output", "return a single tensor, or use mode='rev'", user_site())
    out_type = staged.program.outputs[0].type
    results = []
    for i in argnums:
        start = sum(len(g) for g in leaves[:i])
        (x,) = leaves[i] if len(leaves[i]) == 1 else (None,)
        if x is None:
            raise op_error(TypeError, "jacobian", "mode='fwd' differentiates array arguments, "
                           "not nested structures", "use mode='rev'", user_site())
        results.append(_forward_columns(staged.program, values, start, x, out_type))
    return results
