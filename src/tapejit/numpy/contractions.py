"""Contractions: dot, matmul, tensordot, inner, outer, vdot."""

from __future__ import annotations

from tapejit.ops import linalg
from tapejit.ops.numpy_policy import operands
from tapejit.ops.shape import reshape


def matmul(x1, x2):
    return linalg.matmul(*operands("matmul", x1, x2))


def dot(a, b):
    """NumPy's dot for 1-d and 2-d operands (the N-d rules come with the contraction
    work)."""
    return linalg.matmul(*operands("dot", a, b))


def tensordot(a, b, axes=2):
    return linalg.tensordot(*operands("tensordot", a, b), axes)


def outer(a, b):
    a, b = operands("outer", a, b)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b):
    a, b = operands("inner", a, b)
    return linalg.tensordot(a, b, ((a.ndim - 1,), (b.ndim - 1,)))


def vdot(a, b):
    a, b = operands("vdot", a, b)
    return linalg.matmul(reshape(a, (-1,)), reshape(b, (-1,)))
