"""Comparisons, logic and `where` under the dtype policy."""

from __future__ import annotations

from tapejit import dtypes
from tapejit.ops.operands import as_operand, binary_function, binary_operands, cast
from tapejit.primitives.compare import (
    and_p,
    eq_p,
    ge_p,
    gt_p,
    le_p,
    lt_p,
    ne_p,
    not_p,
    or_p,
    select_p,
)
from tapejit.trace import bind


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
