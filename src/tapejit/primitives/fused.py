"""fused: a loop group made by the fusion pass, its body a program over one loop shape."""

from __future__ import annotations

from tapejit.ir import Primitive, Program, TensorType, interpret
from tapejit.primitives.batching import batch_eval


def _fused_type(*in_types: TensorType, body: Program, shape) -> tuple[TensorType, ...]:
    expected = tuple(v.type for v in body.inputs)
    if tuple(in_types) != expected:
        raise TypeError(f"fused group expects {expected}, got {in_types}")
    return tuple(a.type for a in body.outputs)


def _fused_impl(*args, body: Program, shape):
    """The body's outputs: one value for one output, as every other impl, else a tuple."""
    outs = interpret(body, args)
    return outs[0] if len(outs) == 1 else tuple(outs)


def _fused_batch(prim, args, dims, *, body: Program, shape):
    """vmap of a fused group: its body, batched equation by equation (the group is undone;
    fusion regroups the batched program when it is compiled)."""
    outs, out_dims = batch_eval(body, args, dims)
    if len(outs) == 1:
        return outs[0], out_dims[0]
    return tuple(outs), tuple(out_dims)


fused_p = Primitive(name="fused", type_rule=_fused_type, impl=_fused_impl, kind="fused",
                    size_params=("shape",), batch=_fused_batch)
