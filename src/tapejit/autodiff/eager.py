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
from tapejit.ir import Eqn, Lit, Program, TensorType, Var


def numpy_function(program: Program, name: str = "run", signature: str | None = None,
                   sources: Sequence[str] | None = None):
    """A Python function calling each equation's NumPy impl directly, in order.

    Generated once per program (e.g. `t2 = impl_1(a0, t1)` per equation) so running it costs
    only the impl calls. By default it takes the program's inputs as arguments; `signature`
    and `sources` (an expression per input, e.g. `ins[1]`) let it unpack them itself.
    """
    names = {id(v): f"a{i}" for i, v in enumerate(program.inputs)}
    env: dict[str, object] = {}

    def ref(atom) -> str:
        if isinstance(atom, Lit):
            key = f"c{len(env)}"
            env[key] = atom.value
            return key
        return names[id(atom)]

    arguments = ", ".join(names[id(v)] for v in program.inputs)
    lines = [f"def {name}({arguments if signature is None else signature}):"]
    if sources is not None:
        lines += [f"    {names[id(v)]} = {src}" for v, src in zip(program.inputs, sources)]
    for i, eqn in enumerate(program.eqns):
        impl, params = f"impl{i}", f"params{i}"
        env[impl], env[params] = eqn.prim.impl, eqn.params
        args = ", ".join(ref(a) for a in eqn.inputs)
        names[id(eqn.out)] = f"t{i}"
        lines.append(f"    t{i} = {impl}({args}, **{params})" if eqn.params
                     else f"    t{i} = {impl}({args})")
    outs = [ref(a) for a in program.outputs]
    lines.append(f"    return ({', '.join(outs)},)" if outs else "    return ()")
    exec(compile("\n".join(lines), f"<tapejit vjp {name}>", "exec"), env)
    return env[name]


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
            numpy_function(vjp.program, f"vjp_{prim.name}", "ins, out, ct, consts", sources),
            consts=self.consts)
        """run(inputs, output, ct): cotangents for the connected positions `self.wrt`."""


_VJPS: dict[tuple, OpVJP] = {}


def op_vjp(prim, params: dict, inputs: Sequence, output, wrt: tuple) -> OpVJP:
    """The cached OpVJP for this primitive and params, the types of these input and output
    values, and the differentiated input positions."""
    key = (id(prim), tuple(params.items()) if params else (),
           tuple([(a.dtype, a.shape) for a in inputs]), wrt)
    found = _VJPS.get(key)
    if found is None:
        in_types = tuple(TensorType(a.dtype, tuple(a.shape)) for a in inputs)
        out_type = TensorType(output.dtype, tuple(output.shape))
        found = _VJPS[key] = OpVJP(prim, params, in_types, out_type, wrt)
    return found
