"""Jacobians: from a prepared tape gradient, one backward run per target element; or by
forward mode, one JVP per input element."""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit import ops, tree
from tapejit.autodiff.forward import jvp_eval
from tapejit.errors import op_error
from tapejit.leaves import as_tensor
from tapejit.site import user_site
from tapejit.staging import stage


def _one_hot(shape, dtype, index: int):
    ct = np.zeros(prod(shape), dtype)
    ct[index] = 1
    return ct.reshape(shape)[()]


def _stack_rows(rows, target_shape, source):
    """The rows' gradients stacked to target.shape + source.shape; zeros for rows (or a
    whole source) the target does not depend on."""
    shape = tuple(target_shape) + tuple(source.shape)
    if not rows or all(r is None for r in rows):
        return ops.full(shape, 0, source.dtype)
    rows = [ops.zeros_like_type(source) if r is None else r for r in rows]
    return ops.reshape(ops.stack(rows, 0), shape)


def jacobian_of(prepared, target, sources) -> list:
    """d target / d source for each source, from `prepared` (a prepared tape gradient)."""
    n = prod(target.shape)
    rows = [prepared.run([_one_hot(target.shape, target.dtype, i)]) for i in range(n)]
    return [_stack_rows([r[j] for r in rows], target.shape, s) for j, s in enumerate(sources)]


def batch_jacobian_of(prepared, target, source):
    """Per-example jacobians of `target` with respect to `source` (batch first in both)."""
    batch, inner = target.shape[0], tuple(target.shape[1:])
    rows = []
    for j in range(prod(inner)):
        ct = np.zeros((batch, prod(inner)), target.dtype)
        ct[:, j] = 1
        rows.append(prepared.run([ct.reshape(target.shape)])[0])
    per_example = tuple(source.shape[1:])
    shape = (batch,) + inner + per_example
    if not rows or all(r is None for r in rows):
        return ops.full(shape, 0, source.dtype)
    rows = [ops.zeros_like_type(source) if r is None else r for r in rows]
    return ops.reshape(ops.stack(rows, 1), shape)


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
        columns = []
        for j in range(prod(x.shape)):
            tangents = [None] * len(values)
            tangents[start] = _one_hot(x.shape, x.dtype, j)
            t = jvp_eval(staged.program, values, tangents)[1][0]
            columns.append(ops.zeros_like_type(out_type) if t is None else t)
        stacked = ops.stack(columns, -1) if columns else ops.full(
            tuple(out_type.shape) + (0,), 0, x.dtype)
        results.append(ops.reshape(stacked, tuple(out_type.shape) + tuple(x.shape)))
    return results
