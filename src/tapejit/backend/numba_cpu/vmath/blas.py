"""Matrix products on NumPy's own BLAS (numpy_blas.py says why), for float32 and float64.

Kernels call the cblas gemm by a symbol name this module registers with LLVM on import, so
cached kernels link to whatever address NumPy's library has in the new process. Kernels use
these only when numpy_blas.find() found the library; their text names `np.dot` otherwise, so
a kernel cached by one environment is never loaded by another that lacks the symbol.
"""

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from tapejit.backend.numba_cpu import numpy_blas

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _gemm_type(scalar):
    return types.void(types.intc, types.intc, types.intc, types.int64, types.int64,
                      types.int64, scalar, types.voidptr, types.int64, types.voidptr,
                      types.int64, scalar, types.voidptr, types.int64)


_sgemm = types.ExternalFunction("tapejit_cblas_sgemm64", _gemm_type(types.float32))
_dgemm = types.ExternalFunction("tapejit_cblas_dgemm64", _gemm_type(types.float64))


def register() -> bool:
    """Point the two symbols at NumPy's library; False when it was not found."""
    library = numpy_blas.find()
    if library is None:
        return False
    llvm.add_symbol("tapejit_cblas_sgemm64", library.sgemm)
    llvm.add_symbol("tapejit_cblas_dgemm64", library.dgemm)
    return True


register()


@intrinsic
def _data(typingctx, array):
    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.bitcast(view.data, cgutils.voidptr_t)
    return types.voidptr(array), codegen


@njit(cache=True, nogil=True)
def _leading(x):
    """(NO_TRANS or TRANS, leading dimension) for reading x in place, (0, 0) when BLAS
    cannot (strides that are negative, zero or not whole elements in both directions)."""
    rows, cols = x.shape
    unit = x.itemsize
    s0, s1 = x.strides
    if (cols == 1 or s1 == unit) and s0 % unit == 0:
        ld = s0 // unit if rows > 1 else cols
        if ld >= max(1, cols):
            return NO_TRANS, ld
    if (rows == 1 or s0 == unit) and s1 % unit == 0:
        ld = s1 // unit if cols > 1 else rows
        if ld >= max(1, rows):
            return TRANS, ld
    return 0, 0


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _product(a, b, out):
    """out = a @ b for an out whose rows are contiguous."""
    ta, lda = _leading(a)
    if ta == 0:
        a = np.ascontiguousarray(a)
        ta, lda = NO_TRANS, max(1, a.shape[1])
    tb, ldb = _leading(b)
    if tb == 0:
        b = np.ascontiguousarray(b)
        tb, ldb = NO_TRANS, max(1, b.shape[1])
    rows = out.shape[0]
    ldc = out.strides[0] // out.itemsize if rows > 1 else max(1, out.shape[1])
    _call(ta, lda, a, tb, ldb, b, out, ldc)


@njit(cache=True, nogil=True)
def blas_matmul_into(a, b, out):
    """out[...] = a @ b for 2-d float32 or float64 arrays of one dtype, as np.dot(a, b, out)."""
    if out.shape[0] == 0 or out.shape[1] == 0:
        return
    if a.shape[1] == 0:
        out[:, :] = 0
        return
    unit = out.itemsize
    rows_contiguous = (out.shape[1] == 1 or out.strides[1] == unit) and (
        out.shape[0] == 1 or (out.strides[0] % unit == 0
                              and out.strides[0] >= out.shape[1] * unit))
    if rows_contiguous:
        _product(a, b, out)
    else:
        product = np.empty(out.shape, out.dtype)
        _product(a, b, product)
        out[:, :] = product


@njit(cache=True, nogil=True)
def blas_matmul(a, b):
    """a @ b for 2-d float32 or float64 arrays of one dtype, as np.dot(a, b)."""
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    blas_matmul_into(a, b, out)
    return out
