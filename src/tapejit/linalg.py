"""tj.linalg: TensorFlow's linear-algebra names, arguments and output orders (tf.linalg), plus
SciPy's solve_triangular, over the same differentiable LAPACK primitives as
tapejit.numpy.linalg. Integer and bool inputs become float32 (tapejit's float-only policy);
leading dimensions are batch dimensions and broadcast between operands.

Differences from NumPy's names: `svd` returns (s, u, v) with v not transposed,
`slogdet` returns (sign, log_abs_determinant), `eigh` reads the lower triangle only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tapejit import ops
from tapejit.creation import eye
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.linalg_core import batch_shape, identity_like, solve_stacks
from tapejit.numpy.linalg_norm import matrix_norm, vector_norm
from tapejit.ops.operands import binary_operands, float_operand
from tapejit.primitives import decompositions as dec
from tapejit.primitives import spectral
from tapejit.primitives.decompositions import LinAlgError, mT
from tapejit.site import user_site
from tapejit.trace import Tracer

__all__ = ["LinAlgError", "cholesky", "cholesky_solve", "det", "eigh", "eigvalsh", "eye", "inv",
           "logdet", "lstsq", "matmul", "matrix_transpose", "norm", "pinv", "qr", "slogdet",
           "solve", "solve_triangular", "svd", "triangular_solve"]


class Qr(NamedTuple):
    q: object
    r: object


def _matrices(op: str, x):
    x = float_operand(x, op)
    if len(x.shape) < 2:
        raise op_error(ShapeError, op, f"expects a tensor of rank >= 2, got shape "
                       f"{list(x.shape)}", "pass a matrix or a batch of matrices [..., M, N]",
                       user_site())
    return x


def _pair(op: str, x, y):
    x, y = binary_operands(op, x, y)
    return float_operand(x, op), float_operand(y, op)


def _broadcast_system(op: str, a, b):
    """a [..., M, M] and b [..., M, K] with their batch dimensions broadcast."""
    a, b = _matrices(op, a), _matrices(op, b)
    batch = batch_shape(op, a.shape[:-2], b.shape[:-2])
    return (ops.broadcast_to(a, batch + tuple(a.shape[-2:])),
            ops.broadcast_to(b, batch + tuple(b.shape[-2:])))


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    return mT(_matrices("matrix_transpose", a))


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False,
           grad_b=False, name=None):
    """a @ b of rank >= 2 tensors, each optionally transposed (adjoint is the same for real
    dtypes); the sparsity and grad flags are hints and change nothing here."""
    if (transpose_a and adjoint_a) or (transpose_b and adjoint_b):
        raise op_error(ValueError, "matmul", "transpose and adjoint of one operand are both set",
                       "set only one of them", user_site())
    a, b = binary_operands("matmul", a, b)
    if output_type is not None and np.dtype(output_type) != a.dtype:
        raise op_error(TypeError, "matmul", f"output_type={output_type!r} is not supported",
                       "cast the result with tj.cast", user_site())
    for x in (a, b):
        if len(x.shape) < 2:
            raise op_error(ShapeError, "matmul", f"operands must have rank >= 2, got shape "
                           f"{list(x.shape)}", "use tj.matmul for vectors", user_site())
    a = mT(a) if transpose_a or adjoint_a else a
    b = mT(b) if transpose_b or adjoint_b else b
    return ops.matmul(a, b)


def cholesky(input, name=None):  # noqa: A002 (TF's argument name)
    """The lower factor of each matrix, reading only its lower triangle."""
    return dec.cholesky(_matrices("cholesky", input))


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """x with matrix x = rhs (adjoint(matrix) x = rhs); only one triangle is read."""
    matrix, rhs = _broadcast_system("triangular_solve", *_pair("triangular_solve", matrix, rhs))
    return dec.triangular_solve(matrix, rhs, lower=lower, transpose_a=adjoint)


def cholesky_solve(chol, rhs, name=None):
    """x with A x = rhs, given chol = cholesky(A)."""
    chol, rhs = _broadcast_system("cholesky_solve", *_pair("cholesky_solve", chol, rhs))
    return dec.triangular_solve(chol, dec.triangular_solve(chol, rhs), transpose_a=True)


def _finite_or_raise(op: str, *xs) -> None:
    for x in xs:
        if not isinstance(x, Tracer) and not np.all(np.isfinite(np.asarray(x))):
            raise op_error(ValueError, op, "array must not contain infs or NaNs",
                           "clean the input, or pass check_finite=False", user_site())


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """SciPy's solve_triangular: op(a) x = b, op by `trans` (0/'N', 1/'T', 2/'C'); b (M,) is
    one vector, b (..., M, K) stacks; a's batch broadcasts. check_finite is checked eagerly
    only (traced values have no data yet)."""
    modes = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}
    if trans not in modes:
        raise op_error(ValueError, "solve_triangular", f"invalid trans {trans!r}",
                       "use 0 ('N'), 1 ('T') or 2 ('C')", user_site())
    a, b = _pair("solve_triangular", a, b)
    if check_finite:
        _finite_or_raise("solve_triangular", a, b)
    a = _matrices("solve_triangular", a)
    if a.shape[-1] != a.shape[-2]:
        raise op_error(ShapeError, "solve_triangular", f"expected square matrix, got "
                       f"{list(a.shape)}", "pass (..., M, M) matrices", user_site())
    vector = len(b.shape) == 1
    if vector:
        b = ops.reshape(b, (-1, 1))
    a, b = _broadcast_system("solve_triangular", a, b)
    x = dec.triangular_solve(a, b, lower=lower, transpose_a=modes[trans],
                             unit_diagonal=unit_diagonal)
    return ops.squeeze(x, -1) if vector else x


def solve(matrix, rhs, adjoint=False, name=None):
    matrix, rhs = _pair("solve", matrix, rhs)
    matrix, rhs = _matrices("solve", matrix), _matrices("solve", rhs)
    return solve_stacks("solve", mT(matrix) if adjoint else matrix, rhs)


def inv(input, adjoint=False, name=None):  # noqa: A002
    a = _matrices("inv", input)
    a = mT(a) if adjoint else a
    return dec.solve(a, identity_like(a))


def slogdet(input, name=None):  # noqa: A002
    """(sign, log_abs_determinant) of each matrix."""
    return dec.slogdet(_matrices("slogdet", input))


def det(input, name=None):  # noqa: A002
    sign, logabsdet = slogdet(input)
    return sign * ops.exp(logabsdet)


def logdet(matrix, name=None):
    """log det of Hermitian positive definite matrices, from their Cholesky factor."""
    chol = cholesky(matrix)
    return 2.0 * ops.reduce_sum(ops.log(dec.diagonal(chol)), -1)


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """(q, r) of each matrix; full_matrices=True gives the square q."""
    a = _matrices("qr", input)
    return Qr(*spectral.qr(a, full_matrices=bool(full_matrices) and a.shape[-2] > a.shape[-1]))


def eigh(tensor, name=None):
    """(e, v): eigenvalues ascending and eigenvectors as columns, from the lower triangle."""
    return spectral.eigh(_matrices("eigh", tensor))


def eigvalsh(tensor, name=None):
    return spectral.eigvalsh(_matrices("eigvalsh", tensor))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """TF's order: (s, u, v) with tensor = u @ diag(s) @ adjoint(v); s alone without
    compute_uv."""
    a = _matrices("svd", tensor)
    if not compute_uv:
        return spectral.svdvals(a)
    u, s, vh = spectral.svd(a, bool(full_matrices) and a.shape[-1] != a.shape[-2])
    return s, u, mT(vh)


def pinv(a, rcond=None, validate_args=False, name=None):
    """Moore-Penrose pseudo-inverse; singular values below rcond times the largest count as
    zero (default 10 * max(M, N) * eps of the dtype)."""
    a = _matrices("pinv", a)
    if rcond is None:
        rcond = 10.0 * max(a.shape[-2:]) * np.finfo(a.dtype).eps
    return dec.pinv(a, float(rcond))


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least-squares solutions [..., N, K]. fast=True solves the (regularized) normal
    equations by Cholesky, as TF does; fast=False gives the minimum-norm solution
    pinv(matrix) @ rhs (l2_regularizer is then ignored)."""
    matrix, rhs = _broadcast_system("lstsq", *_pair("lstsq", matrix, rhs))
    m, n = matrix.shape[-2:]
    if not fast:
        rcond = float(np.finfo(np.float64).eps * max(m, n))
        return ops.matmul(dec.pinv(matrix, rcond), rhs)
    at = mT(matrix)
    gram = ops.matmul(at, matrix) if m >= n else ops.matmul(matrix, at)
    if not isinstance(l2_regularizer, (int, float)):  # a Python number adopts gram's dtype
        l2_regularizer = ops.cast(l2_regularizer, gram.dtype)
    gram = gram + l2_regularizer * identity_like(gram)
    chol = dec.cholesky(gram)
    if m >= n:
        return _cholesky_solve(chol, ops.matmul(at, rhs))
    return ops.matmul(at, _cholesky_solve(chol, rhs))


