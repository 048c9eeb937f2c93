"""tapejit.numpy's statistics, signal, polynomial and float-format functions beyond the
conformance table (tests/numpy_table_stats.py): the float-format functions bit for bit
against NumPy (subnormals, zeros, inf, NaN; float16/32/64, eagerly and under jit),
gradients against finite differences (eagerly and under jit), NumPy's errors, the
data-dependent cases (polymul, digitize's direction) and one Numba compile of them all."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tests.test_numpy_conformance import assert_like_numpy

FLOAT_DTYPES = [np.float16, np.float32, np.float64]


@pytest.fixture
def kernels_as_python():
    """jit as usual, with the kernels' source run as Python (no Numba compile)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _awkward_values(dtype) -> np.ndarray:
    """Zeros, subnormals, the extremes, powers of two and their neighbours, inf, NaN, and
    random values over the whole exponent range."""
    info = np.finfo(dtype)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, 0.75, 3.0, info.tiny, -info.tiny, info.tiny / 2,
             info.tiny * 0.75, info.smallest_subnormal, -info.smallest_subnormal,
             2 * info.smallest_subnormal, info.max, -info.max, info.max / 2, 1 - info.epsneg,
             1 + info.eps, np.inf, -np.inf, np.nan]
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        spread = rng.normal(size=120) * 2.0 ** rng.integers(info.minexp - info.nmant,
                                                            info.maxexp, 120)
    return np.concatenate([np.array(edges, dtype), spread.astype(dtype)])


def assert_same_bits(got, want, what: str) -> None:
    """Equal dtype and shape, and every float equal bit for bit (any NaN matches NaN)."""
    got, want = np.asarray(got.numpy()), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype)
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[want.dtype.itemsize]
    nan = np.isnan(want)
    same = np.where(nan, np.isnan(got), got.view(unsigned) == want.view(unsigned))
    assert same.all(), f"{what}: {got[~same][:5]} where NumPy has {want[~same][:5]}"


def _float_format_calls(dtype):
    x = _awkward_values(dtype)
    grid1, grid2 = np.meshgrid(x[:40], x[:40])
    shuffled = np.random.default_rng(1).permutation(x)
    exponents = np.array([0, 1, -1, 5, -20, 100, -130, -149, -150, 127, 128, -1074, -1075,
                          1023, 1024, 3000, -3000], np.int32)
    return [
        ("frexp", lambda m, a: m.frexp(a), (x,)),
        ("modf", lambda m, a: m.modf(a), (x,)),
        ("spacing", lambda m, a: m.spacing(a), (x,)),
        ("nextafter", lambda m, a, b: m.nextafter(a, b), (grid1, grid2)),
        ("nextafter_shuffled", lambda m, a, b: m.nextafter(a, b), (x, shuffled)),
        ("heaviside", lambda m, a, b: m.heaviside(a, b), (grid1, grid2)),
        ("ldexp", lambda m, a: m.ldexp(a[:, None], exponents), (x,)),
    ]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_float_format_functions_are_bit_exact(dtype, kernels_as_python):
    for name, call, args in _float_format_calls(dtype):
        with np.errstate(all="ignore"):
            want = call(np, *args)
        eager = call(tnp, *args)
        jitted = tj.jit(lambda *xs, call=call: call(tnp, *xs))(*args)
        for how, got in (("eager", eager), ("jit", jitted)):
            if isinstance(want, tuple):
                for i, (g, w) in enumerate(zip(got, want)):
                    assert_same_bits(g, w, f"{how} {name}[{i}] {np.dtype(dtype).name}")
            else:
                assert_same_bits(got, want, f"{how} {name} {np.dtype(dtype).name}")


def test_float_format_dtypes_follow_numpys_loops():
    i32, f32 = np.arange(3, dtype=np.int32), np.ones(3, np.float32)
    assert tnp.frexp(i32)[0].dtype == np.float64 and tnp.frexp(i32)[1].dtype == np.int32
    assert tnp.frexp(np.array([True]))[0].dtype == np.float16
    assert tnp.ldexp(f32, np.array([1, 2, 3], np.int64)).dtype == np.float32
    assert tnp.ldexp(f32, 2, dtype=np.float64).dtype == np.float64
    assert tnp.spacing(np.int16(3)).dtype == np.spacing(np.int16(3)).dtype
    assert tnp.heaviside(i32, i32).dtype == np.float64
    assert tnp.nextafter(f32, np.float64(2)).dtype == np.float64
    assert tnp.modf(f32, out=(None, None))[1].dtype == np.float32


