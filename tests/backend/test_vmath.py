"""vmath against NumPy: ulp error over whole ranges, special values, vectorization, and the
libm fallback for huge sin/cos arguments."""

import subprocess
import sys

import numpy as np
import pytest
from numba import njit

import tapejit as tj
from tapejit.backend.numba_cpu import vmath

KERNEL_FLAGS = False  # generated kernels compile without fast-math
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.pi / 2, 1000.0, -1000.0, np.inf, -np.inf, np.nan,
                    1e-310, -1e-310, 3e38, -3e38, 1e-40])

REFERENCE = {
    "exp": (np.exp, (-750.0, 710.0), 2),
    "expm1": (np.expm1, (-60.0, 709.0), 2),
    "log": (np.log, (0.0, 1e300), 2),
    "log1p": (np.log1p, (-1.0, 1e300), 2),
    "sin": (np.sin, (-2.0**18, 2.0**18), 2),
    "cos": (np.cos, (-2.0**18, 2.0**18), 2),
    "tanh": (np.tanh, (-30.0, 30.0), 4),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-700.0, 700.0), 4),
    "softplus": (lambda x: np.logaddexp(0, x), (-700.0, 700.0), 4),
}
CASES = [pytest.param(name, dtype, id=f"{name}_{dtype.__name__}")
         for name in REFERENCE for dtype in (np.float32, np.float64)]
_LOOPS: dict = {}


def _loop(name: str, dtype):
    """A kernel-like loop applying vmath.<name>_<f32|f64>, compiled once per test run."""
    key = (name, dtype)
    if key not in _LOOPS:
        fn = getattr(vmath, f"{name}_{'f32' if dtype == np.float32 else 'f64'}")

        @njit(fastmath=KERNEL_FLAGS, error_model="numpy")
        def loop(a, out):
            for i in range(a.shape[0]):
                out[i] = fn(a[i])

        _LOOPS[key] = loop
    return _LOOPS[key]


def _apply(name, dtype, x):
    x = np.ascontiguousarray(x, dtype)
    out = np.empty_like(x)
    _loop(name, dtype)(x, out)
    return out


def _ulps(got, want, dtype) -> np.ndarray:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    finite = np.isfinite(want) & np.isfinite(got)
    spacing = np.spacing(np.abs(np.where(finite, want, 1.0)).astype(dtype)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.where(finite, np.abs(got - want) / spacing, np.inf))


def _sweep(lo: float, hi: float, dtype) -> np.ndarray:
    """Uniform points, log-spaced magnitudes across the exponent range and random bit patterns
    (every exponent, subnormals included, with random mantissas), within [lo, hi]."""
    rng = np.random.default_rng(0)
    info = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    patterns = rng.integers(0, np.iinfo(uint).max, 200_000, dtype=uint, endpoint=True).view(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        magnitudes = np.geomspace(info.tiny, info.max, 200_000)
        points = np.concatenate([rng.uniform(lo, min(hi, 1e6), 200_000), magnitudes,
                                 -magnitudes, patterns.astype(np.float64)])
    return points[(points >= lo) & (points <= hi)].astype(dtype)


@pytest.mark.parametrize("name,dtype", CASES)
def test_ulp_error_over_the_range(name, dtype):
    reference, (lo, hi), bound = REFERENCE[name]
    x = _sweep(lo, hi, dtype)
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64)).astype(dtype)
    ulps = _ulps(_apply(name, dtype, x), want, dtype)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= bound, f"{ulps[worst]:.2f} ulp at x={x[worst]!r}"


@pytest.mark.parametrize("name,dtype", CASES)
def test_special_values_match_numpy(name, dtype):
    reference = REFERENCE[name][0]
    with np.errstate(all="ignore"):
        x = SPECIAL.astype(dtype)
        want = reference(x.astype(np.float64)).astype(dtype)
    got = _apply(name, dtype, x)
    keep = np.ones(x.shape, bool)  # huge sin/cos arguments are the kernels' job (below)
    if name in ("sin", "cos"):
        limit = vmath.SIN_COS_LIMIT_F32 if dtype == np.float32 else vmath.SIN_COS_LIMIT
        keep = (np.abs(x) < limit) | ~np.isfinite(x)
    assert np.all(_ulps(got[keep], want[keep], dtype) <= REFERENCE[name][2]), (x, got, want)


@pytest.mark.parametrize("name,dtype", CASES)
def test_the_loop_vectorizes(name, dtype):
    loop = _loop(name, dtype)
    _apply(name, dtype, np.ones(8))
    llvm = loop.inspect_llvm(loop.signatures[0])
    element = "float" if dtype == np.float32 else "double"
    assert any(f"<{w} x {element}>" in llvm for w in (2, 4, 8, 16)), "the loop did not vectorize"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_near_zero_accuracy_of_expm1_and_log1p(dtype):
    x = np.geomspace(np.finfo(dtype).smallest_subnormal, 1e-2, 100_000).astype(dtype)
    for name, reference in (("expm1", np.expm1), ("log1p", np.log1p)):
        for sign in (1, -1):
            want = reference(sign * x.astype(np.float64)).astype(dtype)
            assert _ulps(_apply(name, dtype, sign * x), want, dtype).max() <= 2, (name, sign)


def test_sign_of_zero_is_kept():
    for name in ("sin", "tanh", "expm1", "log1p"):
        for dtype in (np.float32, np.float64):
            assert np.signbit(_apply(name, dtype, np.array([-0.0]))[0]), name


def test_huge_sin_cos_arguments_fall_back_to_libm_in_kernels():
    x = np.array([0.5, 1e300, -1e20, 2.0**45, 3.0, 1e6])
    f = tj.jit(lambda v: tj.math.sin(v) + tj.math.cos(v))
    np.testing.assert_allclose(f(x).numpy(), np.sin(x) + np.cos(x), rtol=1e-15, atol=1e-15)
    x32 = np.array([0.5, 3e38, -1e20, 3.0, 3e5, -1e6], np.float32)
    np.testing.assert_allclose(f(x32).numpy(), np.sin(x32) + np.cos(x32), rtol=1e-6)


FIRST_CALL = """
import sys
import numpy as np
import tapejit as tj
f = tj.jit(tj.grad(lambda x: tj.math.reduce_sum(tj.math.tanh(x) * x)))
print(float(f(np.linspace(-1.0, 1.0, 5)).numpy()[0]))
print(sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("{package}.")))
"""


def test_a_kernel_imports_only_the_vmath_it_calls():
    """vmath's names load on first use: a tanh gradient's first call creates no dispatchers
    for the convolution, pooling, sorting or random functions."""
    package = "tapejit.backend.numba_cpu.vmath"
    done = subprocess.run([sys.executable, "-c", FIRST_CALL.format(package=package)],
                          capture_output=True, text=True, timeout=300, check=True)
    gradient, modules = done.stdout.strip().splitlines()[-2:]
    assert float(gradient) == pytest.approx(np.tanh(-1.0) - 1.0 / np.cosh(-1.0) ** 2)
    assert eval(modules) == ["activations", "core", "exp_log"]
