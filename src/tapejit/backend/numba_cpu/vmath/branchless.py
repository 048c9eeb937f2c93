"""Branch-free helpers for generated code: where, nan_max, nan_min, sign."""

from __future__ import annotations

from tapejit.backend.numba_cpu.vmath.core import inline_math

# --- branch-free helpers for generated code ----------------------------------------------------
# Written as calls rather than inline `a if c else b` so a long kernel keeps one basic block
# per loop (Numba's SSA pass is quadratic in blocks); force-inlined, they become selects.

@inline_math
def where(pred, a, b):
    return a if pred else b


@inline_math
def nan_max(a, b):
    """max propagating NaN from either side, as np.maximum."""
    return a if (a > b) | (a != a) else b


@inline_math
def nan_min(a, b):
    return a if (a < b) | (a != a) else b


@inline_math
def sign(x):
    """1, -1, 0 for both zeros, NaN for NaN: np.sign's values."""
    one = type(x)(1)
    return one if x > 0 else (-one if x < 0 else (x - x if x == x else x))
