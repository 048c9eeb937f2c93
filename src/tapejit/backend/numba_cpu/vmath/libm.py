"""libm's exp2 for kernels, by name per float type. Numba's np.exp2 and np.log2 (and
math.exp2) declare LLVM's unsuffixed llvm.exp2/llvm.log2 intrinsic with the operand's type,
so a kernel computing them in float32 and float64 fails to compile (the second declaration
conflicts). Kernels call these instead, and math.log2 (libm's log2f/log2 by name): the
functions NumPy's ufuncs call, so the bits are NumPy's."""

from __future__ import annotations

from numba import types

from tapejit.backend.numba_cpu.vmath.core import inline_math

_exp2_f64 = types.ExternalFunction("exp2", types.float64(types.float64))
_exp2_f32 = types.ExternalFunction("exp2f", types.float32(types.float32))


@inline_math
def exp2_f64(x):
    return _exp2_f64(x)


@inline_math
def exp2_f32(x):
    return _exp2_f32(x)
