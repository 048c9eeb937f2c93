"""Inverse trigonometric and hyperbolic functions, base-2 and base-10 exponentials and
logarithms, cbrt, hypot, angle conversions and sinc, with NumPy's dtype rules."""

from __future__ import annotations

import math

from tapejit import dtypes
from tapejit.numpy.arguments import float_operands, operand
from tapejit.numpy.ufunc import float_binary, float_unary, unary
from tapejit.ops.compare import where as _select
from tapejit.ops.elementwise import abs as _abs
from tapejit.ops.elementwise import sin as _sin
from tapejit.ops.operands import cast
from tapejit.primitives import special, trig

arcsin = float_unary("arcsin", trig.asin_p)
arccos = float_unary("arccos", trig.acos_p)
arctan = float_unary("arctan", trig.atan_p)
sinh = float_unary("sinh", trig.sinh_p)
cosh = float_unary("cosh", trig.cosh_p)
arcsinh = float_unary("arcsinh", trig.asinh_p)
arccosh = float_unary("arccosh", trig.acosh_p)
arctanh = float_unary("arctanh", trig.atanh_p)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
hypot = float_binary("hypot", trig.hypot_p,
                     "sqrt(x1**2 + x2**2) elementwise without overflow (np.hypot).")

exp2 = float_unary("exp2", special.exp2_p)
log2 = float_unary("log2", special.log2_p)
log10 = float_unary("log10", special.log10_p)
cbrt = float_unary("cbrt", special.cbrt_p)


def _scaled(name: str, factor: float, doc: str):
    return unary(name, lambda x: float_operands(name, x)[0] * factor, doc)


deg2rad = _scaled("deg2rad", math.pi / 180, "Degrees to radians (np.deg2rad).")
rad2deg = _scaled("rad2deg", 180 / math.pi, "Radians to degrees (np.rad2deg).")
radians = _scaled("radians", math.pi / 180, "Degrees to radians (np.radians).")
degrees = _scaled("degrees", 180 / math.pi, "Radians to degrees (np.degrees).")

_SINC_SERIES_BELOW = 1e-3
"""|pi x| under which sinc is its Taylor series 1 - y**2/6 + y**4/120 (the next term is
below float64's resolution there), so its derivatives are right at 0 too."""


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0 (np.sinc), with its derivatives of every order at 0.
    Not a ufunc: integers and booleans give float64."""
    x = operand(x, "sinc")
    x = cast(x, x.dtype if x.dtype.kind == "f" else dtypes.float64)
    y = x * math.pi
    small = _abs(y) < _SINC_SERIES_BELOW
    safe = _select(small, 1.0, y)
    yy = y * y
    series = 1.0 - yy * (1.0 / 6.0 - yy * (1.0 / 120.0))
    return _select(small, series, _sin(safe) / safe)

