"""Vectorizable math for generated kernels: exp, expm1, log, log1p, sin, cos, tanh, sigmoid
and softplus, for float32 (`*_f32`) and float64 (`*_f64`).

Numba on this machine has no SVML, so a loop calling libm's exp cannot be vectorized. These
functions are straight-line arithmetic instead: Cody–Waite range reduction, a short
polynomial, and 2^k assembled from bits. LLVM inlines them into the caller's loop and
vectorizes it.

They are compiled without fast-math reassociation (only `contract`, for FMAs): the
reductions depend on the exact evaluation order, which `reassoc` in the calling kernel must
not undo. Special values follow NumPy: exp(-inf)=0, exp(inf)=inf, log(0)=-inf, log(x<0)=nan,
NaN in gives NaN out; subnormal results are produced, not flushed.

Accuracy (checked in tests/backend/test_vmath.py): within 2 ulp for exp/log/expm1/log1p and
4 ulp for the others. sin/cos reduce the argument with exactly computed (FMA) products of a
four-part pi/2, accurate for |x| < 2**40 (float32 arguments are reduced in float64); beyond
that they return NaN, and the kernel's loop recomputes those elements with libm.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
# NumPy's error model: x/0 gives inf instead of a branch that raises (branches block
# vectorization); no reassociation, which would undo the exact range reductions; LLVM-level
# forced inlining, so a calling loop sees straight-line code (each instruction keeps these
# flags when inlined, whatever the caller's).
inline_math = njit(fastmath={"contract"}, error_model="numpy", forceinline=True)


# --- bit casts and fused multiply-add ----------------------------------------------------------

def _bitcast(src, dst, ir_type):
    @intrinsic
    def cast(typingctx, x):
        if x != src:
            return None
        return dst(src), lambda ctx, builder, sig, args: builder.bitcast(args[0], ir_type)
    return cast


bits_f32 = _bitcast(types.float32, types.int32, ir.IntType(32))
bits_f64 = _bitcast(types.float64, types.int64, ir.IntType(64))
from_bits_f32 = _bitcast(types.int32, types.float32, ir.FloatType())
from_bits_f64 = _bitcast(types.int64, types.float64, ir.DoubleType())


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma)."""
    if not (a == b == c and a in (types.float32, types.float64)):
        return None
    return a(a, a, a), lambda ctx, builder, sig, args: builder.fma(*args)


# --- 2**k --------------------------------------------------------------------------------------

@inline_math
def ldexp_f32(p, k):
    """p * 2**h * 2**(k-h), h = k//2, for 1/2 <= |p| <= 2 and k in [-240, 250]: both factors
    are normal powers of two and p * 2**h is exact, so only the last product rounds (subnormal
    results are right, overflow gives inf)."""
    h = k >> I32(1)
    return (p * from_bits_f32(I32((h + I32(127)) << I32(23)))
            * from_bits_f32(I32((k - h + I32(127)) << I32(23))))


@inline_math
def ldexp_f64(p, k):
    """The same for k in [-2000, 2000]."""
    h = k >> I64(1)
    return (p * from_bits_f64(I64((h + I64(1023)) << I64(52)))
            * from_bits_f64(I64((k - h + I64(1023)) << I64(52))))
