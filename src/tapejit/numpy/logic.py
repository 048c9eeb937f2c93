"""Comparisons, logic, classification (isnan, isinf, isfinite, signbit) and where/nonzero,
with NumPy's semantics: boolean results, operands compared in their common dtype."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import TracerArrayError, op_error
from tapejit.numpy.arguments import operand, operands
from tapejit.numpy.ufunc import binary, unary
from tapejit.ops.elementwise import abs as _abs
from tapejit.ops.operands import cast
from tapejit.ops.shape import full_like
from tapejit.primitives import compare, rounding
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer, bind


def _comparison(name: str, prim):
    return binary(name, lambda x1, x2: bind(prim, *operands(name, x1, x2)),
                  f"Elementwise {name} (np.{name}): a boolean array, compared in the "
                  f"operands' common NumPy dtype.")


greater = _comparison("greater", compare.gt_p)
greater_equal = _comparison("greater_equal", compare.ge_p)
less = _comparison("less", compare.lt_p)
less_equal = _comparison("less_equal", compare.le_p)
equal = _comparison("equal", compare.eq_p)
not_equal = _comparison("not_equal", compare.ne_p)


def as_bool(x, op: str):
    """x as booleans: nonzero is true (NaN too), as NumPy's logical functions see it."""
    return cast(operand(x, op), dtypes.bool_)


def _logical(name: str, prim):
    return binary(name, lambda x1, x2: bind(prim, as_bool(x1, name), as_bool(x2, name)),
                  f"Elementwise {name} of the operands' truth values (np.{name}).")


logical_and = _logical("logical_and", compare.and_p)
logical_or = _logical("logical_or", compare.or_p)
logical_xor = _logical("logical_xor", compare.ne_p)
logical_not = unary("logical_not", lambda x: bind(compare.not_p, as_bool(x, "logical_not")),
                    "Elementwise not of the operand's truth values (np.logical_not).")


def _classify(name: str, on_floats, on_others: bool):
    """A float classification: integers and booleans are all `on_others`."""
    def compute(x):
        a = operand(x, name)
        return on_floats(a) if a.dtype.kind == "f" else full_like(a, on_others, dtypes.bool_)
    return unary(name, compute, f"Elementwise {name} (np.{name}): a boolean array.")


isnan = _classify("isnan", lambda a: bind(compare.ne_p, a, a), False)
isinf = _classify("isinf", lambda a: bind(compare.eq_p, _abs(a), a.dtype.type(np.inf)), False)
isfinite = _classify("isfinite", lambda a: bind(compare.lt_p, _abs(a), a.dtype.type(np.inf)),
                     True)


def _signbit(x):
    a = operand(x, "signbit")
    if a.dtype.kind == "f":
        return bind(rounding.signbit_p, a)
    if a.dtype.kind == "i":
        return bind(compare.lt_p, a, a.dtype.type(0))
    return full_like(a, False, dtypes.bool_)


signbit = unary("signbit", _signbit, "Whether the sign bit is set (np.signbit): true for "
                "negative numbers, -0.0 and negative NaN.")


def isposinf(x, out=None):
    return logical_and(isinf(x, out), logical_not(signbit(x)))


def isneginf(x, out=None):
    return logical_and(isinf(x, out), signbit(x))


def where(condition, x=None, y=None, /):
    """x where condition holds, y elsewhere (np.where; x and y in their common NumPy dtype).
    Both are computed: see tj.where for keeping gradients finite. With the condition alone,
    np.nonzero(condition), eagerly only."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise op_error(ValueError, "where", "either both or neither of x and y should be given",
                       "pass where(condition, x, y), or where(condition) for the indices",
                       user_site())
    a, b = operands("where", x, y)
    return bind(compare.select_p, as_bool(condition, "where"), a, b)


def concrete_data(a, op: str) -> np.ndarray:
    """The data of `a`: functions whose result shape depends on it cannot be traced."""
    if isinstance(a, Tracer):
        raise op_error(TracerArrayError, op,
                       f"the result's shape depends on the values of this traced {a.type}, "
                       "so it cannot be compiled",
                       "call it outside tj.jit; inside, use a function whose result shape is "
                       "known (for nonzero/where(cond): the three-argument tnp.where)",
                       user_site())
    return np.asarray(a.concrete(op)) if isinstance(a, Tensor) else np.asarray(a)


def nonzero(a):
    """The indices of the nonzero elements, one int64 array per axis (np.nonzero); eager
    only (their number depends on the data)."""
    value = concrete_data(operand(a, "nonzero"), "nonzero")
    return tuple(Tensor(np.asarray(i, np.int64)) for i in np.nonzero(value))


def flatnonzero(a):
    """Indices of the nonzero elements of the flattened array (np.flatnonzero); eager only."""
    value = concrete_data(operand(a, "flatnonzero"), "flatnonzero")
    return Tensor(np.flatnonzero(value).astype(np.int64))


def argwhere(a):
    """The indices of the nonzero elements, one row each (np.argwhere); eager only."""
    value = concrete_data(operand(a, "argwhere"), "argwhere")
    return Tensor(np.argwhere(value).astype(np.int64))
