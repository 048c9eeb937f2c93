"""Elementwise math under the dtype policy: integer inputs of float functions become
float32; abs and sign take any number."""

from __future__ import annotations

from tapejit.ops.operands import binary_operands, cast, float_operand, numeric_operand
from tapejit.ops.temporaries import spare_operand
from tapejit.primitives import elementwise as prims
from tapejit.tensor import Tensor
from tapejit.trace import bind, bind_into


def _float_unary(prim):
    def fn(x):
        spare = spare_operand(x)
        if spare is not None:
            return bind_into(spare, prim, x)
        if type(x) is Tensor and x._value.dtype.kind == "f":  # float_operand's common case
            return bind(prim, x)
        return bind(prim, float_operand(x, prim.name))
    fn.__name__ = prim.name
    fn.__doc__ = f"Elementwise {prim.name}; integer inputs become float32."
    return fn


exp = _float_unary(prims.exp_p)
log = _float_unary(prims.log_p)
log1p = _float_unary(prims.log1p_p)
expm1 = _float_unary(prims.expm1_p)
sin = _float_unary(prims.sin_p)
cos = _float_unary(prims.cos_p)
tan = _float_unary(prims.tan_p)
tanh = _float_unary(prims.tanh_p)
sqrt = _float_unary(prims.sqrt_p)
rsqrt = _float_unary(prims.rsqrt_p)
sigmoid = _float_unary(prims.sigmoid_p)
softplus = _float_unary(prims.softplus_p)


def abs(x):  # noqa: A001
    """Elementwise |x|; d|x|/dx at 0 is 0 (sign(0))."""
    spare = spare_operand(x)
    return bind_into(spare, prims.abs_p, numeric_operand(x, "abs"))


def sign(x):
    return bind(prims.sign_p, numeric_operand(x, "sign"))


def atan2(y, x):
    """The angle of the point (x, y), elementwise, in [-pi, pi] (NumPy's arctan2);
    integer inputs become float32."""
    a, b = binary_operands("atan2", y, x)
    if a.dtype.kind != "f":
        a, b = cast(a, "float32"), cast(b, "float32")
    return bind(prims.atan2_p, a, b)
