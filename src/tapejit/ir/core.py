"""IR nodes: Var, Lit, Site, Eqn, and the Primitive record that holds an op's rules."""

from __future__ import annotations

import linecache
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


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Primitive:
    """One op and all of its rules; a rule that does not apply is None.

    type_rule(*in_types, **params) -> TensorType     (abstract eval; also the verifier's check;
                                                      a tuple of types for several outputs)
    impl(*arrays, **params) -> ndarray                (NumPy; eager mode and the interpreter)
    impl_into(out, *arrays) -> out                    (impl's bits written into `out`, an array
                                                      of the result's type: eager ops reuse a
                                                      temporary operand's array this way)
    jvp(primals, tangents, out, **params) -> tangent  (written with ops, so it can be traced)
    transpose(ct, *args, **params) -> input cts       (linear prims; linear args are Undefined)
    batch(prim, args, dims, **params) -> (out, dim)   (vmap: dims[i] is the batched axis of
                                                      args[i] or None, at least one is not;
                                                      written with bind; several outputs
                                                      give a tuple of outs and of dims)
    kind: how backends schedule it: "elementwise", "broadcast" and "reduce" fuse into loops;
        "view" reshapes or reindexes without arithmetic; "dot", "fused" and "other" stand alone.
    multiple_results: the rule gives a tuple of types, the impl a tuple of arrays and the JVP
        a tuple of tangents (None where zero); a transpose gets a tuple of cotangents. The
        higher-order primitives are such, even with one output.
    size_params: params that hold sizes. Size-free program text (what kernels are keyed by)
        hides them, and backends read them at run time, so a new batch size does not change
        a kernel.

    Backends keep their own code per primitive, keyed by name; the record knows none of them.
    """

    name: str
    type_rule: Callable[..., Any]
    impl: Callable[..., Any]
    impl_into: Callable[..., Any] | None = None
    jvp: Callable[..., Any] | None = None
    transpose: Callable[..., Any] | None = None
    batch: Callable[..., Any] | None = None
    kind: str = "elementwise"
    size_params: tuple[str, ...] = ()
    multiple_results: bool = False

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


def params_key(params: dict[str, Any]) -> tuple:
    """A hashable, order-independent form of an equation's params."""
    return tuple(sorted(params.items()))
