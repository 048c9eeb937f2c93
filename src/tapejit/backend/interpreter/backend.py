"""The interpreter as a backend: what runs when a kernel cannot be compiled, and the
reference the jit checker compares with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tapejit.backend.interpreter.source import PythonSource, load_function, python_source
from tapejit.ir import Program


def _fresh(value):
    """Outputs never share memory with inputs or with each other."""
    return np.array(value) if isinstance(value, np.ndarray) else value


@dataclass(frozen=True)
class InterpreterSource:
    """The program's Python source, and the NumPy scalar type of each rank-0 input (the
    calling convention passes those as Python numbers)."""

    python: PythonSource
    scalar_types: tuple

    @property
    def text(self) -> str:
        return self.python.text


class InterpreterKernel:
    """A program run by NumPy, one impl call per equation."""

    backend = "numpy"

    def __init__(self, source: InterpreterSource) -> None:
        self.source = source.text
        self._run = load_function(source.python)
        self._scalar_types = source.scalar_types

    def __call__(self, arrays: Sequence) -> tuple:
        typed = [a if t is None else t(a) for a, t in zip(arrays, self._scalar_types)]
        return tuple(_fresh(v) for v in self._run(*typed))

    def entry(self, *arrays) -> tuple:
        return self(arrays)

    first_call = __call__


class InterpreterBackend:
    name = "numpy"

    def lower(self, program: Program) -> InterpreterSource:
        types = tuple(v.type.dtype.type if v.type.ndim == 0 else None for v in program.inputs)
        return InterpreterSource(python_source(program, "interpreted"), types)

    def load(self, source: InterpreterSource) -> InterpreterKernel:
        return InterpreterKernel(source)