# --- gradients ------------------------------------------------------------------------------

def _rng_args(shapes, low=0.5, high=2.0, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, s) for s in shapes]


XP = np.array([-1.0, 0.2, 1.5, 2.0, 3.5])
X_BETWEEN = np.array([-2.0, -0.5, 0.7, 1.8, 2.6, 4.0, 0.3])
XP_PERIODIC, X_PERIODIC = np.array([0.1, 0.9, 1.6, 2.2]), np.array([-2.0, -0.7, 1.3, 3.3, 6.0, 2.4])

GRADIENTS = [
    ("cov", lambda a: tnp.cov(a), [(3, 5)]),
    ("cov_y_bias", lambda a, b: tnp.cov(a, b, bias=True), [(5,), (5,)]),
    ("cov_weights", lambda a, w: tnp.cov(a, aweights=w, fweights=np.array([1, 2, 1, 1, 3])),
     [(2, 5), (5,)]),
    ("corrcoef", lambda a: tnp.corrcoef(a, rowvar=False), [(6, 3)]),
    ("trapezoid", lambda y, x: tnp.trapezoid(y * y, x), [(3, 4), (4,)]),
    ("trapezoid_dx", lambda y: tnp.trapezoid(y, dx=0.3, axis=0), [(3, 4)]),
    *[(f"{name}_{mode}_{n}_{m}", lambda a, v, name=name, mode=mode: getattr(tnp, name)(a, v, mode),
       [(n,), (m,)]) for name in ("convolve", "correlate") for mode in ("full", "same", "valid")
      for n, m in ((5, 3), (2, 4))],
    ("interp", lambda x, xp, fp: tnp.interp(x, xp, fp), None),
    ("interp_bounds", lambda x, fp, lo, hi: tnp.interp(x, XP, fp, lo, hi), None),
    ("interp_period", lambda x, fp: tnp.interp(x, XP_PERIODIC, fp, period=2.5), None),
    ("polyval", lambda p, x: tnp.polyval(p, x), [(4,), (3, 2)]),
    ("vander", lambda x: tnp.vander(x, 4), [(3,)]),
    ("polyder", lambda p: tnp.polyder(p * p, 2), [(5,)]),
    ("polyint", lambda p, k: tnp.polyint(p, 2, k), [(3,), (2,)]),
    ("polyadd_polysub", lambda a, b: tnp.polysub(tnp.polyadd(a, b) * a[0], b), [(2,), (4,)]),
    ("ldexp", lambda a: tnp.ldexp(a * a, np.array([3, -2, 0], np.int32)), [(3,)]),
    ("modf", lambda a: tnp.modf(a * 3.0)[0] * tnp.modf(a * 3.0)[1], [(4,)]),
    ("heaviside", lambda a, b: tnp.heaviside(np.array([-1.0, 0.0, 2.0]), a * b), [(3,), (3,)]),
]


def _gradient_args(name, shapes):
    if name == "interp":
        return [X_BETWEEN, XP, _rng_args([(5,)])[0]]
    if name == "interp_bounds":
        return [X_BETWEEN, _rng_args([(5,)])[0], np.array(-3.0), np.array(4.0)]
    if name == "interp_period":
        return [X_PERIODIC, _rng_args([(4,)])[0]]
    return _rng_args(shapes)


