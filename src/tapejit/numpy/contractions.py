"""Contractions with NumPy's semantics and dtype rules: dot, matmul, tensordot, inner, outer,
vdot, einsum."""

from __future__ import annotations

import operator
import string

import numpy as np

from tapejit.errors import AxisError, DTypeError, ShapeError, op_error
from tapejit.numpy.ufuncs import multiply
from tapejit.ops import linalg
from tapejit.ops.einsum import einsum_of
from tapejit.ops.linalg import describe
from tapejit.ops.numpy_policy import operands
from tapejit.ops.operands import cast
from tapejit.ops.shape import reshape
from tapejit.site import user_site


def matmul(x1, x2):
    """NumPy's matmul: no scalars; 1-d operands are vectors; leading dims broadcast."""
    return linalg.matmul(*operands("matmul", x1, x2))


def _not_aligned(op: str, a, b, axis_a: int, axis_b: int):
    return op_error(ShapeError, op, f"shapes {describe(a)} and {describe(b)} not aligned: "
                    f"{a.shape[axis_a]} (dim {axis_a}) != {b.shape[axis_b]} (dim {axis_b})",
                    "the contracted dims must be equal: transpose an operand or fix the "
                    "shapes", user_site())


def dot(a, b):
    """NumPy's dot: a scalar multiplies; otherwise the sum over the last axis of a and the
    second-to-last of b (its only axis if b is 1-d), leaving a's other axes, then b's."""
    a, b = operands("dot", a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    axis_a, axis_b = a.ndim - 1, max(b.ndim - 2, 0)
    if a.shape[axis_a] != b.shape[axis_b]:
        raise _not_aligned("dot", a, b, axis_a, axis_b)
    return linalg.contract("dot", a, b, (axis_a,), (axis_b,))


def inner(a, b):
    """NumPy's inner: a scalar multiplies; otherwise the sum over the last axes of both."""
    a, b = operands("inner", a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise _not_aligned("inner", a, b, a.ndim - 1, b.ndim - 1)
    return linalg.contract("inner", a, b, (-1,), (-1,))


def outer(a, b):
    """NumPy's outer: both operands flattened, out[i, j] = a[i] * b[j]."""
    a, b = operands("outer", a, b)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def vdot(a, b):
    """NumPy's vdot for real numbers: the sum of the products of the flattened operands."""
    a, b = operands("vdot", a, b)
    if a.size != b.size:
        raise op_error(ShapeError, "vdot", f"{describe(a)} has {a.size} elements but "
                       f"{describe(b)} has {b.size}", "vdot pairs the flattened operands: "
                       "give operands of equal sizes", user_site())
    return linalg.contract("vdot", reshape(a, (-1,)), reshape(b, (-1,)), (0,), (0,))


_AXES = ("axes is an int N (the last N axes of a with the first N of b) or a pair "
         "(axes of a, axes of b), each an int or a sequence")


def _iterable(x) -> bool:
    try:
        iter(x)
    except TypeError:
        return False
    return True


def _numpy_tensordot_axes(a, b, axes) -> tuple[list, list]:
    if not _iterable(axes):
        try:
            n = operator.index(axes)
        except TypeError:
            raise op_error(TypeError, "tensordot", f"axes={axes!r} is not an integer",
                           _AXES, user_site()) from None
        if n > min(a.ndim, b.ndim):
            raise op_error(AxisError, "tensordot", f"axes={n} but the operands "
                           f"{describe(a)} and {describe(b)} have {a.ndim} and {b.ndim} axes",
                           f"give axes <= {min(a.ndim, b.ndim)}", user_site())
        return list(range(-n, 0)), list(range(0, n))
    axes = list(axes)
    if len(axes) != 2:
        raise op_error(ShapeError, "tensordot", f"axes={axes!r} has {len(axes)} entries, "
                       "not 2", _AXES, user_site())
    return [_one_side(side) for side in axes]


def _one_side(axes) -> list:
    try:
        return list(axes)
    except TypeError:
        return [axes]


def tensordot(a, b, axes=2):
    """NumPy's tensordot: sum the products over `axes` (an int N: the last N axes of a with
    the first N of b, as NumPy's range(-N, 0) and range(N), so a negative N is the outer
    product; or a pair of axis sequences; negative axes count from the end)."""
    a, b = operands("tensordot", a, b)
    return linalg.contract("tensordot", a, b, *_numpy_tensordot_axes(a, b, axes))


def _interleaved(args) -> tuple[str, list]:
    """einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]) as subscripts and operands
    (ints 0-25 are 'A'-'Z', 26-51 'a'-'z', Ellipsis is '...')."""
    def term(sublist) -> str:
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
                continue
            try:
                s = operator.index(s)
            except TypeError:
                raise op_error(TypeError, "einsum", f"subscript {s!r} is not an integer",
                               "sublists hold ints in [0, 52) and Ellipsis", user_site()
                               ) from None
            if not 0 <= s < 52:
                raise op_error(ShapeError, "einsum", f"subscript {s} is not within the "
                               "valid range [0, 52)", "use ints in [0, 52)", user_site())
            out.append(string.ascii_uppercase[s] if s < 26 else string.ascii_lowercase[s - 26])
        return "".join(out)
    xs, sublists = list(args[0::2]), list(args[1::2])
    output = "->" + term(args[-1]) if len(args) % 2 else ""
    xs = xs[:len(sublists)]
    return ",".join(term(s) for s in sublists) + output, xs


def _einsum_dtype(xs: list, dtype, casting: str) -> list:
    if dtype is None:
        return xs
    dtype = np.dtype(dtype)
    if not np.can_cast(xs[0].dtype, dtype, casting):
        raise op_error(DTypeError, "einsum", f"cannot cast the operands' {xs[0].dtype.name} to "
                       f"dtype={dtype.name} under casting={casting!r}",
                       "choose a dtype the operands cast to, or pass casting='unsafe'",
                       user_site())
    return [cast(x, dtype) for x in xs]


def einsum(*operands_, out=None, dtype=None, order="K", casting="safe", optimize=False):
    """NumPy's einsum: 'ij,jk->ik' subscripts or the interleaved (op, sublist, ...) form;
    implicit output (the letters used once, sorted, after the '...' axes); '...'
    broadcasting; a repeated subscript in one operand takes the diagonal; size-1 axes
    broadcast. `optimize` and `order` do not change the values; `out` cannot be written."""
    del optimize
    if out is not None:
        raise op_error(TypeError, "einsum", "out= cannot be written: tapejit arrays are "
                       "immutable", "use the returned array", user_site())
    if order not in ("K", "A", "C", "F"):
        raise op_error(ValueError, "einsum", f"order must be one of 'C', 'F', 'A', or 'K' "
                       f"(got {order!r})", "pass one of them", user_site())
    if not operands_:
        raise op_error(ShapeError, "einsum", "no subscripts and no operands",
                       "give the subscripts and at least one operand", user_site())
    if isinstance(operands_[0], str):
        subscripts, xs = operands_[0], list(operands_[1:])
    else:
        subscripts, xs = _interleaved(operands_)
    if not xs:
        return einsum_of("einsum", subscripts, [])
    xs = _einsum_dtype(operands("einsum", *xs), dtype, casting)
    return einsum_of("einsum", subscripts, xs)
