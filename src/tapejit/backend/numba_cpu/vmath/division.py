"""NumPy's remainders and floor division for generated code (npy_divmod): the remainder
takes the divisor's sign, the quotient is snapped to the integer it must be, x / 0 gives
NaN or inf, and integer division by zero gives 0. Numba's own float remainder and floor
division differ from NumPy's in such cases, and its integer fmod is Python's %."""

from __future__ import annotations

import math

import numpy as np

from tapejit.backend.numba_cpu.vmath.core import inline_math


@inline_math
def fmod_int(a, b):
    """C's remainder (the dividend's sign) from Python's (the divisor's)."""
    r = a % b
    return r - b if (r != 0) & ((r < 0) != (a < 0)) else r


@inline_math
def mod_float(a, b):
    mod = np.fmod(a, b)
    adjusted = mod + b if (mod != 0) & ((b < 0) != (mod < 0)) else mod
    return adjusted if mod != 0 else math.copysign(0.0, b)


@inline_math
def floor_divide_float(a, b):
    mod = np.fmod(a, b)
    div = (a - mod) / b
    div = div - 1 if (mod != 0) & ((b < 0) != (mod < 0)) else div
    floor = np.floor(div)
    snapped = floor + 1 if div - floor > 0.5 else floor
    quotient = snapped if div != 0 else math.copysign(0.0, a / b)
    return a / b if b == 0 else quotient
