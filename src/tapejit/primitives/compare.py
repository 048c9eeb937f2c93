"""Comparisons and logic (boolean results, no gradient) and select (`where`)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.operands import as_operand, binary_function, binary_operands, cast
from tapejit.primitives.base import binary, broadcast_shapes, infix, is_undefined, unary, zero_jvp
from tapejit.primitives.reduce import sum_to_shape
from tapejit.trace import bind

gt_p = binary("gt", np.greater, zero_jvp, out_dtype=dtypes.bool_, operands="any", emit=infix(">"))
ge_p = binary("ge", np.greater_equal, zero_jvp, out_dtype=dtypes.bool_, operands="any",
              emit=infix(">="))
lt_p = binary("lt", np.less, zero_jvp, out_dtype=dtypes.bool_, operands="any", emit=infix("<"))
le_p = binary("le", np.less_equal, zero_jvp, out_dtype=dtypes.bool_, operands="any",
              emit=infix("<="))
eq_p = binary("eq", np.equal, zero_jvp, out_dtype=dtypes.bool_, operands="any",
              emit=infix("=="))
ne_p = binary("ne", np.not_equal, zero_jvp, out_dtype=dtypes.bool_, operands="any",
              emit=infix("!="))
and_p = binary("and", np.logical_and, zero_jvp, out_dtype=dtypes.bool_, operands="bool",
               emit=infix("and"))
or_p = binary("or", np.logical_or, zero_jvp, out_dtype=dtypes.bool_, operands="bool",
              emit=infix("or"))
not_p = unary("not", np.logical_not, zero_jvp, float_only=False, bool_only=True,
              emit=lambda c, x: f"(not {x})")


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
    from tapejit.primitives.shape import broadcast_to

    zero = np.zeros((), out.dtype)[()]
    tangent = bind(select_p, pred, zero if t_true is None else t_true,
                   zero if t_false is None else t_false)
    return tangent if tangent.shape == out.shape else broadcast_to(tangent, out.shape)


def _select_transpose(ct, pred, on_true, on_false):
    zero = np.zeros((), ct.dtype)[()]
    ct_true = sum_to_shape(bind(select_p, pred, ct, zero), on_true.shape) \
        if is_undefined(on_true) else None
    ct_false = sum_to_shape(bind(select_p, pred, zero, ct), on_false.shape) \
        if is_undefined(on_false) else None
    return None, ct_true, ct_false


select_p = Primitive("select", _select_type, np.where, _select_jvp, _select_transpose,
                     emit=lambda c, p, x, y: c.helper("where", p, x, y))


# --- user functions ------------------------------------------------------------------------

def _compare(prim, op):
    return binary_function(prim, op, f"Elementwise {op} (boolean result, no gradient).")


greater = _compare(gt_p, "greater")
greater_equal = _compare(ge_p, "greater_equal")
less = _compare(lt_p, "less")
less_equal = _compare(le_p, "less_equal")
equal = _compare(eq_p, "equal")
not_equal = _compare(ne_p, "not_equal")


def _as_bool(x, op):
    return cast(as_operand(x, op), dtypes.bool_)


def logical_and(x, y):
    return bind(and_p, _as_bool(x, "logical_and"), _as_bool(y, "logical_and"))


def logical_or(x, y):
    return bind(or_p, _as_bool(x, "logical_or"), _as_bool(y, "logical_or"))


def logical_not(x):
    return bind(not_p, _as_bool(x, "logical_not"))


def where(condition, x, y):
    """Elementwise choice: x where condition holds, y elsewhere (NumPy broadcasting).

    Both branches are computed; for a branch unsafe where it is not chosen (log(x) at x <= 0),
    make its input safe too: tj.where(x > 0, tj.math.log(tj.where(x > 0, x, 1)), 0).
    """

    pred = _as_bool(condition, "where")
    a, b = binary_operands("where", x, y)
    return bind(select_p, pred, a, b)
