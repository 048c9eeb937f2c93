"""IR nodes: Var, Lit, Eqn, Program, and the Primitive record that holds an op's rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tapejit.ir.types import TensorType


@dataclass(frozen=True, slots=True, eq=False)
class Var:
    """A value defined exactly once in a program. Compares by identity; named when printed."""

    type: TensorType

    def __repr__(self) -> str:
        return f"Var({self.type})"


@dataclass(frozen=True, slots=True, eq=False)
class Lit:
    """A scalar constant written inline, e.g. `2.0:f32[]`."""

    value: np.generic

    @property
    def type(self) -> TensorType:
        return TensorType(self.value.dtype, ())

    def __repr__(self) -> str:
        return f"Lit({self.value!r})"


Atom = Var | Lit


@dataclass(frozen=True, slots=True)
class Site:
    """Where user code created an equation: file, line and function."""

    filename: str
    lineno: int
    function: str

    def line_text(self) -> str:
        import linecache

        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        text = self.line_text()
        where = f"{self.filename}:{self.lineno} in {self.function}"
        return f"{where}: {text}" if text else where


@dataclass(frozen=True, slots=True, eq=False)
class Eqn:
    """`outputs = prim[params](inputs)`."""

    prim: Primitive
    inputs: tuple[Atom, ...]
    outputs: tuple[Var, ...]
    params: dict[str, Any] = field(default_factory=dict)
    site: Site | None = None

    @property
    def out(self) -> Var:
        return self.outputs[0]


@dataclass(frozen=True, slots=True, eq=False)
class Program:
    """Typed SSA: input vars, equations in order, output atoms."""

    inputs: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    outputs: tuple[Atom, ...]

    def __str__(self) -> str:
        from tapejit.ir.printer import format_program

        return format_program(self)

    def __repr__(self) -> str:
        counts = (len(self.inputs), len(self.eqns), len(self.outputs))
        return "Program(inputs={}, eqns={}, outputs={})".format(*counts)


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """One op and all of its rules; a rule that does not apply is None.

    type_rule(*in_types, **params) -> TensorType     (abstract eval; also the verifier's check)
    impl(*arrays, **params) -> ndarray                (NumPy; eager mode and the interpreter)
    jvp(primals, tangents, out, **params) -> tangent  (written with ops, so it can be traced)
    transpose(ct, *args, **params) -> input cts       (linear prims; linear args are Undefined)
    emit                                              (Numba codegen of one equation)
    kind                                              (fusion class: elementwise, reduce, ...)
    """

    name: str
    type_rule: Callable[..., TensorType]
    impl: Callable[..., Any]
    jvp: Callable[..., Any] | None = None
    transpose: Callable[..., Any] | None = None
    emit: Callable[..., Any] | None = None
    kind: str = "elementwise"

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


def params_key(params: dict[str, Any]) -> tuple:
    """A hashable, order-independent form of an equation's params."""
    return tuple(sorted(params.items()))