@pytest.mark.parametrize("name,fn,shapes", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences(name, fn, shapes, kernels_as_python):
    args = _gradient_args(name, shapes)
    tj.testing.check_grads(fn, args, order=2 if name.startswith(("cov", "corr", "poly"))
                           else 1)
    tj.testing.check_grads(tj.jit(fn), args, order=1, modes=("rev",))


def test_polymul_differentiates_eagerly():
    tj.testing.check_grads(lambda a, b: tnp.polymul(a, b), _rng_args([(3,), (2,)]), order=2,
                           modes=("rev",))


def test_ldexp_modf_gradients_are_numpys_calculus():
    x = np.array([0.3, -1.7, 2.0, 5.5])
    exponents = np.array([3, -2, 0, 10], np.int32)
    grad = tj.grad(lambda a: tnp.sum(tnp.ldexp(a, exponents)))(x)
    np.testing.assert_array_equal(grad.numpy(), 2.0 ** exponents)
    np.testing.assert_array_equal(tj.grad(lambda a: tnp.sum(tnp.modf(a)[0]))(x).numpy(), 1.0)
    np.testing.assert_array_equal(tj.grad(lambda a: tnp.sum(tnp.modf(a)[1]))(x).numpy(), 0.0)


@pytest.mark.parametrize("call", [
    lambda a: tnp.frexp(a)[0], lambda a: tnp.spacing(a), lambda a: tnp.nextafter(a, 3.0),
    lambda a: tnp.nextafter(1.0, a), lambda a: tnp.heaviside(a, 0.5),
])
def test_float_format_functions_have_zero_gradients(call):
    x = np.array([0.3, -1.7, 2.0, 5.5])
    np.testing.assert_array_equal(tj.grad(lambda a: tnp.sum(call(a)))(x).numpy(), 0.0)


def test_heaviside_gradient_reaches_x2_at_zero_only():
    grad = tj.grad(lambda h: tnp.sum(tnp.heaviside(np.array([-1.0, 0.0, 2.0, -0.0]), h)))
    np.testing.assert_array_equal(grad(np.full(4, 0.5)).numpy(), [0.0, 1.0, 0.0, 1.0])


def test_interp_gradients_stay_finite_at_repeated_points():
    """A repeated sample point at the end makes a zero-width interval that no x uses: its
    slope must not leak NaN into the gradients."""
    xp, fp = np.array([0.0, 1.0, 2.0, 2.0]), np.array([1.0, 3.0, 2.0, 5.0])
    grads = tj.grad(lambda x, a, b: tnp.sum(tnp.interp(x, a, b)), argnums=(0, 1, 2))(
        np.array([0.5, 1.5, 2.0, 3.0]), xp, fp)
    for g in grads:
        assert np.all(np.isfinite(g.numpy()))


# --- NumPy's semantics at the edges ------------------------------------------------------------

def test_convolve_and_correlate_keep_numpys_nan_and_inf_placement():
    """NumPy sums only the overlapping products: an inf in the kernel must not meet the
    zero padding (0 * inf) at the ends."""
    cases = [([1.0, 2.0, 3.0], [np.inf, 1.0]), ([np.inf, 1.0, 2.0], [0.0, 1.0]),
             ([1.0, np.nan, 2.0, 4.0], [1.0, 2.0, 3.0]), ([1.0, 2.0], [np.inf, 1.0, 0.5])]
    for a, v in cases:
        for name in ("convolve", "correlate"):
            for mode in ("full", "same", "valid"):
                with np.errstate(all="ignore"):
                    want = getattr(np, name)(np.array(a), np.array(v), mode)
                got = getattr(tnp, name)(np.array(a), np.array(v), mode)
                assert_like_numpy(got, want, f"{name} {a} {v} {mode}")


def test_interp_special_values_match_numpy():
    x = np.array([-np.inf, -1.0, 0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 9.0, np.inf, np.nan])
    for xp, fp in [([1.0, 2.0, 2.0, 3.0, 5.0], [10.0, 20.0, 25.0, 30.0, np.inf]),
                   ([1.0, 2.0, 3.0], [np.inf, np.inf, 3.0]),
                   ([1.0, 2.0, 3.0], [np.inf, -np.inf, 3.0]),
                   ([1.0, 2.0, np.inf], [1.0, 2.0, 3.0]), ([2.0], [7.0]),
                   ([0.0, 1e308], [0.0, 1.0])]:
        for kw in [{}, dict(left=-1.0, right=99.0)]:
            with np.errstate(all="ignore"):
                want = np.interp(x, np.array(xp), np.array(fp, float), **kw)
            assert_like_numpy(tnp.interp(x, np.array(xp), np.array(fp, float), **kw), want,
                              f"interp {xp} {fp} {kw}")


def test_trapezoid_dtypes_follow_the_python_number_policy():
    y = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert tnp.trapezoid(y).dtype == np.float32
    assert tnp.trapezoid(y, dx=np.float64(1.0)).dtype == np.float64
    assert tnp.trapezoid(y, np.arange(3)).dtype == np.float64 == np.trapezoid(y, np.arange(3)).dtype
    np.testing.assert_allclose(tnp.trapezoid(y).numpy(), np.trapezoid(y))


def test_cov_warns_and_gives_inf_without_degrees_of_freedom():
    x = np.random.default_rng(0).normal(size=(2, 3))
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        got = tnp.cov(x, ddof=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_like_numpy(got, np.cov(x, ddof=3), "cov ddof=3")
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        tnp.cov(x, fweights=np.array([1, 0, 0]))


def test_digitize_under_jit_finds_the_direction_of_traced_bins(kernels_as_python):
    x = np.array([-1.0, 0.5, 1.0, 2.5, 9.0, np.nan])
    for bins in ([3.0, 2.0, 1.0, 0.0], [np.nan, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, np.nan],
                 [2.0, 2.0, 2.0], [4.0], []):
        b = np.array(bins)
        for right in (False, True):
            jitted = tj.jit(lambda u, v, right=right: tnp.digitize(u, v, right))
            assert_like_numpy(jitted(x, b), np.digitize(x, b, right), f"digitize {bins}")


@pytest.mark.parametrize("side", ["left", "right"])
def test_searches_bisect_long_sorted_arrays(side, kernels_as_python):
    """Beyond 32 sorted elements the search bisects: repeated values, infinities and NaN
    (sorted last) included, eagerly and under jit, searchsorted and digitize both ways."""
    rng = np.random.default_rng(4)
    a = np.sort(np.concatenate([rng.integers(-20, 20, 150).astype(float),
                                [np.nan, np.nan, np.inf, -np.inf]]))
    v = np.concatenate([rng.integers(-25, 25, 40) * 1.0, [np.nan, np.inf, -np.inf, 0.5]])
    search = tj.jit(lambda s, u: tnp.searchsorted(s, u, side))
    for how, got in (("eager", tnp.searchsorted(a, v, side)), ("jit", search(a, v))):
        assert_like_numpy(got, np.searchsorted(a, v, side), f"{how} searchsorted {side}")
    bins, right = a[:-2], side == "right"
    for edges in (bins, bins[::-1]):
        want = np.digitize(v, edges, right)
        assert_like_numpy(tnp.digitize(v, edges, right), want, "digitize")
        assert_like_numpy(tj.jit(lambda u, b: tnp.digitize(u, b, right))(v, edges), want,
                          "jit digitize")


def test_search_functions_batch_under_vmap():
    a = np.sort(np.random.default_rng(2).normal(size=(3, 6)), axis=1)
    v = np.random.default_rng(3).normal(size=(3, 4))
    got = tj.vmap(lambda s, u: tnp.searchsorted(s, u, side="right"))(a, v)
    want = np.stack([np.searchsorted(s, u, side="right") for s, u in zip(a, v)])
    assert_like_numpy(got, want, "vmap searchsorted")
    got = tj.vmap(lambda u: tnp.interp(u, a[0], v[0, :1].repeat(6)))(v)
    assert_like_numpy(got, np.stack([np.interp(u, a[0], v[0, :1].repeat(6)) for u in v]),
                      "vmap interp")


def test_polymul_trims_leading_zeros_eagerly_only():
    assert_like_numpy(tnp.polymul(np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 3.0])),
                      np.polymul(np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 3.0])), "trim")
    with pytest.raises(tj.TracerArrayError, match="leading") as info:
        tj.jit(tnp.polymul)(np.array([1.0, 2.0]), np.array([3.0]))
    assert "tnp.convolve" in str(info.value)


