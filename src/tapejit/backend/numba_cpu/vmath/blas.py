"""Matrix products on NumPy's own BLAS (numpy_blas.py says why), for float32 and float64.

Kernels call the cblas gemm by a symbol name this module registers with LLVM on import, so
cached kernels link to whatever address NumPy's library has in the new process. Kernels use
these only when numpy_blas.find() found the library; their text names `np.dot` otherwise, so
a kernel cached by one environment is never loaded by another that lacks the symbol.
"""

import llvmlite.binding as llvm
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from tapejit.backend.numba_cpu import numpy_blas
from tapejit.backend.numba_cpu.keyed_cache import cached_njit
from tapejit.backend.numba_cpu.numpy_blas import NO_TRANS, ROW_MAJOR, TRANS


def _gemm_type(scalar):
    return types.void(types.intc, types.intc, types.intc, types.int64, types.int64,
                      types.int64, scalar, types.voidptr, types.int64, types.voidptr,
                      types.int64, scalar, types.voidptr, types.int64)


_sgemm = types.ExternalFunction("tapejit_cblas_sgemm64", _gemm_type(types.float32))
_dgemm = types.ExternalFunction("tapejit_cblas_dgemm64", _gemm_type(types.float64))


def register() -> None:
    """Point the two symbols at NumPy's library, when it was found."""
    library = numpy_blas.find()
    if library is not None:
        llvm.add_symbol("tapejit_cblas_sgemm64", library.sgemm)
        llvm.add_symbol("tapejit_cblas_dgemm64", library.dgemm)


register()


@intrinsic
def _data(typingctx, array):
    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.bitcast(view.data, cgutils.voidptr_t)
    return types.voidptr(array), codegen


def _operand(x):
    """(NO_TRANS or TRANS, leading dimension, x or a contiguous copy of it): how BLAS reads
    x. A stub: Numba compiles the variant for x's layout (_operand_for_layout)."""


@overload(_operand)
def _operand_for_layout(x):
    """C and F arrays are read in place as they are; only an 'A' array (any strides) carries
    the checks and the copy, so a kernel's products stay small to load from the cache."""
    if x.layout == "C":
        return lambda x: (NO_TRANS, max(1, x.shape[1]), x)
    if x.layout == "F":
        return lambda x: (TRANS, max(1, x.shape[0]), x)
    return _any_operand


def _any_operand(x):
    rows, cols = x.shape
    unit = x.itemsize
    s0, s1 = x.strides
    if (cols == 1 or s1 == unit) and s0 % unit == 0:
        ld = s0 // unit if rows > 1 else cols
        if ld >= max(1, cols):
            return NO_TRANS, ld, x
    if (rows == 1 or s0 == unit) and s1 % unit == 0:
        ld = s1 // unit if cols > 1 else rows
        if ld >= max(1, rows):
            return TRANS, ld, x
    return NO_TRANS, max(1, cols), np.ascontiguousarray(x)


@cached_njit(nogil=True)
def _call(ta, lda, a, tb, ldb, b, out, ldc):
    """out = a @ b; the arrays are arguments so the caller keeps them alive over the call."""
    m, k = a.shape
    n = b.shape[1]
    if a.itemsize == 4:
        _sgemm(ROW_MAJOR, ta, tb, m, n, k, np.float32(1), _data(a), lda, _data(b), ldb,
               np.float32(0), _data(out), ldc)
    else:
        _dgemm(ROW_MAJOR, ta, tb, m, n, k, np.float64(1), _data(a), lda, _data(b), ldb,
               np.float64(0), _data(out), ldc)


@cached_njit(nogil=True)
def _product(a, b, out, ldc):
    """out = a @ b for an out whose rows are contiguous, ldc elements apart."""
    if out.shape[0] == 0 or out.shape[1] == 0:
        return
    if a.shape[1] == 0:
        out[:, :] = 0
        return
    ta, lda, a_read = _operand(a)
    tb, ldb, b_read = _operand(b)
    _call(ta, lda, a_read, tb, ldb, b_read, out, ldc)


@cached_njit(nogil=True)
def blas_matmul_into(a, b, out):
    """out[...] = a @ b for 2-d float32 or float64 arrays of one dtype, as np.dot(a, b, out)."""
    unit = out.itemsize
    rows, cols = out.shape
    s0 = out.strides[0]
    if (cols == 1 or out.strides[1] == unit) and (rows == 1 or (s0 % unit == 0
                                                                and s0 >= cols * unit)):
        _product(a, b, out, s0 // unit if rows > 1 else max(1, cols))
    else:
        product = np.empty(out.shape, out.dtype)
        _product(a, b, product, max(1, cols))
        out[:, :] = product


@cached_njit(nogil=True)
def blas_matmul(a, b):
    """a @ b for 2-d float32 or float64 arrays of one dtype, as np.dot(a, b)."""
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    _product(a, b, out, max(1, b.shape[1]))
    return out
