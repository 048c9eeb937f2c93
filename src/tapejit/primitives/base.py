"""Building blocks for declaring primitives: the linear-input marker, type-rule helpers and
the family builders (`unary`, `binary`, `linear`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tapejit.dtypes import is_float
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.trace import bind


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


def quiet(fn: Callable) -> Callable:
    """A NumPy impl run without warnings for 1/0, log(0) and the like (NaN/inf are results)."""
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return fn(*args, **params)
    return impl


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


def require_numeric(t: TensorType) -> None:
    if t.dtype.kind == "b":
        raise TypeRuleError(f"expects a numeric operand, got {t}",
                            "use tj.math.logical_not for booleans, or cast to a number first",
                            DTypeError)


def require_bool(t: TensorType) -> None:
    if t.dtype.kind != "b":
        raise TypeRuleError(f"expects a boolean operand, got {t}",
                            "compare first (x > 0) or cast with tj.cast(x, tj.bool)", DTypeError)


def check_axes(t: TensorType, axes: tuple[int, ...]) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < t.ndim for a in axes):
        raise TypeRuleError(f"axes {axes} are not distinct axes of {t}",
                            f"use axes in range({t.ndim})", ShapeError)


OPERAND_CHECKS: dict[str, Callable[[TensorType], None]] = {
    "numeric": require_numeric, "float": require_float, "bool": require_bool,
    "any": lambda t: None}


# --- families ------------------------------------------------------------------------------

def unary(name: str, impl: Callable, jvp: Callable | None, *, operands: str = "float",
          transpose: Callable | None = None) -> Primitive:
    """An elementwise primitive of one operand whose output has the operand's type.

    operands: which dtypes it takes: "float", "numeric" (not bool), "bool" or "any".
    """
    check = OPERAND_CHECKS[operands]

    def type_rule(x: TensorType) -> TensorType:
        check(x)
        return x

    return Primitive(name=name, type_rule=type_rule, impl=impl, jvp=jvp, transpose=transpose)


def binary(name: str, impl: Callable, jvp: Callable | None, *, out_dtype=None,
           operands: str = "numeric", transpose: Callable | None = None) -> Primitive:
    """An elementwise primitive of two same-dtype operands with NumPy broadcasting."""
    check = OPERAND_CHECKS[operands]

    def type_rule(x: TensorType, y: TensorType) -> TensorType:
        dtype = same_dtype(x, y)
        check(x)
        return TensorType(out_dtype or dtype, broadcast_shapes(x, y))

    return Primitive(name=name, type_rule=type_rule, impl=impl, jvp=jvp, transpose=transpose)


def linear(name: str, type_rule: Callable, impl: Callable, transpose: Callable, *,
           kind: str, size_params: tuple[str, ...] = ()) -> Primitive:
    """A primitive of one operand that is linear in it: its JVP applies itself to the
    tangent, with the same params."""
    def jvp(primals, tangents, out, **params):
        return bind(prim, tangents[0], **params)

    prim = Primitive(name=name, type_rule=type_rule, impl=impl, jvp=jvp, transpose=transpose,
                     kind=kind, size_params=size_params)
    return prim
