"""Binary arithmetic with NumPy broadcasting: add, sub, mul, div, pow, integer_pow, maximum,
minimum; and neg, square."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, TypeRuleError, op_error
from tapejit.ir import Primitive, TensorType
from tapejit.operands import as_operand, binary_function, binary_operands, cast
from tapejit.primitives.base import binary, defjvp, infix, is_undefined, require_numeric, unary
from tapejit.primitives.reduce import sum_to_shape
from tapejit.site import user_site
from tapejit.trace import bind


def _quiet(fn):
    """Run a NumPy impl without warnings for 1/0, log(0) and the like (NaN/inf are results)."""
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return fn(*args, **params)
    return impl


def _unbroadcast_each(ct, x, y, scale_x=None, scale_y=None):
    """Cotangents of a broadcasting linear binary op, summed back to each linear input."""
    cx = sum_to_shape(ct if scale_x is None else scale_x(ct), x.shape) if is_undefined(x) else None
    cy = sum_to_shape(ct if scale_y is None else scale_y(ct), y.shape) if is_undefined(y) else None
    return cx, cy


add_p = binary("add", np.add, defjvp(lambda t, x, y, out: t, lambda t, x, y, out: t),
               transpose=lambda ct, x, y: _unbroadcast_each(ct, x, y), emit=infix("+"))

sub_p = binary("sub", np.subtract, defjvp(lambda t, x, y, out: t, lambda t, x, y, out: -t),
               transpose=lambda ct, x, y: _unbroadcast_each(ct, x, y, scale_y=lambda c: -c),
               emit=infix("-"))


def _mul_transpose(ct, x, y):
    return _unbroadcast_each(ct, x, y, scale_x=lambda c: c * y, scale_y=lambda c: x * c)


mul_p = binary("mul", np.multiply,
               defjvp(lambda t, x, y, out: t * y, lambda t, x, y, out: x * t),
               transpose=_mul_transpose, emit=infix("*"))


def _div_transpose(ct, x, y):
    assert not is_undefined(y), "div is linear only in its numerator"
    return sum_to_shape(ct / y, x.shape), None


div_p = binary("div", _quiet(np.divide),
               defjvp(lambda t, x, y, out: t / y, lambda t, x, y, out: t * (-out / y)),
               float_only=True, transpose=_div_transpose, emit=infix("/"))

neg_p = unary("neg", np.negative, defjvp(lambda t, x, out: -t), float_only=False,
              transpose=lambda ct, x: (-ct,), emit=lambda c, x: f"(-{x})")

square_p = unary("square", np.square, defjvp(lambda t, x, out: t * (x * 2)), float_only=False,
                 emit=lambda c, x: f"({x} * {x})")


def _integer_pow_type(x: TensorType, *, y: int) -> TensorType:
    require_numeric(x)
    if x.dtype.kind in "iu" and y < 0:
        raise TypeRuleError(f"integer {x} to the negative power {y}",
                            "cast to a float dtype first")
    return x


def _integer_pow_impl(x, *, y):
    out = np.power(x, y) if y >= 0 else np.reciprocal(np.power(x, -y))
    return out.astype(x.dtype, copy=False)


def _integer_pow_jvp(primals, tangents, out, *, y):
    (x,), (t,) = primals, tangents
    if y == 0:
        return None
    if y == 1:
        return t
    return t * (x * 2 if y == 2 else bind(integer_pow_p, x, y=y - 1) * y)


def _integer_pow_emit(ctx, x, *, y):
    if y == 0:
        return ctx.const(1)
    product = " * ".join([x] * abs(y)) if abs(y) <= 8 else f"{x} ** {abs(y)}"
    return f"({product})" if y > 0 else f"({ctx.const(1)} / ({product}))"


integer_pow_p = Primitive("integer_pow", _integer_pow_type, _quiet(_integer_pow_impl),
                          _integer_pow_jvp, emit=_integer_pow_emit)


def _pow_jvp_base(t, x, y, out):
    from tapejit.primitives.compare import where

    return t * where(y == 0, 0, y * pow(x, y - 1))  # d/dx x**0 is 0, even at x == 0


def _pow_jvp_exponent(t, x, y, out):
    from tapejit.primitives.compare import where
    from tapejit.primitives.elementwise import log

    positive = x > 0
    return t * where(positive, out * log(where(positive, x, 1)), 0)


pow_p = binary("pow", _quiet(np.power), defjvp(_pow_jvp_base, _pow_jvp_exponent), float_only=True,
               emit=lambda c, x, y: f"({x} ** {y})")


def _chooser_weights(x, y, first: bool):
    """Weight of x in d max(x, y) (or min): 1 where it wins, 1/2 on ties, 0 elsewhere."""
    wins = (x > y) if first else (x < y)
    return cast(wins, x.dtype) + cast(x == y, x.dtype) * 0.5


def _minmax_emit(better: str):
    """NaN in either operand propagates, as in NumPy."""
    helper = "nan_max" if better == ">" else "nan_min"
    return lambda c, x, y: c.helper(helper, x, y)


def _minmax(name: str, impl, x_wins_when_greater: bool) -> Primitive:
    def rule(index):
        def term(t, x, y, out):
            w = _chooser_weights(x, y, x_wins_when_greater) if index == 0 else \
                _chooser_weights(y, x, x_wins_when_greater)
            return t * w
        return term
    return binary(name, impl, defjvp(rule(0), rule(1)),
                  emit=_minmax_emit(">" if x_wins_when_greater else "<"))


maximum_p = _minmax("maximum", np.maximum, True)
minimum_p = _minmax("minimum", np.minimum, False)


# --- user functions ------------------------------------------------------------------------

def _binary(prim, op):
    return binary_function(prim, op, f"Elementwise {op} with NumPy broadcasting.")


add = _binary(add_p, "add")
subtract = _binary(sub_p, "subtract")
multiply = _binary(mul_p, "multiply")
maximum = _binary(maximum_p, "maximum")
minimum = _binary(minimum_p, "minimum")


def divide(x, y):
    """True division; integer operands give float32 (float64 for 64-bit integers)."""
    a, b = binary_operands("divide", x, y)
    if a.dtype.kind in "iub":
        dtype = np.float64 if a.dtype.itemsize == 8 else np.float32
        a, b = cast(a, dtype), cast(b, dtype)
    return bind(div_p, a, b)


def numeric_operand(x, op: str):
    """An operand for ops defined on numbers: booleans are rejected (as by the type rule),
    eagerly too, where NumPy would quietly compute something."""
    x = as_operand(x, op)
    if x.dtype.kind == "b":
        raise op_error(DTypeError, op, f"expects a numeric operand, got bool{list(x.shape)}",
                       "use tj.math.logical_not for booleans, or cast to a number first",
                       user_site())
    return x


def negative(x):
    return bind(neg_p, numeric_operand(x, "negative"))


def square(x):
    return bind(square_p, numeric_operand(x, "square"))


def reciprocal(x):
    return divide(1, x)


def pow(x, y):
    """x ** y; a Python int exponent becomes integer_pow (exact, and fine at x == 0)."""
    if isinstance(y, int) and not isinstance(y, bool):
        x = numeric_operand(x, "pow")
        if y < 0 and x.dtype.kind in "iu":
            return divide(1, pow(x, -y))
        return bind(integer_pow_p, x, y=y)
    a, b = binary_operands("pow", x, y)
    if a.dtype.kind != "f":  # a tensor exponent of integers: computed in float32
        a, b = cast(a, np.float32), cast(b, np.float32)
    return bind(pow_p, a, b)


power = pow