ERRORS = [
    (lambda m: m.convolve([], [1.0]), ValueError), (lambda m: m.convolve([1.0], []), ValueError),
    (lambda m: m.correlate([], [1.0]), ValueError), (lambda m: m.correlate(3.0, 2.0), ValueError),
    (lambda m: m.correlate(np.ones((2, 2)), np.ones(2)), ValueError),
    (lambda m: m.convolve(np.ones(3), np.ones(2), "sames"), ValueError),
    (lambda m: m.convolve(np.ones(3), np.ones(2), 3), ValueError),
    (lambda m: m.correlate(np.ones(3), np.ones(2), None), TypeError),
    (lambda m: m.interp([1.0], [], []), ValueError),
    (lambda m: m.interp([1.0], [1.0, 2.0], [1.0]), ValueError),
    (lambda m: m.interp([1.0], [[1.0, 2.0]], [[1.0, 2.0]]), ValueError),
    (lambda m: m.interp([1.0], [1.0, 2.0], [1.0, 2.0], left=[1.0, 2.0]), TypeError),
    (lambda m: m.interp([1.0], [1.0, 2.0], [1.0, 2.0], period=0), ValueError),
    (lambda m: m.searchsorted(np.ones((2, 2)), 1.0), ValueError),
    (lambda m: m.searchsorted(np.ones(3), 1.0, side="l"), ValueError),
    (lambda m: m.searchsorted(np.ones(3), 1.0, side=None), TypeError),
    (lambda m: m.searchsorted(np.ones(3), 1.0, sorter=[0, 1]), ValueError),
    (lambda m: m.searchsorted(np.ones(3), [1.0, 2.0], sorter=[0, 1, 5]), ValueError),
    (lambda m: m.searchsorted(np.ones(3), 1.0, sorter=[0.0, 1.0, 2.0]), TypeError),
    (lambda m: m.digitize(np.ones(3), np.array([0.0, 2.0, 1.0])), ValueError),
    (lambda m: m.digitize(np.ones(3), 1.0), ValueError),
    (lambda m: m.cov(np.ones((2, 2, 2))), ValueError),
    (lambda m: m.cov(np.ones((2, 3)), ddof=1.5), ValueError),
    (lambda m: m.cov(np.ones((2, 3)), fweights=[1.5, 1.0, 1.0]), TypeError),
    (lambda m: m.cov(np.ones((2, 3)), fweights=[1, 1]), RuntimeError),
    (lambda m: m.cov(np.ones((2, 3)), aweights=[[1.0, 1.0, 1.0]]), RuntimeError),
    (lambda m: m.cov(np.ones((2, 3)), aweights=[-1.0, 1.0, 1.0]), ValueError),
    (lambda m: m.cov(np.ones((2, 3)), fweights=[0, 0, 0]), ZeroDivisionError),
    (lambda m: m.cov(np.ones((2, 3)), dtype=np.int32), TypeError),
    (lambda m: m.trapezoid(np.float64(3.0)), IndexError),
    (lambda m: m.vander(np.ones((2, 2))), ValueError),
    (lambda m: m.vander(np.ones(3), -1), ValueError),
    (lambda m: m.polyder(np.ones(3), -1), ValueError),
    (lambda m: m.polyder(np.float64(2.0)), TypeError),
    (lambda m: m.polyint(np.ones(3), -1), ValueError),
    (lambda m: m.polyint(np.ones(3), 3, [1.0, 2.0]), ValueError),
    (lambda m: m.polyval(np.float64(2.0), np.ones(3)), TypeError),
    (lambda m: m.polysub(np.array([True]), np.array([False])), TypeError),
    (lambda m: m.polymul(np.ones((2, 2)), [1.0]), ValueError),
    (lambda m: m.ldexp(np.ones(3), 1.5), TypeError),
    (lambda m: m.ldexp(np.ones(3), np.uint64(2)), TypeError),
]


