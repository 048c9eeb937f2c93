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
    output's cotangent: run(inputs, output, ct) -> one array per position in wrt. For a
    primitive with multiple_results, `output` and `ct` are tuples (no None in `ct`)."""

    def __init__(self, prim, params: dict, in_types: Sequence[TensorType], out_types,
                 wrt: tuple[int, ...]) -> None:
        inputs = tuple(Var(t) for t in in_types)
        outs = tuple(Var(t) for t in out_types)
        program = Program(inputs, (Eqn(prim, inputs, outs, params),), outs)
        vjp = vjp_program(program, wrt)
        several = prim.multiple_results
        position = {id(v): f"ins[{i}]" for i, v in enumerate(inputs)}
        position.update({id(v): f"out[{k}]" if several else "out" for k, v in enumerate(outs)})
        cts = [f"ct[{k}]" for k in range(len(outs))] if several else ["ct"]
        sources = ([position[id(v)] for v in vjp.residuals] + cts
                   + [f"consts[{j}]" for j in range(len(vjp.const_values))])
        self.program, self.sources = vjp.program, tuple(sources)
        """The VJP as a program, and what feeds each of its inputs: `ins[i]`, `out` (or
        `out[k]`), `ct` (or `ct[k]`), `consts[j]` (autodiff.chain inlines it)."""
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
        outputs = output if prim.multiple_results else (output,)
        out_types = tuple(TensorType(o.dtype, tuple(o.shape)) for o in outputs)
        found = OpVJP(prim, params, in_types, out_types, wrt)
        _VJPS.set(key, found)
    return found
