"""The eager backward pass: one VJP per (primitive, params, input types), derived once by
linearize + transpose of that single equation and kept as straight NumPy calls, so a
backward step costs a dictionary lookup and a few NumPy calls per recorded op.

Used when nothing else is recording (no outer tape, no trace); otherwise the tape derives
the whole backward program and binds it, so outer tapes and traces see every step.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from tapejit.autodiff.vjp import vjp_program
from tapejit.backend.interpreter import python_function
from tapejit.config import config
from tapejit.ir import Eqn, Program, TensorType, Var
from tapejit.lru import LRU


class OpVJP:
    """Cotangents of one op's inputs at positions `wrt`, from its inputs, output and the
    output's cotangent: run(inputs, output, ct) -> one array per position in wrt."""

    def __init__(self, prim, params: dict, in_types: Sequence[TensorType], out_type: TensorType,
                 wrt: tuple[int, ...]) -> None:
        inputs = tuple(Var(t) for t in in_types)
        out = Var(out_type)
        program = Program(inputs, (Eqn(prim, inputs, (out,), params),), (out,))
        vjp = vjp_program(program, wrt)
        position = {id(v): i for i, v in enumerate(inputs)}
        position[id(out)] = len(inputs)
        n = len(inputs)
        sources = ([f"ins[{position[id(v)]}]" if position[id(v)] < n else "out"
                    for v in vjp.residuals] + ["ct"]
                   + [f"consts[{j}]" for j in range(len(vjp.const_values))])
        self.connected = vjp.connected
        self.wrt = tuple(i for i, ok in zip(wrt, vjp.connected) if ok)
        self.consts = tuple(vjp.const_values)
        self.run = functools.partial(
            python_function(vjp.program, f"vjp_{prim.name}", "ins, out, ct, consts", sources),
            consts=self.consts)
        """run(inputs, output, ct): cotangents for the connected positions `self.wrt`."""


_VJPS = LRU(lambda: config.vjp_cache_size)


def op_vjp(prim, params: dict, inputs: Sequence, output, wrt: tuple) -> OpVJP:
    """The cached OpVJP for this primitive and params, the types of these input and output
    values, and the differentiated input positions."""
    key = (id(prim), tuple(params.items()) if params else (),
           tuple([(a.dtype, a.shape) for a in inputs]), wrt)
    found = _VJPS.get(key)
    if found is None:
        in_types = tuple(TensorType(a.dtype, tuple(a.shape)) for a in inputs)
        out_type = TensorType(output.dtype, tuple(output.shape))
        found = OpVJP(prim, params, in_types, out_type, wrt)
        _VJPS.set(key, found)
    return found
