"""Integer parts and remainders: floor, ceil, round (half to even), trunc and the sign bit
(zero derivative), and fmod, mod, floor_divide with NumPy's semantics."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import binary, elementwise_batch, quiet, require_float, unary
from tapejit.primitives.jvp import defjvp, zero_jvp
from tapejit.trace import bind

floor_p = unary("floor", np.floor, zero_jvp)
ceil_p = unary("ceil", np.ceil, zero_jvp)
round_p = unary("round", np.rint, zero_jvp)
trunc_p = unary("trunc", np.trunc, zero_jvp)


def _signbit_type(x: TensorType) -> TensorType:
    require_float(x)
    return TensorType(dtypes.bool_, x.shape)


signbit_p = Primitive(name="signbit", type_rule=_signbit_type, impl=np.signbit, jvp=zero_jvp,
                     batch=elementwise_batch)


def _fmod_quotient(x, y, out):
    """The integer x / y rounded toward zero, recovered exactly from the remainder."""
    return bind(round_p, (x - out) / y)


floor_divide_p = binary("floor_divide", quiet(np.floor_divide), zero_jvp)
fmod_p = binary("fmod", quiet(np.fmod),
                defjvp(lambda t, x, y, out: t,
                       lambda t, x, y, out: -(t * _fmod_quotient(x, y, out))))
mod_p = binary("mod", quiet(np.remainder),
               defjvp(lambda t, x, y, out: t,
                      lambda t, x, y, out: -(t * bind(floor_divide_p, x, y))))
