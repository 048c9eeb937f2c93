"""Building blocks for declaring primitives: type-rule helpers, JVP helpers and families."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tapejit.dtypes import is_float
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType


class Undefined:
    """A linear input of a transpose rule: its type is known, its value is what we solve for."""
    __slots__ = ("type",)

    def __init__(self, type_: TensorType) -> None:
        self.type = type_

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.type.dtype


def is_undefined(x) -> bool:
    return isinstance(x, Undefined)


# --- type-rule helpers ---------------------------------------------------------------------

def broadcast_shapes(*types: TensorType) -> tuple[int, ...]:
    """NumPy broadcasting of the types' shapes, or a TypeRuleError naming them."""
    ndim = max(t.ndim for t in types)
    shape = []
    for axis in range(-ndim, 0):
        sizes = {t.shape[axis] for t in types if t.ndim >= -axis} - {1}
        if len(sizes) > 1:
            shown = " and ".join(str(t) for t in types)
            raise TypeRuleError(
                f"shapes do not broadcast: {shown} (axis {axis}: sizes {sorted(sizes)})",
                "make each trailing dimension equal or 1, e.g. reshape or expand_dims one "
                "operand")
        shape.append(sizes.pop() if sizes else 1)
    return tuple(shape)


def same_dtype(*types: TensorType) -> np.dtype:
    dts = {t.dtype for t in types}
    if len(dts) > 1:
        shown = ", ".join(str(t) for t in types)
        raise TypeRuleError(f"operands have different dtypes: {shown}",
                            "cast one operand with tj.cast(x, dtype)", DTypeError)
    return dts.pop()


def require_float(t: TensorType) -> None:
    if not is_float(t.dtype):
        raise TypeRuleError(f"expects a floating-point operand, got {t}",
                            "cast it first, e.g. tj.cast(x, tj.float32)", DTypeError)


def check_axes(t: TensorType, axes: tuple[int, ...]) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < t.ndim for a in axes):
        raise TypeRuleError(f"axes {axes} are not distinct axes of {t}",
                            f"use axes in range({t.ndim})", ShapeError)


# --- JVP helpers ---------------------------------------------------------------------------

def zero_jvp(primals, tangents, out, **params):
    """The JVP of an op whose output does not change with its inputs (comparisons, sign)."""
    return None


def defjvp(*rules: Callable | None) -> Callable:
    """A JVP from one rule per input: rule(t, *primals, out, **params) -> that input's term.

    Terms of absent (zero) tangents are skipped; each term is broadcast to the output's
    shape and the terms are summed.
    """
    def jvp(primals, tangents, out, **params):
        total = None
        for rule, t in zip(rules, tangents):
            if t is None or rule is None:
                continue
            term = _to_shape(rule(t, *primals, out, **params), out.shape)
            total = term if total is None else total + term
        return total

    return jvp


def _to_shape(x, shape):
    from tapejit.primitives.shape import broadcast_to

    return x if x.shape == shape else broadcast_to(x, shape)


# --- families ------------------------------------------------------------------------------

def require_numeric(t: TensorType) -> None:
    if t.dtype.kind == "b":
        raise TypeRuleError(f"expects a numeric operand, got {t}",
                            "use tj.math.logical_not for booleans, or cast to a number first",
                            DTypeError)


def unary(name: str, impl: Callable, jvp: Callable | None, *, float_only: bool = True,
          bool_only: bool = False, transpose: Callable | None = None,
          emit: Callable | None = None) -> Primitive:
    """An elementwise primitive of one operand whose output has the operand's type."""
    def type_rule(x: TensorType) -> TensorType:
        if bool_only:
            require_bool(x)
        elif float_only:
            require_float(x)
        else:
            require_numeric(x)
        return x

    return Primitive(name, type_rule, impl, jvp, transpose, emit, "elementwise")


def require_bool(t: TensorType) -> None:
    if t.dtype.kind != "b":
        raise TypeRuleError(f"expects a boolean operand, got {t}",
                            "compare first (x > 0) or cast with tj.cast(x, tj.bool)", DTypeError)




def _any_dtype(t: TensorType) -> None:
    return None


_OPERAND_CHECKS = {"numeric": lambda t: require_numeric(t), "float": require_float,
                   "bool": require_bool, "any": _any_dtype}


def binary(name: str, impl: Callable, jvp: Callable | None, *, out_dtype=None,
           operands: str = "numeric", float_only: bool = False,
           transpose: Callable | None = None, emit: Callable | None = None) -> Primitive:
    """An elementwise primitive of two same-dtype operands with NumPy broadcasting.

    operands: which dtypes it takes: "numeric" (not bool), "float", "bool" or "any".
    """
    check = _OPERAND_CHECKS["float" if float_only else operands]

    def type_rule(x: TensorType, y: TensorType) -> TensorType:
        dtype = same_dtype(x, y)
        check(x)
        return TensorType(out_dtype or dtype, broadcast_shapes(x, y))

    return Primitive(name, type_rule, impl, jvp, transpose, emit, "elementwise")


# --- Numba emitter helpers (string builders; the backend supplies the context) -------------

def infix(op: str) -> Callable:
    """Emitter of `x op y`."""
    return lambda ctx, x, y: f"({x} {op} {y})"


def vmath(fn: str) -> Callable:
    """Emitter calling the vectorizable math function `fn` for the operand's dtype."""
    return lambda ctx, x: ctx.math(fn, x)
