"""matmul and tensordot on dot_general, with NumPy's rules for vectors and batch dims."""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, TypeRuleError, op_error
from tapejit.ir import TensorType
from tapejit.ops.operands import binary_operands
from tapejit.ops.shape import broadcast_to, expand_dims, squeeze
from tapejit.primitives.base import broadcast_shapes
from tapejit.primitives.linalg import dot_general_p
from tapejit.site import user_site
from tapejit.trace import bind


def _matmul_error(a, b, why: str):
    return op_error(ShapeError, "matmul", f"cannot multiply {a.dtype.name}{list(a.shape)} @ "
                    f"{b.dtype.name}{list(b.shape)}: {why}",
                    "the last dim of the left operand must equal the second-to-last of the "
                    "right; transpose an operand (tj.transpose or .T) or fix the shapes",
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


def tensordot(a, b, axes):
    """Contract `axes` of a with those of b (an int n means the last n of a, first n of b)."""
    a, b = binary_operands("tensordot", a, b)
    if isinstance(axes, int):
        axes = (tuple(range(len(a.shape) - axes, len(a.shape))), tuple(range(axes)))
    la, lb = (tuple(np.atleast_1d(ax).tolist()) for ax in axes)
    return bind(dot_general_p, a, b, dimension_numbers=((la, lb), ((), ())))
