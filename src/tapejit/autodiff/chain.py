"""A recorded chain's eager backward pass as one generated Python function.

A tape names the chain it recorded by its entries' keys (record.Recorded.key), the kinds of
its watched leaves and the numbers of the sources and targets (`chain_signature`). The
second time a chain of one name is differentiated (a training loop records the same chain
every step), the single-op VJPs of the op-by-op pass (autodiff.eager) are inlined, in the
order that pass runs them, into one function: the same NumPy calls and the same sums, so
the same bits, without a VJP lookup per op or a dictionary of cotangents. A cotangent is
deleted once its op consumed it and each step's temporaries at the step's end, as the
op-by-op pass drops them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tapejit.autodiff.eager import OpVJP, op_vjp
from tapejit.autodiff.record import relevant_entries
from tapejit.ir import Var, walk
from tapejit.tensor import Tensor

MAX_ENTRIES = 1000
"""Longer chains run op by op (their generated function would take long to compile)."""

CACHE_SIZE = 256
"""Chains remembered (seen once, or generated); the oldest is forgotten first."""

_CHAINS: dict = {}  # signature -> _SEEN_ONCE, _UNSUITABLE or the generated function
_SEEN_ONCE, _UNSUITABLE = "seen once", "unsuitable"


def chain_signature(entries, leaves, source_numbers, target_numbers) -> tuple | None:
    """The name of a recorded chain and of the gradient asked of it, or None when it has no
    name (an op with several outputs, too many ops)."""
    if len(entries) > MAX_ENTRIES:
        return None
    keys = tuple([e.key for e in entries])
    if None in keys or None in target_numbers:
        return None
    return keys, tuple(leaves), tuple(source_numbers), tuple(target_numbers)


def cached_chain(signature: tuple, build: Callable[[], Callable | None]) -> Callable | None:
    """The generated backward function of the chain named `signature`: None the first time
    a name is seen (the op-by-op pass runs), built by `build()` the second time. One
    dictionary lookup when found (hashing and comparing a long signature is the cost)."""
    try:
        found = _CHAINS.get(signature)
    except TypeError:  # params that cannot be hashed
        return None
    if found is None:
        _CHAINS[signature] = _SEEN_ONCE
        if len(_CHAINS) > CACHE_SIZE:
            _CHAINS.pop(next(iter(_CHAINS), None), None)
        return None
    if found is _SEEN_ONCE:
        found = build()
        _CHAINS[signature] = _UNSUITABLE if found is None else found
    return None if found is _UNSUITABLE else found


class _Source:
    """The text of one generated function and the objects it refers to."""

    def __init__(self) -> None:
        self.lines = ["def chain(E, cts, release):"]
        self.namespace: dict[str, object] = {}
        self.grads: dict[int, str] = {}  # value id -> the local holding its cotangent
        self.temps = 0

    def ref(self, value) -> str:
        if isinstance(value, str):
            return value
        name = f"c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def grad(self, key: int) -> str:
        if key not in self.grads:
            self.grads[key] = f"g{len(self.grads)}"
        return self.grads[key]

    def line(self, text: str) -> None:
        self.lines.append("    " + text)

    def function(self, scalars_only: bool = False):
        """The generated function; one over scalars alone keeps its temporaries to the end
        (a `del` frees nothing worth its statement)."""
        namespace = dict(self.namespace)
        lines = _fold_moves(self.lines)
        if scalars_only:
            lines = [line for line in lines if not line.startswith("    del ")]
        text = "\n".join(lines)
        exec(compile(text, "<tapejit chain backward>", "exec"), namespace)
        chain = namespace["chain"]
        chain.source = text
        return chain


_MOVE = re.compile(r"    (g\d+) = (t\d+_0)")


def _fold_moves(lines: list[str]) -> list[str]:
    """`t = expr; [del other temps;] g = t; del t` written as `g = expr; [del ...]`: a
    temporary that only carries a step's result into its cotangent costs two statements."""
    out = list(lines)
    for i in range(len(out) - 2, 0, -1):
        move = _MOVE.fullmatch(out[i])
        if move is None or out[i + 1] != f"    del {move.group(2)}":
            continue
        j = i - 1
        while out[j].startswith("    del ") and move.group(2) not in out[j][8:].split(", "):
            j -= 1
        prefix = f"    {move.group(2)} = "
        if out[j].startswith(prefix):
            out[j] = f"    {move.group(1)} = {out[j][len(prefix):]}"
            del out[i:i + 2]
    return out


