"""dot_general (contraction with batch dims) and the user-level matmul built on it."""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, TypeRuleError, op_error
from tapejit.ir import Primitive, TensorType
from tapejit.operands import binary_operands
from tapejit.primitives.base import broadcast_shapes, is_undefined, same_dtype
from tapejit.primitives.shape import transpose_p
from tapejit.site import user_site
from tapejit.trace import bind


def _free(ndim: int, contract, batch) -> tuple[int, ...]:
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
             + tuple(lhs.shape[d] for d in _free(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free(rhs.ndim, rc, rb)))
    return TensorType(dtype, shape)


def _dot_impl(lhs, rhs, *, dimension_numbers):
    """Permute to (batch, free, contract) @ (batch, contract, free) and call BLAS matmul."""
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
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
        terms.append(bind(dot_general_p, tx, y, dimension_numbers=dimension_numbers))
    if ty is not None:
        terms.append(bind(dot_general_p, x, ty, dimension_numbers=dimension_numbers))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _transpose_one_side(ct, other, mine_ndim, mine_c, mine_b, other_c, other_b, other_first):
    """Cotangent of one operand of dot_general, given the other operand's value.

    ct's layout is (batch, lhs free, rhs free); `other_first` says whether the other operand
    is the lhs (so its free dims come first in ct).
    """
    nb = len(mine_b)
    other_free = _free(other.ndim, other_c, other_b)
    mine_free = _free(mine_ndim, mine_c, mine_b)
    other_free_in_ct = tuple(range(nb, nb + len(other_free))) if other_first else tuple(
        range(nb + len(mine_free), nb + len(mine_free) + len(other_free)))
    dims = ((other_free_in_ct, other_free), (tuple(range(nb)), other_b))
    result = bind(dot_general_p, ct, other, dimension_numbers=dims)
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
    return bind(transpose_p, result, permutation=perm)


