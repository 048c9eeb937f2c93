"""Comparisons and logic (boolean results, no gradient) and select (`where`)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import binary, broadcast_shapes, elementwise_batch, is_undefined, unary
from tapejit.primitives.broadcast import broadcast_to, sum_to_shape
from tapejit.primitives.jvp import zero_jvp
from tapejit.trace import bind


def _comparison(name: str, impl, operands: str = "any"):
    return binary(name, impl, zero_jvp, out_dtype=dtypes.bool_, operands=operands)


gt_p = _comparison("gt", np.greater)
ge_p = _comparison("ge", np.greater_equal)
lt_p = _comparison("lt", np.less)
le_p = _comparison("le", np.less_equal)
eq_p = _comparison("eq", np.equal)
ne_p = _comparison("ne", np.not_equal)
and_p = _comparison("and", np.logical_and, "bool")
or_p = _comparison("or", np.logical_or, "bool")
not_p = unary("not", np.logical_not, zero_jvp, operands="bool")


def _select_type(pred: TensorType, on_true: TensorType, on_false: TensorType) -> TensorType:
    if pred.dtype != dtypes.bool_:
        raise TypeRuleError(f"the condition must be boolean, got {pred}",
                            "compare first, e.g. tj.where(x > 0, a, b)", DTypeError)
    if on_true.dtype != on_false.dtype:
        raise TypeRuleError(f"branches have different dtypes: {on_true}, {on_false}",
                            "cast one branch with tj.cast", DTypeError)
    return TensorType(on_true.dtype, broadcast_shapes(pred, on_true, on_false))


def _select_jvp(primals, tangents, out, **params):
    pred, _, _ = primals
    _, t_true, t_false = tangents
    zero = np.zeros((), out.dtype)[()]
    tangent = select(pred, zero if t_true is None else t_true,
                     zero if t_false is None else t_false)
    return broadcast_to(tangent, out.shape)


def _select_transpose(ct, pred, on_true, on_false):
    zero = np.zeros((), ct.dtype)[()]
    ct_true = sum_to_shape(select(pred, ct, zero), on_true.shape) \
        if is_undefined(on_true) else None
    ct_false = sum_to_shape(select(pred, zero, ct), on_false.shape) \
        if is_undefined(on_false) else None
    return None, ct_true, ct_false


select_p = Primitive(name="select", type_rule=_select_type, impl=np.where, jvp=_select_jvp,
                     transpose=_select_transpose, batch=elementwise_batch)


def select(pred, on_true, on_false):
    return bind(select_p, pred, on_true, on_false)


def equal(x, y):
    return bind(eq_p, x, y)


def logical_and(x, y):
    return bind(and_p, x, y)
