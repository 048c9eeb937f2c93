"""Program -> Python source calling each equation's NumPy impl directly, in order
(`t2 = impl_1(a0, t1)`), so running it costs only the impl calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tapejit.ir import Program, dead_vars, walk


@dataclass(frozen=True)
class PythonSource:
    """Generated text and the objects it refers to (impls, params, literal values)."""

    text: str
    namespace: dict
    name: str


def python_source(program: Program, name: str = "run", signature: str | None = None,
                  sources: Sequence[str] | None = None) -> PythonSource:
    """The source of a function computing `program`.

    By default it takes the program's inputs as arguments; `signature` and `sources` (an
    expression per input, e.g. `ins[1]`) let it unpack them itself. A value is deleted after
    the equation that reads it last, so a long program of big arrays (a rematerialized
    backward pass) holds only what is still to be read.
    """
    inputs = [f"a{i}" for i in range(len(program.inputs))]
    names = {id(v): name for v, name in zip(program.inputs, inputs)}
    dead = iter(dead_vars(program))
    namespace: dict[str, object] = {}
    lines = [f"def {name}({', '.join(inputs) if signature is None else signature}):"]
    if sources is not None:
        lines += [f"    {var} = {src}" for var, src in zip(inputs, sources)]

    def ref(value) -> str:
        if isinstance(value, str):
            return value
        key = f"c{len(namespace)}"
        namespace[key] = value
        return key

    def emit(eqn, ins) -> str | list[str]:
        i = len(lines)
        namespace[f"impl{i}"], namespace[f"params{i}"] = eqn.prim.impl, eqn.params
        outs = [f"t{i}_{k}" for k in range(len(eqn.outputs))]
        args = [ref(x) for x in ins] + ([f"**params{i}"] if eqn.params else [])
        call = f"impl{i}({', '.join(args)})"
        unpack = "," if eqn.prim.multiple_results and len(outs) == 1 else ""
        lines.append(f"    {', '.join(outs)}{unpack} = {call}")
        names.update((id(v), name) for v, name in zip(eqn.outputs, outs))
        dropped = [names[key] for key in next(dead) if key in names]
        if dropped:
            lines.append(f"    del {', '.join(dropped)}")
        return outs if eqn.prim.multiple_results or len(outs) > 1 else outs[0]

    results = [ref(x) for x in walk(program, inputs, emit)]
    lines.append(f"    return ({', '.join(results)},)" if results else "    return ()")
    return PythonSource("\n".join(lines), namespace, name)


def python_function(program: Program, name: str = "run", signature: str | None = None,
                    sources: Sequence[str] | None = None):
    """The function `python_source` describes, ready to call."""
    return load_function(python_source(program, name, signature, sources))


def load_function(source: PythonSource):
    namespace = dict(source.namespace)
    exec(compile(source.text, f"<tapejit {source.name}>", "exec"), namespace)
    return namespace[source.name]
