"""matmul and tensordot on dot_general: NumPy's rules for vectors and batch dims, TF's forms of
tensordot's axes, and `contract`, the checked pairing of axes under every contraction."""

from __future__ import annotations

import operator

import numpy as np

from tapejit.errors import AxisError, ShapeError, TypeRuleError, op_error
from tapejit.ir import TensorType
from tapejit.ops.operands import as_operand, binary_operands
from tapejit.ops.shape import broadcast_to, expand_dims, squeeze
from tapejit.primitives.base import broadcast_shapes
from tapejit.primitives.linalg import dot_general_p
from tapejit.site import user_site
from tapejit.trace import bind


def describe(x) -> str:
    return f"{x.dtype.name}{list(x.shape)}"


def _matmul_error(a, b, why: str):
    return op_error(ShapeError, "matmul", f"cannot multiply {describe(a)} @ {describe(b)}: "
                    f"{why}", "the last dim of the left operand must equal the second-to-last "
                    "of the right; transpose an operand (tj.transpose or .T) or fix the shapes",
                    user_site())


def matmul(a, b):
    """NumPy's matmul: 1-d operands are vectors, leading dims broadcast as batch dims."""
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


def _axis_list(axes, op: str, fix: str) -> list:
    """One side's axes: an int is one axis, anything else a sequence of them."""
    if isinstance(axes, (int, np.integer)):
        return [axes]
    try:
        return list(axes)
    except TypeError:
        raise op_error(TypeError, op, f"axes must be integers or sequences of them, got "
                       f"{axes!r}", fix, user_site()) from None


def _checked_axes(x, axes, op: str, operand: str) -> tuple[int, ...]:
    """`axes` of x as non-negative ints (negative ones count from the end), each once."""
    out = []
    for axis in axes:
        try:
            axis = operator.index(axis)
        except TypeError:
            raise op_error(TypeError, op, f"axis {axis!r} of {operand} is not an integer",
                           "give axes as ints", user_site()) from None
        if not -x.ndim <= axis < x.ndim:
            raise op_error(AxisError, op, f"axis {axis} is out of range for the {operand} "
                           f"operand, {describe(x)}", f"use axes in [{-x.ndim}, {x.ndim})",
                           user_site())
        out.append(axis % x.ndim)
    if len(set(out)) != len(out):
        raise op_error(ShapeError, op, f"duplicate axes {tuple(axes)} for the {operand} "
                       f"operand, {describe(x)}", "contract each axis once", user_site())
    return tuple(out)


def contract(op: str, a, b, a_axes, b_axes):
    """dot_general summing a's `a_axes` against b's `b_axes`, paired in order (negative axes
    count from the end); the result has a's other axes, then b's. Bad pairings are clear
    errors naming `op`."""
    a, b = as_operand(a, op), as_operand(b, op)
    la, lb = _checked_axes(a, a_axes, op, "first"), _checked_axes(b, b_axes, op, "second")
    if len(la) != len(lb):
        raise op_error(ShapeError, op, f"shape-mismatch for sum: {len(la)} axes {la} of "
                       f"{describe(a)} paired with {len(lb)} axes {lb} of {describe(b)}",
                       "give as many axes for b as for a", user_site())
    for x, y in zip(la, lb):
        if a.shape[x] != b.shape[y]:
            raise op_error(ShapeError, op, f"shape-mismatch for sum: axis {x} of "
                           f"{describe(a)} has size {a.shape[x]} but axis {y} of "
                           f"{describe(b)} has size {b.shape[y]}",
                           "contract axes of equal sizes (check the axes or transpose an "
                           "operand)", user_site())
    return bind(dot_general_p, a, b, dimension_numbers=((la, lb), ((), ())))


_TF_AXES = ("axes is an int N (the last N axes of a with the first N of b), a pair "
            "[a_axes, b_axes] of ints or lists, or an int array of shape [2, k]")


def _tf_axes(a, axes) -> tuple[list, list]:
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= a.ndim:
            raise op_error(ShapeError, "tensordot", f"axes={int(axes)} for a first operand "
                           f"of rank {a.ndim}", f"give 0 <= axes <= {a.ndim}", user_site())
        return list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    if not isinstance(axes, (list, tuple)):
        axes = np.asarray(axes)
        if axes.dtype.kind not in "iu" or axes.ndim not in (1, 2):
            raise op_error(TypeError, "tensordot", f"axes {axes!r} is not of int type",
                           _TF_AXES, user_site())
        axes = list(axes)
    if len(axes) != 2:
        raise op_error(ShapeError, "tensordot", f"axes must be an integer or have length 2, "
                       f"got {axes!r}", _TF_AXES, user_site())
    return (_axis_list(axes[0], "tensordot", _TF_AXES),
            _axis_list(axes[1], "tensordot", _TF_AXES))


def tensordot(a, b, axes, name=None):
    """TF's tensordot: sum the products of a and b over paired axes. `axes` is an int N (the
    last N axes of a with the first N of b, 0 <= N <= rank of a; 0 is the outer product), a
    pair [a_axes, b_axes] (each an int or a list; negative axes count from the end), or an
    int array of shape [2, k]. The result has a's other axes, then b's."""
    del name
    a, b = binary_operands("tensordot", a, b)
    return contract("tensordot", a, b, *_tf_axes(a, axes))
