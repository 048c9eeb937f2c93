"""The interpreter as a backend: what runs when a kernel cannot be compiled, while one
compiles in the background, and for TAPEJIT_DISABLE_JIT."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tapejit.backend.interpreter.source import PythonSource, load_function, python_source
from tapejit.ir import Program


def _fresh(value):
    """Outputs never share memory with inputs or with each other."""
    return np.array(value) if isinstance(value, np.ndarray) else value


class InterpreterKernel:
    """A program run by NumPy, one impl call per equation."""

    backend = "numpy"

    def __init__(self, source: PythonSource) -> None:
        self.source = source.text
        self._run = load_function(source)

    def __call__(self, arrays: Sequence) -> tuple:
        return tuple(_fresh(v) for v in self._run(*arrays))

    def entry(self, *arrays) -> tuple:
        return self(arrays)

    first_call = __call__


class InterpreterBackend:
    name = "numpy"

    def lower(self, program: Program, *, fastmath: bool = True) -> PythonSource:
        return python_source(program, "interpreted")

    def load(self, source: PythonSource) -> InterpreterKernel:
        return InterpreterKernel(source)
