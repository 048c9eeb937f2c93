"""dot_general: contraction with batch dimensions (BLAS matmul after a permutation)."""

from __future__ import annotations

import numpy as np

from tapejit.errors import TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import batch_first, is_undefined, same_dtype, shifted
from tapejit.primitives.shape import transpose
from tapejit.trace import bind


def free_dims(ndim: int, contract, batch) -> tuple[int, ...]:
    return tuple(d for d in range(ndim) if d not in contract and d not in batch)


def _dot_type(lhs: TensorType, rhs: TensorType, *, dimension_numbers) -> TensorType:
    (lc, rc), (lb, rb) = dimension_numbers
    dtype = same_dtype(lhs, rhs)
    pairs = list(zip(lc, rc)) + list(zip(lb, rb))
    valid = (len(lc) == len(rc) and len(lb) == len(rb)
             and len(set(lc + lb)) == len(lc + lb) and len(set(rc + rb)) == len(rc + rb)
             and all(0 <= a < lhs.ndim and 0 <= b < rhs.ndim for a, b in pairs))
    if not valid or any(lhs.shape[a] != rhs.shape[b] for a, b in pairs):
        raise TypeRuleError(
            f"cannot contract {lhs} with {rhs}: contracting dims {lc}/{rc}, batch dims "
            f"{lb}/{rb}", "paired dimensions must exist and have equal sizes")
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in free_dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in free_dims(rhs.ndim, rc, rb)))
    return TensorType(dtype, shape)


def _dot_impl(lhs, rhs, *, dimension_numbers):
    """Permute to (batch, free, contract) @ (batch, contract, free) and call BLAS matmul."""
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    lf, rf = free_dims(lhs.ndim, lc, lb), free_dims(rhs.ndim, rc, rb)
    size = lambda a, dims: int(np.prod([a.shape[d] for d in dims], dtype=np.int64))
    b, m, k, n = size(lhs, lb), size(lhs, lf), size(lhs, lc), size(rhs, rf)
    left = np.transpose(lhs, lb + lf + lc).reshape(b, m, k)
    right = np.transpose(rhs, rb + rc + rf).reshape(b, k, n)
    out_shape = (tuple(lhs.shape[d] for d in lb) + tuple(lhs.shape[d] for d in lf)
                 + tuple(rhs.shape[d] for d in rf))
    return np.matmul(left, right).reshape(out_shape)[()]


def _dot_jvp(primals, tangents, out, *, dimension_numbers):
    (x, y), (tx, ty) = primals, tangents
    terms = []
    if tx is not None:
        terms.append(dot_general(tx, y, dimension_numbers))
    if ty is not None:
        terms.append(dot_general(x, ty, dimension_numbers))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _transpose_one_side(ct, other, mine_ndim, mine_c, mine_b, other_c, other_b, other_first):
    """Cotangent of one operand of dot_general, given the other operand's value.

    ct's layout is (batch, lhs free, rhs free); `other_first` says whether the other operand
    is the lhs (so its free dims come first in ct).
    """
    nb = len(mine_b)
    other_free = free_dims(other.ndim, other_c, other_b)
    mine_free = free_dims(mine_ndim, mine_c, mine_b)
    other_free_in_ct = tuple(range(nb, nb + len(other_free))) if other_first else tuple(
        range(nb + len(mine_free), nb + len(mine_free) + len(other_free)))
    dims = ((other_free_in_ct, other_free), (tuple(range(nb)), other_b))
    result = dot_general(ct, other, dims)
    # result layout: batch, my free dims (in order), then other's contracting dims sorted
    order = sorted(other_c)
    position = {}
    for i, d in enumerate(mine_b):
        position[d] = i
    for j, d in enumerate(mine_free):
        position[d] = nb + j
    for d, od in zip(mine_c, other_c):
        position[d] = nb + len(mine_free) + order.index(od)
    perm = tuple(position[d] for d in range(mine_ndim))
    if perm == tuple(range(mine_ndim)):
        return result
    return transpose(result, perm)


def _dot_transpose(ct, x, y, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined(x) and not is_undefined(y):
        return _transpose_one_side(ct, y, x.type.ndim, lc, lb, rc, rb, other_first=False), None
    if is_undefined(y) and not is_undefined(x):
        return None, _transpose_one_side(ct, x, y.type.ndim, rc, rb, lc, lb, other_first=True)
    raise AssertionError("dot_general is linear in one operand at a time")


def _dot_batch(prim, args, dims, *, dimension_numbers):
    """vmap of dot_general: both operands batched make a new batch dimension (first in the
    output); one batched operand's batch axis is a free dimension of the output."""
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None:
        lhs, lc, lb = batch_first(lhs, ld), shifted(lc), shifted(lb)
    if rd is not None:
        rhs, rc, rb = batch_first(rhs, rd), shifted(rc), shifted(rb)
    if ld is not None and rd is not None:
        numbers = ((lc, rc), ((0,) + lb, (0,) + rb))
        return bind(prim, lhs, rhs, dimension_numbers=numbers), 0
    out = bind(prim, lhs, rhs, dimension_numbers=((lc, rc), (lb, rb)))
    if ld is not None:
        return out, len(lb)
    return out, len(lb) + len(free_dims(len(lhs.shape), lc, lb))


dot_general_p = Primitive(name="dot_general", type_rule=_dot_type, impl=_dot_impl, jvp=_dot_jvp,
                          transpose=_dot_transpose, kind="dot", batch=_dot_batch)


def dot_general(lhs, rhs, dimension_numbers):
    return bind(dot_general_p, lhs, rhs, dimension_numbers=dimension_numbers)
