"""What every backend provides: lower a program to source, load the source as a kernel, and
call the kernel on flat arrays. Backends live in folders of their own beside this file and
keep their own code for each primitive; nothing below the backend layer knows them.

The calling convention, the same for every kernel: `kernel(arrays)` takes the program's
inputs in order (NumPy arrays, or NumPy/Python scalars for rank-0 inputs) and returns a tuple
with one value per program output (a fresh array, or a NumPy/Python scalar for rank 0);
`kernel.entry` is the same function taking the inputs as positional arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from tapejit.ir import Program


class LoweringError(Exception):
    """A program uses something a backend cannot express (the caller chooses another)."""


class Kernel(Protocol):
    backend: str
    source: str
    """The generated text (shown by `lower()` and TAPEJIT_DEBUG=4)."""
    entry: Callable[..., tuple]

    def __call__(self, arrays: Sequence) -> tuple: ...

    def first_call(self, arrays: Sequence) -> tuple:
        """The first call, which may compile; backends recover here from what they can
        (e.g. unreadable cache files) and raise what they cannot."""
        ...


class Backend(Protocol):
    name: str

    def lower(self, program: Program) -> object:
        """The backend's source for `program` (fused); raises LoweringError."""
        ...

    def load(self, source) -> Kernel:
        """The kernel for a source from `lower` (compiled, or found in a cache)."""
        ...
