"""Program (typed SSA: inputs, equations, outputs) and its text: flat and jaxpr-like, with
names given at print time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapejit.dtypes import short_name
from tapejit.ir.core import Eqn, Lit, Var


@dataclass(frozen=True, slots=True, eq=False)
class Program:
    """Typed SSA: input vars, equations in order, output atoms."""

    inputs: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    outputs: tuple

    def __str__(self) -> str:
        return format_program(self)

    def __repr__(self) -> str:
        counts = (len(self.inputs), len(self.eqns), len(self.outputs))
        return "Program(inputs={}, eqns={}, outputs={})".format(*counts)


def _name(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, ... (bijective base 26)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = "abcdefghijklmnopqrstuvwxyz"[rest] + name
    return name


class Namer:
    """Names vars in the order they are first printed: a, b, ..., z, aa, ..."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def __call__(self, var: Var) -> str:
        key = id(var)
        if key not in self._names:
            self._names[key] = _name(len(self._names))
        return self._names[key]


class Style:
    """Exact text (the default) or size-free text, where every size but 1 prints as `?` and
    literal values are hidden; kernels carry the size-free text so that their source does
    not change with the batch size. Which params are sizes, each primitive declares."""

    def __init__(self, sized: bool = True) -> None:
        self.sized = sized

    def type(self, t) -> str:
        if self.sized:
            return str(t)
        dims = ",".join("1" if d == 1 else "?" for d in t.shape)
        return f"{short_name(t.dtype)}[{dims}]"

    def lit(self, lit: Lit) -> str:
        return format_lit(lit) if self.sized else f"lit:{short_name(lit.value.dtype)}[]"

    def param(self, eqn: Eqn, key: str, value) -> str:
        if self.sized or key not in eqn.prim.size_params:
            return format_param(value)
        if isinstance(value, int):
            return "?"
        return "(" + ",".join("?" for _ in value) + ("," if len(value) == 1 else "") + ")"


def format_lit(lit: Lit) -> str:
    value = lit.value
    text = repr(value.item()) if value.dtype.kind != "b" else str(bool(value)).lower()
    return f"{text}:{short_name(value.dtype)}[]"


def format_param(value) -> str:
    if isinstance(value, np.dtype):
        return short_name(value)
    if isinstance(value, Program):
        return "{...}"
    if isinstance(value, tuple):
        inner = ", ".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def sub_programs(params: dict) -> list[tuple[str, Program]]:
    """The sub-programs an equation's params hold, with their names: `body`, or
    `branches[0]`, `branches[1]`... for a tuple of them."""
    found = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, Program):
            found.append((key, value))
        elif isinstance(value, tuple) and value and all(isinstance(v, Program) for v in value):
            found.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
    return found


def _holds_programs(value) -> bool:
    return isinstance(value, Program) or (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, Program) for v in value))


def _atom(namer: Namer, atom, style: Style) -> str:
    return style.lit(atom) if isinstance(atom, Lit) else namer(atom)


def _binder(namer: Namer, var: Var, style: Style) -> str:
    return f"{namer(var)}:{style.type(var.type)}"


def format_eqn(namer: Namer, eqn: Eqn, style: Style | None = None) -> str:
    """One equation's first line, e.g. `c:f32[4] = sin a`."""
    style = style or Style()
    outs = " ".join(_binder(namer, v, style) for v in eqn.outputs)
    shown = {k: v for k, v in eqn.params.items() if not _holds_programs(v)}
    params = ", ".join(f"{k}={style.param(eqn, k, shown[k])}" for k in sorted(shown))
    head = f"{eqn.prim.name}[{params}]" if params else eqn.prim.name
    ins = " ".join(_atom(namer, a, style) for a in eqn.inputs)
    return f"{outs} = {head} {ins}".rstrip()


def _eqn_lines(namer: Namer, eqn: Eqn, style: Style) -> list[str]:
    lines = [format_eqn(namer, eqn, style)]
    for key, sub in sub_programs(eqn.params):
        body = _program_lines(namer, sub, style)
        body[0] = f"{key}={body[0]}"
        lines.extend("    " + line for line in body)
    return lines


def _program_lines(namer: Namer, program: Program, style: Style) -> list[str]:
    head = " ".join(["{ lambda", *(_binder(namer, v, style) for v in program.inputs), "."])
    body = [line for eqn in program.eqns for line in _eqn_lines(namer, eqn, style)]
    lines = [head]
    lines.extend(("  let " if i == 0 else "      ") + line for i, line in enumerate(body or [""]))
    outs = " ".join(_atom(namer, a, style) for a in program.outputs)
    lines.append(f"  in ({outs}) }}")
    return [line.rstrip() for line in lines]


def format_program(program: Program, sized: bool = True, namer: Namer | None = None) -> str:
    """Stable text of a program; golden files compare against it. With sized=False, sizes
    other than 1 and literal values are hidden (the text kernels carry)."""
    return "\n".join(_program_lines(namer or Namer(), program, Style(sized)))
