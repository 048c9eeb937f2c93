"""The Numba backend's code for elementwise primitives: one expression per element, inside a
fused loop. Each entry is code(ctx, *operand expressions, **params) -> expression.

`ctx` gives typed constants (`ctx.const`), vectorizable math (`ctx.math`, the `vmath`
functions, libm where there is none) and branch-free helpers (`ctx.helper`).
"""

from __future__ import annotations

import numpy as np

VMATH = frozenset({"exp", "expm1", "log", "log1p", "sin", "cos", "tanh", "sigmoid",
                   "softplus"})
"""Functions `vmath` provides for float32 and float64 (`exp_f32`, `exp_f64`, ...)."""
TRIG = frozenset({"sin", "cos"})
"""vmath's sin/cos give NaN at |x| >= these limits; loops then recompute with libm."""
SIN_COS_LIMIT = 2.0**40
SIN_COS_LIMIT_F32 = 2.0**18


def infix(op: str):
    return lambda ctx, x, y: f"({x} {op} {y})"


def vmath(fn: str):
    return lambda ctx, x: ctx.math(fn, x)


def helper(name: str):
    return lambda ctx, *args: ctx.helper(name, *args)


def _integer_pow(ctx, x, *, y):
    if y == 0:
        return ctx.const(1)
    product = " * ".join([x] * abs(y)) if abs(y) <= 8 else f"{x} ** {abs(y)}"
    return f"({product})" if y > 0 else f"({ctx.const(1)} / ({product}))"


def by_kind(float_code, int_code):
    """Code for a binary op whose float and integer versions differ."""
    return lambda ctx, x, y: (float_code if ctx.in_dtypes[0].kind == "f" else int_code)(ctx, x, y)


def call(fn: str):
    return lambda ctx, *args: f"{fn}({', '.join(args)})"


def _convert(ctx, x, *, new_dtype):
    return f"({x} != 0)" if new_dtype.kind == "b" else x  # the loop casts every result


def _logaddexp(ctx, x, y):
    """NumPy's: x + log(2) at ties (so equal infinities stay), else max + log1p(e**-|x - y|)."""
    tail = ctx.math("log1p", ctx.math("exp", f"(-abs({x} - {y}))"))
    return ctx.helper("where", f"{x} == {y}", f"{x} + {ctx.const(np.log(2.0))}",
                      f"{ctx.helper('nan_max', x, y)} + {tail}")


def _exp2(ctx, x):
    """libm's exp2/exp2f by name (vmath/libm.py: Numba's np.exp2 cannot give both types in
    one kernel)."""
    dtype = ctx.in_dtypes[0]
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        return ctx.helper(f"exp2_f{8 * dtype.itemsize}", x)
    return f"np.exp2({x})"


SCALAR_CODE = {
    "add": infix("+"), "sub": infix("-"), "mul": infix("*"), "div": infix("/"),
    "neg": lambda c, x: f"(-{x})", "square": lambda c, x: f"({x} * {x})",
    "integer_pow": _integer_pow, "pow": lambda c, x, y: f"({x} ** {y})",
    "maximum": helper("nan_max"), "minimum": helper("nan_min"),  # NaN wins, as in NumPy
    "exp": vmath("exp"), "log": vmath("log"), "log1p": vmath("log1p"), "expm1": vmath("expm1"),
    "sin": vmath("sin"), "cos": vmath("cos"), "tan": lambda c, x: f"math.tan({x})",
    "tanh": vmath("tanh"), "sqrt": lambda c, x: f"np.sqrt({x})",
    "rsqrt": lambda c, x: f"({c.const(1)} / np.sqrt({x}))",
    "abs": lambda c, x: f"abs({x})", "sign": helper("sign"),
    "sigmoid": vmath("sigmoid"), "softplus": vmath("softplus"),
    "atan2": lambda c, y, x: f"math.atan2({y}, {x})", "logaddexp": _logaddexp,
    "gt": infix(">"), "ge": infix(">="), "lt": infix("<"), "le": infix("<="),
    "eq": infix("=="), "ne": infix("!="), "and": infix("and"), "or": infix("or"),
    "not": lambda c, x: f"(not {x})",
    "select": helper("where"),
    "convert_element_type": _convert, "stop_gradient": lambda c, x: x,
    # primitives/trig.py, special.py, rounding.py
    "asin": call("np.arcsin"), "acos": call("np.arccos"), "atan": call("np.arctan"),
    "sinh": call("np.sinh"), "cosh": call("np.cosh"), "asinh": call("np.arcsinh"),
    "acosh": call("np.arccosh"), "atanh": call("np.arctanh"), "hypot": call("np.hypot"),
    "exp2": _exp2, "log2": call("math.log2"), "log10": call("np.log10"),
    "cbrt": call("np.cbrt"), "erf": call("math.erf"), "erfc": call("math.erfc"),
    "floor": call("np.floor"), "ceil": call("np.ceil"), "round": call("np.rint"),
    "trunc": call("np.trunc"), "signbit": call("np.signbit"),
    "fmod": by_kind(call("np.fmod"), helper("fmod_int")),
    "mod": by_kind(helper("mod_float"), infix("%")),
    "floor_divide": by_kind(helper("floor_divide_float"), infix("//")),
}

REDUCTION_INIT = {"reduce_sum": "zero", "reduce_max": "lowest", "reduce_min": "highest"}
"""The identity each reduction's accumulator starts from."""
