"""Sampled signals with NumPy's signatures: convolve, correlate (1-d, modes 'full', 'same',
'valid'), interp and heaviside, differentiable in every float input; and the float-format
functions frexp, ldexp, nextafter, spacing and modf, bit-exact (np.*)."""

from __future__ import annotations

import functools

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import (
    float_operands,
    known_values,
    operand,
    operands,
    reject_out,
    reject_where,
    ufunc_checks,
    with_dtype,
)
from tapejit.numpy.logic import (
    equal,
    greater,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_or,
    not_equal,
    signbit,
    where,
)
from tapejit.numpy.rearranging import flip
from tapejit.numpy.reductions import truth_reduce
from tapejit.numpy.rounding import floor, mod, trunc
from tapejit.numpy.shaping import atleast_1d
from tapejit.numpy.sorting import argsort
from tapejit.numpy.statistics import one_dimensional, sorted_count
from tapejit.numpy.transcendental import log2
from tapejit.numpy.ufunc import binary, unary
from tapejit.numpy.ufuncs import (
    absolute,
    add,
    divide,
    maximum,
    minimum,
    multiply,
    negative,
    subtract,
)
from tapejit.ops import reduce as tf_reduce
from tapejit.ops.gathers import gather_along
from tapejit.ops.operands import cast, stop_gradient
from tapejit.ops.shape import concat
from tapejit.site import user_site
from tapejit.tensor import Tensor

_MODES = {"valid": 0, "same": 1, "full": 2}


def _mode(mode, op: str) -> int:
    """NumPy's correlation mode: 'valid', 'same', 'full' or 0, 1, 2."""
    if isinstance(mode, str):
        if mode not in _MODES:
            raise op_error(ValueError, op, f"mode must be one of 'valid', 'same', or 'full' "
                           f"(got {mode!r})", "pass one of those names", user_site())
        return _MODES[mode]
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, (bool, np.bool_)):
        if mode not in (0, 1, 2):
            raise op_error(ValueError, op, "integer convolve/correlate mode must be 0, 1, or "
                           f"2 (got {mode})", "pass 'valid', 'same' or 'full'", user_site())
        return int(mode)
    raise op_error(TypeError, op, f"convolve/correlate mode not understood: {mode!r}",
                   "pass 'valid', 'same' or 'full'", user_site())


