"""The core of tapejit.numpy.linalg that its other modules build on: NumPy's linalg operands
(float types, stacks of matrices, LinAlgError), solves and inverses."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import DTypeError, ShapeError, TypeRuleError, op_error
from tapejit.ir import TensorType
from tapejit.ops.numpy_policy import operands
from tapejit.primitives import decompositions as dec
from tapejit.primitives.base import broadcast_shapes
from tapejit.primitives.decompositions import LinAlgError, NotSupportedError
from tapejit.site import user_site

# --- operands --------------------------------------------------------------------------------

def linalg_error(op: str, problem: str, fix: str) -> LinAlgError:
    return op_error(LinAlgError, op, problem, fix, user_site())


def floats(op: str, *xs) -> list:
    """The operands in NumPy's linalg dtype: their common float type, integers and booleans
    in float64; float16 is refused, as NumPy refuses it."""
    values = operands(op, *xs)
    dtype = values[0].dtype
    if dtype == np.float16:
        raise op_error(DTypeError, op, "array type float16 is unsupported in linalg",
                       "cast to float32 or float64 first", user_site())
    if dtype.kind != "f":
        values = [ops.cast(v, np.float64) for v in values]
    return values


def stacked(op: str, a, square: bool = True):
    """`a` as a float stack of (square) matrices, or NumPy's LinAlgError."""
    (a,) = floats(op, a)
    if len(a.shape) < 2:
        raise linalg_error(op, f"{len(a.shape)}-dimensional array given: it must be at least "
                           "two-dimensional", "pass a matrix or a stack of matrices (..., m, n)")
    if square and a.shape[-1] != a.shape[-2]:
        raise linalg_error(op, f"last 2 dimensions of the array must be square, got "
                           f"{tuple(a.shape)}", "pass (..., n, n) matrices; for rectangular "
                           "ones use lstsq, pinv or qr")
    return a


def batch_shape(op: str, *shapes) -> tuple[int, ...]:
    try:
        return broadcast_shapes(*(TensorType(np.dtype(np.float64), tuple(s)) for s in shapes))
    except TypeRuleError as e:
        raise e.for_op(op, user_site()) from None


def refuse_hermitian(op: str, hermitian: bool) -> None:
    if hermitian:
        raise op_error(NotSupportedError, op, "hermitian=True is not supported",
                       "leave hermitian=False (the general routine gives the same result for a "
                       "symmetric matrix), or use eigh", user_site())


# --- solves and inverses ---------------------------------------------------------------------

def solve_stacks(op: str, a, b):
    """x with a x = b: b (M,) is one vector for every matrix, b (..., M, K) stacks of
    right-hand sides whose batch dimensions broadcast against a's (NumPy 2's rule)."""
    n = a.shape[-1]
    vector = len(b.shape) == 1
    if len(b.shape) == 0 or b.shape[-2 if not vector else -1] != n:
        raise op_error(ShapeError, op, f"b of shape {tuple(b.shape)} does not match a of shape "
                       f"{tuple(a.shape)}", f"pass b as ({n},) or (..., {n}, k)", user_site())
    if vector:
        b = ops.reshape(b, (n, 1))
    batch = batch_shape(op, a.shape[:-2], b.shape[:-2])
    x = dec.solve(ops.broadcast_to(a, batch + (n, n)), ops.broadcast_to(b, batch + b.shape[-2:]))
    return ops.squeeze(x, -1) if vector else x


def solve(a, b):
    a, b = floats("solve", a, b)
    return solve_stacks("solve", stacked("solve", a), b)


def identity_like(a):
    """Identity matrices of a's shape and dtype, made in a's trace when it is traced (not a
    captured constant): rows [1, 0 … 0] (n zeros) read n at a time are the identity's."""
    n, batch = a.shape[-1], tuple(a.shape[:-2])
    rows = ops.concat([ops.full_like(a[..., :1], 1), ops.full_like(a, 0)], -1)
    flat = ops.reshape(rows, batch + (n * (n + 1),))[..., :n * n]
    return ops.reshape(flat, tuple(a.shape))


def inv(a):
    a = stacked("inv", a)
    return dec.solve(a, identity_like(a))