@pytest.mark.parametrize("call,error", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_inputs_raise_numpys_exception_types(call, error):
    with pytest.raises(error), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(np)
    with pytest.raises(error) as info:
        call(tnp)
    assert "fix" in str(info.value) or error is ZeroDivisionError


def test_out_arguments_are_rejected():
    for call in (lambda o: tnp.ldexp(np.ones(2), 1, out=o), lambda o: tnp.spacing(np.ones(2), o),
                 lambda o: tnp.frexp(np.ones(2), out=(o, None))):
        with pytest.raises(TypeError, match="out= is not supported"):
            call(np.empty(2))


# --- compiled with Numba ------------------------------------------------------------------

def test_jit_kernels_compile_with_numba():
    """The float-format functions (exact arithmetic that a backend could spoil) and
    convolve in one jitted function, run by Numba kernels: bit for bit against NumPy
    (convolve within rounding). float32 only, to keep the compile short: float64 takes
    the same code with other constants."""
    y = _awkward_values(np.float32)
    e = np.array([3, -140, 130, -150], np.int32)

    def some(m, b):
        return (m.convolve(b[-9:], b[-4:], "same"),
                [*m.frexp(b), m.ldexp(b[:, None], e), m.nextafter(b, b[::-1]), m.spacing(b),
                 *m.modf(b)])

    compiled = tj.jit(lambda b: some(tnp, b))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        convolved, exact = compiled(y)
    assert "runs in the NumPy interpreter" not in compiled.lower(y).source
    with np.errstate(all="ignore"):
        want_convolved, want_exact = some(np, y)
    assert_like_numpy(convolved, want_convolved, "numba convolve")
    for i, (got, want) in enumerate(zip(exact, want_exact)):
        assert_same_bits(got, want, f"numba float format {i}")
