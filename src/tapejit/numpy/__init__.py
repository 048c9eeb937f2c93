"""tapejit.numpy: NumPy's names and semantics over tapejit's primitives (for JAX and NumPy
users). Dtypes follow NumPy's rules, with Python numbers weak and float32/int32 where NumPy
would default a Python number to float64/int64 (see tapejit/ops/numpy_policy.py).

    import tapejit.numpy as tnp
"""

import numpy as _np

from tapejit.numpy.contractions import dot, einsum, inner, matmul, outer, tensordot, vdot
from tapejit.numpy.creation import (
    arange,
    array,
    asarray,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from tapejit.numpy.indexing import (
    argmax,
    argmin,
    put_along_axis,
    take,
    take_along_axis,
)
from tapejit.numpy.reductions import amax, amin, max, mean, min, sum
from tapejit.numpy.shaping import (
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    ravel,
    reshape,
    squeeze,
    stack,
    transpose,
)
from tapejit.numpy.ufuncs import (
    abs,
    absolute,
    add,
    arctan2,
    clip,
    cos,
    divide,
    exp,
    log,
    log1p,
    logaddexp,
    logaddexp2,
    maximum,
    minimum,
    multiply,
    negative,
    pow,
    power,
    sin,
    sqrt,
    square,
    subtract,
    tanh,
    true_divide,
)

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
bool_, float16, float32, float64 = _np.bool_, _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64

__all__ = [name for name in dir() if not name.startswith("_")]
