"""What the code tables' entries see: an elementwise entry gets an ExprContext, an array entry
an ArrayContext."""

from __future__ import annotations

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu.scalar_code import VMATH
from tapejit.backend.numba_cpu.source import KernelBuilder, np_type, vmath_name
from tapejit.ir import Eqn


class ExprContext:
    """The equation's dtypes and helpers for constants and vectorizable math; `libm` names
    the functions to take from libm here (scalars, and sin/cos beyond vmath's range)."""

    def __init__(self, kernel: KernelBuilder, eqn: Eqn, libm: frozenset = frozenset()) -> None:
        self.kernel = kernel
        self.eqn = eqn
        self.dtype = eqn.out.type.dtype
        self.in_dtypes = [a.type.dtype for a in eqn.inputs]
        self.libm = libm

    def const(self, value, dtype=None) -> str:
        return self.kernel.const(value, self.dtype if dtype is None else dtype)

    def math(self, fn: str, x: str) -> str:
        """A vectorizable vmath function (exp, log, ...) for the operand dtype, e.g.
        exp_f32(x); libm through `math` where vmath has none."""
        dtype = self.in_dtypes[0]
        if dtype.kind != "f" or dtype.itemsize not in (4, 8):
            raise LoweringError(f"{fn} on {dtype} has no Numba implementation")
        if fn in VMATH and fn not in self.libm:
            name = vmath_name(fn, dtype)
            self.kernel.math.add(name)
            return f"{name}({x})"
        return self._libm(fn, x)

    def helper(self, name: str, *args: str) -> str:
        """A branch-free vmath helper (where, nan_max, nan_min, sign), so long kernels keep
        a straight-line control flow."""
        self.kernel.math.add(name)
        return f"{name}({', '.join(args)})"

    def _libm(self, fn: str, x: str) -> str:
        one, zero = self.const(1), self.const(0)
        if fn == "sigmoid":
            return f"({one} / ({one} + math.exp(-{x})))"
        if fn == "softplus":
            return f"(max({x}, {zero}) + math.log1p(math.exp(-abs({x}))))"
        return f"math.{fn}({x})"


class ArrayContext:
    """The output name, the equation's types, runtime sizes and temporaries."""

    def __init__(self, kernel: KernelBuilder, eqn: Eqn, out: str) -> None:
        self.kernel = kernel
        self.eqn = eqn
        self.out = out
        self.in_types = [a.type for a in eqn.inputs]
        self.out_type = eqn.out.type

    def size(self, n: int) -> str:
        return self.kernel.size(n)

    def shape(self, dims) -> str:
        return self.kernel.shape(dims)

    def temp(self, stem: str = "t") -> str:
        return self.kernel.new_temp(stem)

    def np_type(self, dtype) -> str:
        return np_type(np.dtype(dtype))