def _cholesky_solve(chol, rhs):
    return dec.triangular_solve(chol, dec.triangular_solve(chol, rhs), transpose_a=True)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """TF's norm: axis None treats the whole tensor as one vector; an int gives vector norms
    ('euclidean', 1, 2, inf or any p > 0), a pair matrix norms ('euclidean' and 'fro' are
    Frobenius; 1, 2, inf)."""
    x = float_operand(tensor, "norm")
    keepdims = bool(keepdims)
    if axis is None:
        flat = ops.reshape(x, (-1,))
        out = _tf_vector_norm(flat, ord, 0, False)
        return ops.reshape(out, (1,) * len(x.shape)) if keepdims else out
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = len(x.shape)
    if len(axes) not in (1, 2) or any(not -ndim <= int(a) < ndim for a in axes):
        raise op_error(ValueError, "norm", f"axis {axis!r} must be an int or a pair of "
                       f"distinct axes of a rank-{ndim} tensor", "pass axis=-1 or [-2, -1]",
                       user_site())
    axes = tuple(int(a) % ndim for a in axes)
    if len(axes) == 1:
        return _tf_vector_norm(x, ord, axes[0], keepdims)
    if not (ord in ("euclidean", "fro") or (not isinstance(ord, str) and ord in (1, 2, np.inf))):
        raise op_error(ValueError, "norm", f"ord {ord!r} is not supported for matrices",
                       "use 'euclidean', 'fro', 1, 2 or np.inf", user_site())
    return matrix_norm(x, "fro" if ord == "euclidean" else ord, axes, keepdims)


def _tf_vector_norm(x, ord, axis: int, keepdims: bool):
    if ord == "euclidean":
        ord = 2
    if isinstance(ord, str) or not ord > 0:
        raise op_error(ValueError, "norm", f"ord {ord!r} is not supported for vectors",
                       "use 'euclidean', 1, 2, np.inf or any p > 0 ('fro' is for matrices)",
                       user_site())
    return vector_norm(x, ord, axis, keepdims)