def _operand(entry, index: int, j: int) -> str:
    kind = type(entry.inputs[j])
    return f"E[{index}].inputs[{j}]" + ("._value" if kind is Tensor else "")


def _feeds(src: _Source, vjp: OpVJP, entry, index: int, ct: str) -> list[str]:
    """What the step passes to each input of the op's VJP program."""
    feeds = []
    for what in vjp.sources:
        if what.startswith("ins["):
            feeds.append(_operand(entry, index, int(what[4:-1])))
        elif what == "out":
            feeds.append(f"E[{index}].outputs[0]._value")
        elif what == "ct":
            feeds.append(ct)
        else:  # consts[j]
            feeds.append(src.ref(vjp.consts[int(what[7:-1])]))
    return feeds


def _last_reads(program) -> dict[int, int]:
    """For each var an equation reads (and no output is), the index of the last equation
    reading it."""
    last = {id(a): k for k, eqn in enumerate(program.eqns) for a in eqn.inputs
            if type(a) is Var}
    for a in program.outputs:
        last.pop(id(a), None)
    return last


def _drop_after(src: _Source, dropping: list[str], temps: list[str], arrays: set) -> None:
    """Release what an equation read for the last time: a temporary is deleted; a recorded
    value (a releasing pass) leaves its entry, so a big residual goes before the step
    allocates its next array."""
    dead = [name for name in dropping if name in temps]
    for name in dead:
        temps.remove(name)
    if dead:
        src.line(f"del {', '.join(dead)}")
    for name in dropping:
        slot = _ENTRY_SLOT.fullmatch(name)
        if slot is None or name not in arrays:  # a scalar is not worth a line
            continue
        entry, position = f"E[{slot.group(1)}]", slot.group(2)
        if position is None:
            src.line(f"if release: {entry}.outputs = None")
        else:
            j = int(position)
            src.line(f"if release: {entry}.inputs = {entry}.inputs[:{j}] + (None,) + "
                     f"{entry}.inputs[{j + 1}:]")


def _inline(src: _Source, vjp: OpVJP, feeds: list[str], owned: list[str],
            arrays: set) -> tuple[list, list[str]]:
    """Emit the VJP program's equations; its outputs (names or values) and the
    temporaries it made or was given (`owned`) that are still alive. After each equation,
    what it read for the last time is dropped (a recorded value, when one of `arrays`)."""
    temps = list(owned)
    last = _last_reads(vjp.program)
    count = [0]

    def emit(eqn, ins):
        k = count[0]
        count[0] += 1
        dropping = [ins[j] for j, a in enumerate(eqn.inputs)
                    if type(a) is Var and last.get(id(a)) == k and isinstance(ins[j], str)]
        result = _emit(eqn, ins)
        _drop_after(src, list(dict.fromkeys(dropping)), temps, arrays)
        return result

    def _emit(eqn, ins):
        args = [src.ref(x) for x in ins]
        operator = _operator(eqn)
        if operator is not None:
            src.temps += 1
            temps.append(f"t{src.temps}_0")
            expression = operator.join(args) if len(args) == 2 else operator + args[0]
            src.line(f"{temps[-1]} = {expression}")
            return temps[-1]
        impl = src.ref(eqn.prim.impl)
        if eqn.params:
            args.append("**" + src.ref(eqn.params))
        src.temps += 1
        outs = [f"t{src.temps}_{k}" for k in range(len(eqn.outputs))]
        temps.extend(outs)
        unpack = "," if eqn.prim.multiple_results and len(outs) == 1 else ""
        src.line(f"{', '.join(outs)}{unpack} = {impl}({', '.join(args)})")
        return outs if eqn.prim.multiple_results or len(outs) > 1 else outs[0]

    return walk(vjp.program, feeds, emit), temps


_ENTRY_SLOT = re.compile(r"E\[(\d+)\]\.(?:inputs\[(\d+)\]|outputs\[0\])(?:\._value)?")


