"""vmap's building blocks below the user level: batching rules shared by several families
(operands brought to one batched layout) and `batch_eval`, which runs a program on batched
values by calling each equation's batching rule.

A batched value is a value (Tensor, Tracer or NumPy) and its batch axis, or None when it is
the same for every example. Rules are written with `bind`, so a batched program runs
eagerly, is recorded by tapes, traces under jit and differentiates like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tapejit.errors import TapejitError, op_error
from tapejit.ir import Lit, Primitive, Program, walk
from tapejit.primitives.base import batch_first
from tapejit.primitives.broadcast import broadcast_in_dim
from tapejit.site import user_site
from tapejit.trace import bind, bind_eqn


def batch_size(args, dims) -> int:
    """The size of the batch axis (rules are only called with at least one batched arg)."""
    return next(a.shape[d] for a, d in zip(args, dims) if d is not None)


def with_batch(x, dim: int | None, size: int):
    """x with a batch axis first: moved there, or broadcast along a new one (unbatched x)."""
    if dim is not None:
        return batch_first(x, dim)
    shape = tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
    return broadcast_in_dim(x, (size,) + shape, range(1, len(shape) + 1))


def all_batched(args, dims) -> list:
    """Every operand with the batch axis first (the unbatched ones broadcast)."""
    size = batch_size(args, dims)
    return [with_batch(a, d, size) for a, d in zip(args, dims)]


def front_batch(new_params: Callable = lambda n, **params: params) -> Callable:
    """The vmap rule of a primitive whose operands all take the batch axis first (its
    leading-batch-dims form, as linalg's): new_params(batch_size, **params) adapts the
    params to that layout."""
    def rule(prim: Primitive, args, dims, **params):
        xs = all_batched(args, dims)
        return bind(prim, *xs, **new_params(xs[0].shape[0], **params)), 0
    return rule


class NoBatchRuleError(TapejitError, NotImplementedError):
    """vmap met a primitive that has no batching rule."""


def no_batch_rule(prim: Primitive) -> TapejitError:
    return op_error(NoBatchRuleError, "vmap",
                    f"the primitive {prim.name!r} has no batching rule, so a function using it "
                    f"cannot be vectorized", f"add a `batch` rule to {prim.name}'s Primitive "
                    "record, or loop in Python over the batch", user_site())


def batch_eqn(eqn, values: list, dims: list):
    """One equation on batched operands: (outputs, their batch axes), tuples when it has
    several outputs. Equations with no batched operand are bound as they are (emitted into
    the trace, under one, even when all their operands are constants)."""
    several = len(eqn.outputs) > 1 or eqn.prim.multiple_results
    if all(d is None for d in dims):
        out = bind_eqn(eqn, values)
        return out, ((None,) * len(eqn.outputs) if several else None)
    rule = eqn.prim.batch
    if rule is None:
        raise no_batch_rule(eqn.prim)
    out, out_dim = rule(eqn.prim, values, dims, **eqn.params)
    return out, out_dim


def batch_eval(program: Program, args: Sequence, dims: Sequence) -> tuple[list, list]:
    """The program's outputs for batched inputs (args[i] batched along dims[i], or not at
    all when None), and their batch axes."""
    dim_of: dict[int, int | None] = {}

    def run(eqn, ins):
        in_dims = [None if type(a) is Lit else dim_of[id(a)] for a in eqn.inputs]
        out, out_dims = batch_eqn(eqn, ins, in_dims)
        if len(eqn.outputs) == 1 and not eqn.prim.multiple_results:
            dim_of[id(eqn.outputs[0])] = out_dims
        else:
            dim_of.update((id(v), d) for v, d in zip(eqn.outputs, out_dims))
        return out

    dim_of.update((id(v), d) for v, d in zip(program.inputs, dims))
    outs = walk(program, args, run)
    return outs, [None if type(a) is Lit else dim_of[id(a)] for a in program.outputs]
