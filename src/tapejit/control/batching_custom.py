"""vmap of the custom-derivative calls: the body is batched as any call's, and the rule is
traced on one example's types and batched with `batch_eval` when it is called, so the
user's rule keeps defining the derivative of the vectorized function."""

from __future__ import annotations

from tapejit.control.batching import batch_body
from tapejit.control.bodies import trace_function
from tapejit.control.rules import Rule
from tapejit.ir import Program
from tapejit.primitives.base import batch_first
from tapejit.primitives.batching import batch_eval, batch_size, with_batch
from tapejit.primitives.broadcast import reduce_sum
from tapejit.trace import bind


def _run(closed, values, dims) -> tuple[list, list]:
    outs, out_dims = batch_eval(closed.program, list(closed.captured) + list(values),
                                [None] * closed.num_captured + list(dims))
    return outs, out_dims


class _Batched(Rule):
    """A rule applied to a batch: `skip` leading consts are the batched body's own captures
    (the rule never saw them); `dims` the batch axis (0) or None of each original operand."""

    def __init__(self, rule: Rule, body: Program, skip: int, dims: list, n: int) -> None:
        super().__init__(f"vmap({rule!r})")
        self.rule, self.body, self.skip, self.dims, self.n = rule, body, skip, dims, n
        self.types = [v.type for v in body.inputs]
        self.res_dims: list = []

    def _split(self, consts, args):
        consts = list(consts)[self.skip:]
        return consts, list(args)

    def jvp(self, consts, args, tangents) -> list:
        consts, args = self._split(consts, args)
        nc, na = len(consts), len(args)
        types = self.types + self.types[nc:]
        closed, _ = trace_function(lambda *xs: (self.rule.jvp(
            xs[:nc], xs[nc:nc + na], xs[nc + na:]), None), types)
        outs, dims = _run(closed, consts + args + list(tangents),
                          self.dims + self.dims[nc:])
        return [with_batch(o, d, self.n) for o, d in zip(outs, dims)]

    def forward(self, consts, args) -> list:
        consts, args = self._split(consts, args)
        nc = len(consts)
        closed, _ = trace_function(lambda *xs: (self.rule.forward(xs[:nc], xs[nc:]), None),
                                   self.types)
        outs, dims = _run(closed, consts + args, self.dims)
        n_out = len(self.body.outputs)
        self.res_types = [a.type for a in closed.program.outputs[n_out:]]
        self.res_dims = dims[n_out:]
        return [with_batch(o, d, self.n) for o, d in zip(outs[:n_out], dims[:n_out])] + list(
            outs[n_out:])

    def backward(self, residuals, cts) -> list:
        out_types = [a.type for a in self.body.outputs]
        nr = len(residuals)
        closed, _ = trace_function(lambda *xs: (self.rule.backward(list(xs[:nr]),
                                                                   list(xs[nr:])), None),
                                   self.res_types + out_types)
        grads, dims = _run(closed, list(residuals) + list(cts),
                           self.res_dims + [0] * len(cts))
        arg_dims = self.dims[len(self.dims) - len(grads):]
        return [_as_arg(g, d, want, self.n) for g, d, want in zip(grads, dims, arg_dims)]


def _as_arg(grad, dim, want, n):
    """A cotangent in its argument's layout: batched first, or summed over the batch for an
    argument every example shares."""
    if want is None:
        return grad if dim is None else reduce_sum(batch_first(grad, dim), (0,))
    return with_batch(grad, dim, n)


def custom_batch(prim, args, dims, *, body, rule, num_consts):
    n = batch_size(args, dims)
    batched = [d is not None for d in dims]
    closed, _ = batch_body(body, batched, n, [True] * len(body.outputs))
    operands = [a if d is None else batch_first(a, d) for a, d in zip(args, dims)]
    wrapped = _Batched(rule, body, closed.num_captured, [0 if b else None for b in batched], n)
    outs = bind(prim, *closed.captured, *operands, body=closed.program, rule=wrapped,
                num_consts=closed.num_captured + num_consts)
    return tuple(outs), (0,) * len(outs)