def _operator(eqn) -> str | None:
    """The Python operator computing `eqn` (an add, sub, mul or neg of floats), written
    inline: the same IEEE result as its NumPy impl, without a call per scalar op."""
    impl = eqn.prim.impl
    symbol = getattr(impl, "infix", None) or getattr(impl, "prefix", None)
    if symbol is None or not all(a.type.dtype.kind == "f" for a in eqn.inputs):
        return None
    return f" {symbol} " if len(eqn.inputs) == 2 else symbol


def _accumulate(src: _Source, has: set, key: int, value) -> None:
    name, expr = src.grad(key), src.ref(value)
    src.line(f"{name} = {name} + {expr}" if key in has else f"{name} = {expr}")
    has.add(key)


def build_chain(entries: list, targets, unique) -> Callable | None:
    """Generate the backward function of `entries` from the `unique` source tensors to
    `targets`: chain(E, cts, release) with E the entries and cts the targets' raw cotangents
    gives a cotangent (or None) per source; with `release`, each entry drops its values
    when its step is done. None for a chain with an op of several outputs."""
    relevant, reach = relevant_entries(entries, targets, unique)
    if any(e.prim.multiple_results for e in relevant):
        return None
    position = {id(e): i for i, e in enumerate(entries)}
    sources = {id(t) for t in unique}
    src, has = _Source(), set()
    for i, target in enumerate(targets):
        if id(target) in reach:
            _accumulate(src, has, id(target), f"cts[{i}]")
    read: dict[int, set] = {}  # entry index -> the values its step reads
    for e in reversed(relevant):
        if e.out_id in has:
            read[position[id(e)]] = _step(src, has, e, position[id(e)], reach, sources)
    results = [src.grad(id(t)) if id(t) in has else "None" for t in unique]
    src.line(f"return ({', '.join(results)},)" if results else "return ()")
    src.lines[1:1] = _release_unread(entries, read)
    scalars_only = not any(_is_array(v) for e in relevant for v in (*e.inputs, e.outputs[0]))
    return src.function(scalars_only)


def _release_unread(entries: list, read: dict) -> list[str]:
    """Lines that make a releasing pass drop, before its first step, every array value
    no step reads (the residuals stay until their op's step is done)."""
    lines = []
    for index, e in enumerate(entries):
        wanted = read.get(index, set())
        kept = [f"E[{index}].inputs[{j}]" if f"ins[{j}]" in wanted else "None"
                for j in range(len(e.inputs))]
        drop_inputs = any(_is_array(a) for j, a in enumerate(e.inputs)
                          if f"ins[{j}]" not in wanted)
        if drop_inputs:
            lines.append(f"        E[{index}].inputs = ({', '.join(kept)},)")
        if "out" not in wanted and _is_array(e.outputs[0]):
            lines.append(f"        E[{index}].outputs = None")
    return ["    if release:", *lines] if lines else []


def _is_array(value) -> bool:
    data = value._value if type(value) is Tensor else value
    return getattr(data, "ndim", 0) > 0


def _step(src: _Source, has: set, e, index: int, reach: set, sources: set) -> set:
    """One op's VJP, as the op-by-op pass (backward.EagerGradient) runs it; the values it
    reads (`ins[j]`, `out`)."""
    values = [a._value if type(a) is Tensor else a for a in e.inputs]
    wrt = tuple(i for i, k in enumerate(e.ids) if k in reach and values[i].dtype.kind == "f")
    vjp = op_vjp(e.prim, e.params, values, e.output._value, wrt)
    ct = src.grad(e.out_id)
    owned = [] if e.out_id in sources else [ct]  # a source's cotangent is its result
    feeds = _feeds(src, vjp, e, index, ct)
    arrays = {f for f, what in zip(feeds, vjp.sources)
              if (what == "out" and _is_array(e.outputs[0]))
              or (what.startswith("ins[") and _is_array(e.inputs[int(what[4:-1])]))}
    outs, dead = _inline(src, vjp, feeds, owned, arrays)
    for p, in_ct in zip(vjp.wrt, outs):
        _accumulate(src, has, e.ids[p], in_ct)
    if owned:
        has.discard(e.out_id)
    if dead:
        src.line(f"del {', '.join(dead)}")
    if any(_is_array(v) for v in (*e.inputs, e.outputs[0])):  # run() drops the scalars
        src.line("if release:")
        src.line(f"    E[{index}].inputs = E[{index}].outputs = None")
    return set(vjp.sources)