def _dot_transpose(ct, x, y, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined(x) and not is_undefined(y):
        return _transpose_one_side(ct, y, x.type.ndim, lc, lb, rc, rb, other_first=False), None
    if is_undefined(y) and not is_undefined(x):
        return None, _transpose_one_side(ct, x, y.type.ndim, rc, rb, lc, lb, other_first=True)
    raise AssertionError("dot_general is linear in one operand at a time")


def _as_matrix(ctx, x, ttype, perm, rows, cols, lines) -> str:
    """x permuted and reshaped to a (rows, cols) or (batch, rows, cols) matrix expression."""
    if ttype.ndim == 2 and perm == (1, 0) and len(rows) == 1:
        return f"{x}.T"
    if perm == tuple(range(ttype.ndim)) and ttype.ndim == 2 and len(rows) == 1:
        return x
    name = ctx.temp("m")
    permuted = x if perm == tuple(range(ttype.ndim)) else f"np.transpose({x}, {perm})"
    lines.append(f"{name} = np.ascontiguousarray({permuted}).reshape("
                 f"{ctx.shape(tuple(int(np.prod(d, dtype=np.int64)) for d in rows + cols))})")
    return name


def _dot_emit(ctx, a, b, *, dimension_numbers):
    """BLAS through np.dot on (batched) matrices; integer operands get plain loops."""
    (lc, rc), (lb, rb) = dimension_numbers
    lt, rt = ctx.in_types
    if lt.dtype.kind != "f" or lt.dtype.itemsize not in (4, 8):
        from tapejit.backend.codegen import CodegenError

        raise CodegenError(f"dot_general on {lt.dtype} has no BLAS kernel")
    lf, rf = _free(lt.ndim, lc, lb), _free(rt.ndim, rc, rb)
    dims = lambda t, ds: [t.shape[d] for d in ds]
    batch = dims(lt, lb)
    lines: list[str] = []
    rows_a = ([batch] if lb else []) + [dims(lt, lf)]
    rows_b = ([batch] if rb else []) + [dims(rt, rc)]
    left = _as_matrix(ctx, a, lt, lb + lf + lc, rows_a, [dims(lt, lc)], lines)
    right = _as_matrix(ctx, b, rt, rb + rc + rf, rows_b, [dims(rt, rf)], lines)
    product = ctx.temp("p")
    if lb:
        m, n = int(np.prod(dims(lt, lf))), int(np.prod(dims(rt, rf)))
        shape3 = ctx.shape((int(np.prod(batch)), m, n))
        lines += [f"{product} = np.empty({shape3}, {ctx.np_type(lt.dtype)})",
                  f"for bi in range({ctx.size(int(np.prod(batch)))}):",
                  f"    {product}[bi] = np.dot({left}[bi], {right}[bi])"]
    else:
        lines.append(f"{product} = np.dot({left}, {right})")
    out = ctx.out_type
    if out.ndim == 0:
        lines.append(f"{ctx.out} = {product}[0, 0]")
    elif out.ndim == 2 and not lb and len(lf) == 1 and len(rf) == 1:
        lines.append(f"{ctx.out} = {product}")
    else:
        lines.append(f"{ctx.out} = {product}.reshape({ctx.shape(out.shape)})")
    return lines


dot_general_p = Primitive("dot_general", _dot_type, _dot_impl, _dot_jvp, _dot_transpose,
                          _dot_emit, kind="dot")


# --- user functions ------------------------------------------------------------------------

def _matmul_error(a, b, why: str):
    return op_error(ShapeError, "matmul", f"cannot multiply {a.dtype.name}{list(a.shape)} @ "
                    f"{b.dtype.name}{list(b.shape)}: {why}",
                    "the last dim of the left operand must equal the second-to-last of the "
                    "right; transpose an operand (tj.transpose or .T) or fix the shapes",
                    user_site())


def matmul(a, b):
    """NumPy's matmul: 1-d operands are vectors, leading dims broadcast as batch dims."""
    from tapejit.primitives.shape import broadcast_to, expand_dims, squeeze

    a, b = binary_operands("matmul", a, b)
    if not a.shape or not b.shape:
        raise _matmul_error(a, b, "operands must have at least 1 dimension (use * for scalars)")
    if len(a.shape) == 1 and len(b.shape) == 1:
        if a.shape != b.shape:
            raise _matmul_error(a, b, f"vector lengths {a.shape[0]} and {b.shape[0]} differ")
        return bind(dot_general_p, a, b, dimension_numbers=(((0,), (0,)), ((), ())))
    if len(a.shape) == 1:
        return squeeze(matmul(expand_dims(a, 0), b), -2)
    if len(b.shape) == 1:
        return squeeze(matmul(a, expand_dims(b, -1)), -1)
    if a.shape[-1] != b.shape[-2]:
        raise _matmul_error(a, b, f"contracting dims {a.shape[-1]} and {b.shape[-2]} differ")
    try:
        batch = broadcast_shapes(TensorType(a.dtype, a.shape[:-2]), TensorType(b.dtype,
                                                                               b.shape[:-2]))
    except TypeRuleError as e:
        raise _matmul_error(a, b, f"batch dims do not broadcast ({e.problem})") from None
    a = broadcast_to(a, batch + tuple(a.shape[-2:]))
    b = broadcast_to(b, batch + tuple(b.shape[-2:]))
    nb = len(batch)
    dims = (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    return bind(dot_general_p, a, b, dimension_numbers=dims)


def tensordot(a, b, axes):
    """Contract `axes` of a with those of b (an int n means the last n of a, first n of b)."""
    a, b = binary_operands("tensordot", a, b)
    if isinstance(axes, int):
        axes = (tuple(range(len(a.shape) - axes, len(a.shape))), tuple(range(axes)))
    la, lb = (tuple(np.atleast_1d(ax).tolist()) for ax in axes)
    return bind(dot_general_p, a, b, dimension_numbers=((la, lb), ((), ())))
