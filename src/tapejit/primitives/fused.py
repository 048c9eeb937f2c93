"""fused: a loop group made by the fusion pass, its body a program over one loop shape."""

from __future__ import annotations

from tapejit.ir import Primitive, Program, TensorType, walk


def _fused_type(*in_types: TensorType, body: Program, shape) -> tuple[TensorType, ...]:
    expected = tuple(v.type for v in body.inputs)
    if tuple(in_types) != expected:
        raise TypeError(f"fused group expects {expected}, got {in_types}")
    return tuple(a.type for a in body.outputs)


def _fused_impl(*args, body: Program, shape):
    """The body's outputs: one value for one output, as every other impl, else a tuple."""
    outs = walk(body, args, lambda eqn, ins: eqn.prim.impl(*ins, **eqn.params))
    return outs[0] if len(outs) == 1 else tuple(outs)


fused_p = Primitive(name="fused", type_rule=_fused_type, impl=_fused_impl, kind="fused",
                    size_params=("shape",))