def _slide(a, v, mode: int):
    """sum_j v[j] * a[k + j - lo] over the j that reach inside a (len(a) >= len(v)), for
    every output k of the mode: one gather of a's windows, the products outside a masked
    out (not multiplied by zero padding, so NaN and inf stay where NumPy has them), and a
    sum. Memory O(len(a) * len(v))."""
    n, m = a.shape[0], v.shape[0]
    lo = (0, m // 2, m - 1)[mode]
    outputs = (n - m + 1, n, n + m - 1)[mode]
    positions = np.arange(m)[:, None] + np.arange(outputs)[None, :] - lo
    inside = (positions >= 0) & (positions < n)
    work = dtypes.float32 if a.dtype == dtypes.float16 else a.dtype
    windows = gather_along(cast(a, work), np.clip(positions, 0, n - 1), 0)
    terms = where(inside, multiply(cast(v, work)[:, None], windows), work.type(0))
    if work.kind == "b":
        return truth_reduce(tf_reduce.reduce_max, terms, (0,))
    return cast(tf_reduce.reduce_sum(terms, (0,), False), a.dtype)


def _nonempty(x, message: str, op: str):
    if x.shape[0] == 0:
        raise op_error(ValueError, op, message, "pass at least one element", user_site())


def correlate(a, v, mode="valid"):
    """The cross-correlation of two 1-d sequences, sum_n a[n + k] * v[n] (np.correlate);
    when v is the longer one NumPy correlates v with a and reverses the result, and so does
    this ('same' then has v's length)."""
    kind = _mode(mode, "correlate")
    x, w = operands("correlate", a, v)
    one_dimensional(x, "correlate")
    one_dimensional(w, "correlate")
    _nonempty(x, "first array argument cannot be empty", "correlate")
    _nonempty(w, "second array argument cannot be empty", "correlate")
    if x.shape[0] < w.shape[0]:
        return flip(_slide(w, x, kind))
    return _slide(x, w, kind)


def convolve(a, v, mode="full"):
    """The discrete linear convolution of two 1-d sequences (np.convolve): the longer one
    slides under the reversed shorter one; 'same' has the longer one's length."""
    x, w = (atleast_1d(u) for u in operands("convolve", a, v))
    one_dimensional(x, "convolve")
    one_dimensional(w, "convolve")
    _nonempty(x, "a cannot be empty", "convolve")
    _nonempty(w, "v cannot be empty", "convolve")
    kind = _mode(mode, "convolve")
    if w.shape[0] > x.shape[0]:
        x, w = w, x
    return _slide(x, flip(w), kind)


def _scalar_bound(value, name: str):
    """left/right: one number (np.interp converts it with float())."""
    bound = operand(value, "interp")
    if bound.ndim != 0:
        raise op_error(TypeError, "interp", f"{name} must be real number, not an array of "
                       f"shape {bound.shape}", f"pass a single number as {name}", user_site())
    return cast(bound, dtypes.float64)


def _periodic(x, xp, fp, period):
    """x and the sample points wrapped into [0, period), the points sorted and extended by
    one period on each side (np.interp with `period`)."""
    length = operand(period, "interp")
    value = known_values(length)
    if value is not None and np.any(value == 0):
        raise op_error(ValueError, "interp", "period must be a non-zero value",
                       "pass a non-zero period", user_site())
    length = cast(maximum(length, -length), dtypes.float64)
    if xp.ndim != 1 or fp.ndim != 1:
        raise op_error(ValueError, "interp", "Data points must be 1-D sequences",
                       "pass 1-d xp and fp", user_site())
    if xp.shape[0] != fp.shape[0]:
        raise op_error(ValueError, "interp", "fp and xp are not of the same length",
                       "pass one fp value per sample point", user_site())
    x, xp = mod(x, length), mod(xp, length)
    order = argsort(xp)
    xp, fp = gather_along(xp, order, 0), gather_along(fp, order, 0)
    xp = concat([subtract(xp[-1:], length), xp, add(xp[:1], length)], 0)
    return x, xp, concat([fp[-1:], fp, fp[:1]], 0)


def _between(x, xp, fp, j):
    """The line through the samples around x (j: the last sample point at or below x),
    with NumPy's fallbacks: from the right end when the left gives NaN, and the value
    itself when both ends hold it."""
    n = xp.shape[0]
    lower = minimum(maximum(j, 0), n - 2)
    x0, x1 = gather_along(xp, lower, 0), gather_along(xp, lower + 1, 0)
    y0, y1 = gather_along(fp, lower, 0), gather_along(fp, lower + 1, 0)
    width = subtract(x1, x0)
    slope = divide(subtract(y1, y0), where(width == 0, 1.0, width))
    first = add(multiply(slope, subtract(x, x0)), y0)
    second = add(multiply(slope, subtract(x, x1)), y1)
    value = where(isnan(first), where(logical_and(isnan(second), y0 == y1), y0, second), first)
    return where(x == x0, y0, value)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the samples (xp, fp) at x (np.interp), in float64:
    fp[0] (or `left`) below xp[0], fp[-1] (or `right`) above xp[-1], NaN for NaN x; with
    `period`, x and xp wrap around. xp must be increasing (not checked, as in NumPy).
    Differentiable in x, fp and xp (and left/right)."""
    x = cast(operand(x, "interp"), dtypes.float64)
    xp = cast(operand(xp, "interp"), dtypes.float64)
    fp = cast(operand(fp, "interp"), dtypes.float64)
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
        left = right = None
    one_dimensional(fp, "interp")
    one_dimensional(xp, "interp")
    n = xp.shape[0]
    if n == 0:
        raise op_error(ValueError, "interp", "array of sample points is empty",
                       "pass at least one sample point", user_site())
    if fp.shape[0] != n:
        raise op_error(ValueError, "interp", f"fp and xp are not of the same length "
                       f"({fp.shape[0]} and {n})", "pass one fp value per sample point",
                       user_site())
    below = fp[0] if left is None else _scalar_bound(left, "left")
    above = fp[n - 1] if right is None else _scalar_bound(right, "right")
    if n == 1:
        return where(x < xp[0], below, where(x > xp[0], above, fp[0]))
    j = sorted_count(xp, x, right=True) - 1
    value = where(j == n - 1, fp[n - 1], _between(x, xp, fp, j))
    value = where(x > xp[n - 1], above, value)
    value = where(j < 0, below, value)
    return where(isnan(x), x, value)


# --- the float format: frexp, ldexp, nextafter, spacing, modf; heaviside -----------------
# No primitive sees a float's bits: an exponent is log2's, corrected by comparing with the
# exact powers of two of the dtype, and every other step is exact float arithmetic (a
# power-of-two scaling, the sum of a float and its gap), so the results are bit-exact for
# float16, float32 and float64. (Under jit, float16 kernels compute in float32 and round
# when storing: overflow to inf is therefore made explicit, and every other step is exact
# in either width.)


@functools.cache
def _powers_of_two(dtype: np.dtype) -> np.ndarray:
    """Every power of two `dtype` holds, from its smallest subnormal up."""
    info = np.finfo(dtype)
    exponents = np.arange(info.minexp - info.nmant, info.maxexp)
    return np.ldexp(np.ones(exponents.size, dtype), exponents)


def _lowest_exponent(dtype: np.dtype) -> int:
    info = np.finfo(dtype)
    return int(info.minexp - info.nmant)


def _binade(magnitude):
    """(k, 2**k) with 2**k <= magnitude < 2**(k+1) (k int64) for finite positive
    magnitudes; (0, 1) for 0, inf and NaN. The first guess is floor(log2) in float64 (which
    holds float16/32 exactly; float64 subnormals are scaled up exactly first); near a power
    of two it may be one off, and the comparisons with the exact powers decide."""
    dtype = magnitude.dtype
    kind, wide = dtype.type, np.finfo(dtypes.float64)
    powers = _powers_of_two(dtype)
    low = _lowest_exponent(dtype)
    m = stop_gradient(magnitude)
    m = where(logical_and(isfinite(m), greater(m, kind(0))), m, kind(1))
    m64 = cast(m, dtypes.float64)
    small = less(m64, wide.tiny)
    normal = where(small, multiply(m64, 2.0 ** wide.nmant), m64)
    guess = subtract(cast(floor(log2(normal)), dtypes.int64), where(small, wide.nmant, 0))
    guess = minimum(maximum(guess, low), low + powers.size - 1)
    power = gather_along(Tensor(powers), subtract(guess, low), 0)
    above = greater(power, m)
    below = less_equal(multiply(power, kind(2)), m)
    exponent = where(above, subtract(guess, 1), where(below, add(guess, 1), guess))
    power = where(above, multiply(power, kind(0.5)), where(below, multiply(power, kind(2)),
                                                          power))
    return exponent, power


def _normalized(a):
    """(m, k) with a = m * 2**k and |m| in [0.5, 1) for finite nonzero a; m is a for 0,
    inf and NaN. m's gradient is 2**-k."""
    exponent, power = _binade(absolute(a))
    return multiply(divide(a, power), a.dtype.type(0.5)), add(exponent, 1)


def _finite_nonzero(a):
    return logical_and(isfinite(a), not_equal(a, a.dtype.type(0)))


def _frexp(x):
    a = float_operands("frexp", x)[0]
    mantissa, exponent = _normalized(a)
    return (stop_gradient(mantissa),
            cast(where(_finite_nonzero(a), exponent, 0), dtypes.int32))


def _scaled(m, t, dtype: np.dtype):
    """m * 2**t for |m| in [0.5, 1), rounded once as ldexp rounds: by one power of two when
    `dtype` holds 2**t; above that, by its largest power first (exactly) and then by the
    rest (overflowing to inf); far below, to a signed zero."""
    powers = _powers_of_two(dtype)
    low = _lowest_exponent(dtype)
    high = low + powers.size - 1
    over = t > high
    first = where(over, powers[-1], dtype.type(1))
    index = minimum(maximum(where(over, t - high, t) - low, 0), powers.size - 1)
    second = where(t < low, dtype.type(0), gather_along(Tensor(powers), index, 0))
    return multiply(multiply(m, first), second)


def _exponents(x2):
    """ldexp's integer exponents as int64 (Python ints of any size, clamped)."""
    if type(x2) is int:
        return Tensor(np.int64(np.clip(x2, -2**40, 2**40)))
    e = operand(x2, "ldexp")
    if e.dtype.kind not in "biu" or e.dtype == dtypes.uint64:
        raise op_error(TypeError, "ldexp", f"ufunc 'ldexp' not supported for the input "
                       f"types: exponents of dtype {e.dtype}", "pass integer exponents",
                       user_site())
    return cast(e, dtypes.int64)


def _ldexp(x1, x2):
    a = float_operands("ldexp", x1)[0]
    span = 4 * _powers_of_two(a.dtype).size
    e = minimum(maximum(_exponents(x2), -span), span)
    m, exponent = _normalized(a)
    return where(isfinite(a), _scaled(m, add(exponent, e), a.dtype), a)


def _gaps(magnitude):
    """(the gap to the next float above `magnitude`, the gap to the one below it)."""
    info = np.finfo(magnitude.dtype)
    kind = magnitude.dtype.type
    _, power = _binade(magnitude)
    up = maximum(multiply(power, kind(2.0 ** -info.nmant)), kind(info.smallest_subnormal))
    at_power = logical_and(equal(magnitude, power), greater(power, kind(info.tiny)))
    return up, where(at_power, multiply(up, kind(0.5)), up)


def _step_toward(a, b):
    """The float next to a in the direction of b (a, b of one float dtype), as NumPy's
    nextafter: for a == b, b (a for float16, so nextafter(0.0, -0.0) differs)."""
    info = np.finfo(a.dtype)
    kind = a.dtype.type
    magnitude = absolute(a)
    up, down = _gaps(magnitude)
    away = equal(greater(b, a), greater(a, kind(0)))
    moved = where(away, add(magnitude, up), subtract(magnitude, down))
    moved = where(greater(moved, info.max), kind(np.inf), moved)
    result = where(signbit(a), negative(moved), moved)
    tiny = kind(info.smallest_subnormal)
    result = where(equal(a, kind(0)), where(greater(b, kind(0)), tiny, -tiny), result)
    result = where(isinf(a), where(greater(a, kind(0)), info.max, -info.max), result)
    result = where(equal(a, b), a if a.dtype == dtypes.float16 else b, result)
    return where(logical_or(isnan(a), isnan(b)), add(a, b), result)


def _nextafter(x1, x2):
    return stop_gradient(_step_toward(*float_operands("nextafter", x1, x2)))


def _spacing(x):
    """NumPy's spacing: the step to the next float away from zero (float32/64; -0.0 counts
    as positive), or toward +inf (float16, so always positive); NaN for inf and NaN."""
    a = float_operands("spacing", x)[0]
    kind = a.dtype.type
    if a.dtype == dtypes.float16:
        target = kind(np.inf)
    else:
        target = where(less(a, kind(0)), kind(-np.inf), kind(np.inf))
    step = subtract(_step_toward(a, target), a)
    return stop_gradient(where(isfinite(a), step, kind(np.nan)))


def _modf(x):
    a = float_operands("modf", x)[0]
    whole = trunc(a)
    part = where(signbit(a), negative(subtract(whole, a)), subtract(a, whole))
    zero = where(signbit(a), a.dtype.type(-0.0), a.dtype.type(0.0))
    return where(isinf(a), zero, part), whole


def _heaviside(x1, x2):
    a, h = float_operands("heaviside", x1, x2)
    kind = a.dtype.type
    step = where(less(a, kind(0)), kind(0), where(greater(a, kind(0)), kind(1), h))
    return where(isnan(a), a, step)


def _two_outputs(name: str, compute, doc: str):
    """A NumPy ufunc with two outputs (out=(None, None) allowed)."""
    def fn(x, /, out=None, *, where=True, dtype=None):  # noqa: A002 (NumPy's names)
        if not (isinstance(out, tuple) and all(o is None for o in out)):
            reject_out(out, name)
        reject_where(where, name)
        return compute(*with_dtype(name, (x,), dtype))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


frexp = _two_outputs("frexp", _frexp, "(mantissa, exponent) with x = mantissa * 2**exponent, "
                     "|mantissa| in [0.5, 1) and int32 exponents (np.frexp); 0, inf and NaN "
                     "give (x, 0). Bit-exact; the mantissa has no gradient.")
modf = _two_outputs("modf", _modf, "(fractional part, integral part) with x's sign (np.modf); "
                    "inf gives (+-0, inf). The fractional part's gradient is 1, the "
                    "integral part's 0.")
nextafter = binary("nextafter", _nextafter, "The next float after x1 toward x2 "
                   "(np.nextafter), bit-exact, subnormals included; no gradient.")
spacing = unary("spacing", _spacing, "The distance to the adjacent float (np.spacing): away "
                "from zero, signed, for float32/64; toward +inf for float16; NaN for inf and "
                "NaN. Bit-exact; no gradient.")
heaviside = binary("heaviside", _heaviside, "The step function (np.heaviside): 0 below zero, "
                   "1 above, x2 at zero, NaN at NaN. The gradient reaches x2 only where "
                   "x1 == 0 (as in JAX).")


def ldexp(x1, x2, /, out=None, *, where=True, dtype=None):  # noqa: A002 (NumPy's names)
    """x1 * 2**x2, rounded once (np.ldexp), bit-exact: in x1's float type (the integer
    exponents take no part in the dtype; `dtype` converts x1). The gradient in x1 is 2**x2."""
    ufunc_checks("ldexp", out, where)
    return _ldexp(x1 if dtype is None else with_dtype("ldexp", (x1,), dtype)[0], x2)
