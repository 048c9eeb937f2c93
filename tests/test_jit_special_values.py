"""Every elementwise op of the op table, compiled, against the same op run eagerly, at the
values where approximations and fast-math flags go wrong: signed zeros, infinities, NaN,
subnormals, the largest finite numbers and the edges of exp's range.

IEEE-exact ops (arithmetic, sqrt, comparisons, rounding, min/max, ...) must agree bit for bit;
the transcendental functions within the ulp bound README states. All cases of one dtype
compile as one jitted function, so the check costs one compile per dtype."""

import warnings

import numpy as np
import pytest

import tapejit as tj
from tests.optable import CASES, SPECIAL_VALUES

# README's numeric guarantees: jit against eager (NumPy) for these functions, in ulp
TRANSCENDENTAL_ULPS = 4
TRANSCENDENTAL = {"exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid",
                  "softplus", "atan2", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                  "acosh", "atanh", "hypot", "exp2", "log2", "log10", "cbrt", "erf", "erfc",
                  "pow", "logaddexp", "logaddexp2"}
EXTRA = [("integer_pow_12", 1, lambda x: x**12), ("integer_pow_neg11", 1, lambda x: x**-11),
         ("one_over_sqrt", 1, lambda x: 1.0 / tj.math.sqrt(x)),
         ("x_times_x_plus_1", 1, lambda x: x * x + 1.0)]
CHECKED = [(c.id, len(c.shapes[0]), c.fn, c.prim) for c in CASES if c.special]
CHECKED += [(name, n, fn, name) for name, n, fn in EXTRA]


def _values(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    edges = [info.smallest_subnormal, -info.smallest_subnormal, info.tiny, -info.tiny,
             info.max, -info.max, 0.5, -2.5, 3.0, 20.0, -20.0, 1e-8, -1e-8, 88.7, -103.9,
             709.8, -745.1]
    return np.concatenate([SPECIAL_VALUES, edges]).astype(dtype)


def _arguments(n_args: int, dtype, rng) -> list[np.ndarray]:
    """Unary: the values three times in different orders (a length with a vector remainder);
    binary: every pair."""
    values = _values(dtype)
    if n_args == 1:
        return [np.concatenate([values, rng.permutation(values), rng.permutation(values)])]
    grids = np.meshgrid(values, values, indexing="ij")
    return [g.ravel() for g in grids]


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Distance in units in the last place (0 for two NaNs; signed zeros are 1 apart)."""
    ints = np.int32 if got.dtype == np.float32 else np.int64
    lowest = np.iinfo(ints).min

    def ordered(a):
        bits = a.view(ints).astype(np.float64)
        return np.where(bits < 0, lowest - bits, bits)

    distance = np.abs(ordered(got) - ordered(want))
    distance[np.isnan(got) & np.isnan(want)] = 0
    return distance


def _run_all(args_per_case, as_inputs):
    def every_case(*flat):
        outputs, i = [], 0
        for (_, n, fn, _), _args in zip(CHECKED, args_per_case):
            outputs.append(fn(*flat[i:i + n]))
            i += n
        return tuple(outputs)

    flat = [a for args in args_per_case for a in args]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return as_inputs(every_case, flat)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_compiled_elementwise_ops_equal_eager_ones_at_special_values(dtype):
    rng = np.random.default_rng(0)
    args_per_case = [_arguments(n, dtype, rng) for _, n, _, _ in CHECKED]
    eager = _run_all(args_per_case, lambda f, flat: f(*map(tj.constant, flat)))
    jitted = _run_all(args_per_case, lambda f, flat: tj.jit(f)(*flat))
    failures = []
    for (name, _, _, prim), args, e, j in zip(CHECKED, args_per_case, eager, jitted):
        e, j = np.asarray(e.numpy()), np.asarray(j.numpy())
        assert e.dtype == j.dtype and e.shape == j.shape, (name, e.dtype, j.dtype)
        if e.dtype.kind != "f":
            bad = np.flatnonzero(e != j)
        else:
            allowed = TRANSCENDENTAL_ULPS if prim in TRANSCENDENTAL else 0
            bad = np.flatnonzero(_ulps(j, e) > allowed)
        if bad.size:
            k = bad[0]
            failures.append(f"{name}{tuple(a[k] for a in args)}: jit {j.flat[k]!r}, "
                            f"eager {e.flat[k]!r} ({bad.size} of {e.size} differ)")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_reciprocal_square_roots_keep_ieee_special_values(dtype):
    """The case fast-math's approximate rsqrt broke: 0 -> inf, inf -> 0, subnormals finite,
    at lengths that take the vector loop and its remainder."""
    tiny = np.finfo(dtype).smallest_subnormal
    for length in (1, 7, 8, 33, 257):
        x = np.resize(np.array([0.0, np.inf, tiny, 4.0], dtype), length)
        with np.errstate(divide="ignore"):
            want = 1 / np.sqrt(x)
        for fn in (tj.math.rsqrt, lambda a: 1.0 / tj.math.sqrt(a)):
            got = tj.jit(fn)(x).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"length {length}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_gradient_of_sqrt_at_zero_is_infinite_under_jit(dtype):
    x = np.array([0.0, 4.0, 0.0, 1.0, 0.0, 9.0, 0.0, 16.0, 0.0], dtype)
    grad = tj.jit(tj.grad(lambda a: tj.reduce_sum(tj.math.sqrt(a))))(x).numpy()
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(grad, 0.5 / np.sqrt(x))


@pytest.mark.parametrize("reduce", [tj.reduce_max, tj.reduce_min])
def test_a_nan_reaches_the_gradient_of_max_and_min(reduce):
    """As in JAX: NaN among the inputs is the max, so the gradient carries NaN, not zeros."""
    x = np.array([1.0, np.nan, 3.0, 3.0])
    grad_fn = tj.grad(lambda a: reduce(a))
    for grad in (grad_fn(x), tj.jit(grad_fn)(x)):
        assert np.isnan(grad.numpy()).any(), grad
    rows = np.array([[1.0, 2.0], [np.nan, 0.0]])
    grad = tj.grad(lambda a: tj.reduce_sum(reduce(a, axis=1)))(rows).numpy()
    np.testing.assert_array_equal(grad[0], [0.0, 1.0] if reduce is tj.reduce_max else [1.0, 0.0])
    assert np.isnan(grad[1]).all()


@pytest.mark.parametrize("n", [10, 40_000])  # a serial loop, a parallel one
def test_sin_and_cos_beyond_vmaths_range_rerun_with_libm_in_a_compiled_kernel(n):
    """The loop counts arguments past vmath's range (one update per iteration, as a parallel
    loop's reduction allows) and, if any, runs again with libm: NumPy's results exactly, from
    a kernel Numba compiled (no fallback warning)."""
    x = np.linspace(-1.0, 1.0, n)
    x[3], x[-2] = 2.0**45, -3.0e15
    f = tj.jit(lambda x: tj.math.sin(x) * 2.0 + tj.math.cos(x * 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x).numpy()
    np.testing.assert_array_equal(got, np.sin(x) * 2.0 + np.cos(x * 0.5))
