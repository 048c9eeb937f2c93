"""Prints programs as flat, jaxpr-like text with names given at print time."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import short_name
from tapejit.ir.core import Eqn, Lit, Program, Var


def _name(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, ... (bijective base 26)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = "abcdefghijklmnopqrstuvwxyz"[rest] + name
    return name


class _Namer:
    def __init__(self):
        self._names: dict[int, str] = {}

    def __call__(self, var: Var) -> str:
        key = id(var)
        if key not in self._names:
            self._names[key] = _name(len(self._names))
        return self._names[key]


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


def _atom(namer: _Namer, atom) -> str:
    return format_lit(atom) if isinstance(atom, Lit) else namer(atom)


def _binder(namer: _Namer, var: Var) -> str:
    return f"{namer(var)}:{var.type}"


def _eqn_lines(namer: _Namer, eqn: Eqn) -> list[str]:
    outs = " ".join(_binder(namer, v) for v in eqn.outputs)
    shown = {k: v for k, v in eqn.params.items() if not isinstance(v, Program)}
    params = ", ".join(f"{k}={format_param(shown[k])}" for k in sorted(shown))
    head = f"{eqn.prim.name}[{params}]" if params else eqn.prim.name
    ins = " ".join(_atom(namer, a) for a in eqn.inputs)
    lines = [f"{outs} = {head} {ins}".rstrip()]
    for key in sorted(k for k, v in eqn.params.items() if isinstance(v, Program)):
        body = _program_lines(namer, eqn.params[key])
        body[0] = f"{key}={body[0]}"
        lines.extend("    " + line for line in body)
    return lines


def _program_lines(namer: _Namer, program: Program) -> list[str]:
    head = " ".join(["{ lambda", *(_binder(namer, v) for v in program.inputs), "."])
    body = [line for eqn in program.eqns for line in _eqn_lines(namer, eqn)]
    lines = [head]
    lines.extend(("  let " if i == 0 else "      ") + line for i, line in enumerate(body or [""]))
    outs = " ".join(_atom(namer, a) for a in program.outputs)
    lines.append(f"  in ({outs}) }}")
    return [line.rstrip() for line in lines]


def format_program(program: Program) -> str:
    """Stable text of a program; golden files compare against it."""
    return "\n".join(_program_lines(_Namer(), program))
