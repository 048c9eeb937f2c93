"""tapejit.numpy's NaN-ignoring functions (nansum, nanmean, nanmax, nanargmax, nanmedian,
nanquantile, ...) beyond the conformance table (tests/numpy_table_nan.py): NumPy's
warnings and errors for all-NaN and empty slices, what nanargmax does under jit, degrees of
freedom, gradients (zero at NaNs, finite elsewhere, against finite differences), vmap, and
one Numba compile."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
import tests.numpy_table  # noqa: F401 (it imports numpy_table_nan: load it first)
from tests.numpy_table_nan import nan_mask

NAN = np.nan


@pytest.fixture
def kernels_as_python():
    """Under tj.jit, the generated kernels run as Python (no Numba compile per test)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _with_nans(shape=(3, 4), seed=0) -> np.ndarray:
    """Values in [0.5, 2] with NaNs scattered and in the whole column 1 (an all-NaN slice
    along axis 0)."""
    x = np.random.default_rng(seed).uniform(0.5, 2.0, shape)
    x[nan_mask(shape)] = NAN
    return x


def _runtime_warnings(fn) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        result = fn()
    return result, sorted({str(w.message) for w in caught
                           if issubclass(w.category, RuntimeWarning)})


# --- NumPy's warnings, eagerly --------------------------------------------------------------

WARNING_CALLS = [
    ("nanmax", lambda m, x: m.nanmax(x, axis=0)),
    ("nanmin", lambda m, x: m.nanmin(x, axis=0, keepdims=True)),
    ("nanmean", lambda m, x: m.nanmean(x, axis=0)),
    ("nanvar", lambda m, x: m.nanvar(x, axis=0)),
    ("nanstd", lambda m, x: m.nanstd(x, axis=-1, ddof=3)),
    ("nanmedian", lambda m, x: m.nanmedian(x, axis=0)),
    ("nanquantile", lambda m, x: m.nanquantile(x, 0.4, axis=0)),
    ("nanpercentile", lambda m, x: m.nanpercentile(x, [20.0, 70.0], axis=0)),
    ("nanmean_empty", lambda m, x: m.nanmean(x[:0], axis=0)),
    ("nanmedian_empty", lambda m, x: m.nanmedian(x[:0], axis=0)),
    ("nanmean_int_empty", lambda m, x: m.nanmean(np.ones((0, 2), np.int32), axis=0)),
    ("nanvar_int_ddof", lambda m, x: m.nanvar(np.ones((3, 2), np.int32), axis=0, ddof=3)),
    ("nanmax_initial", lambda m, x: m.nanmax(x, axis=0, initial=5.0)),
    ("nansum", lambda m, x: m.nansum(x, axis=0)),
]


@pytest.mark.parametrize("name,call", WARNING_CALLS, ids=[c[0] for c in WARNING_CALLS])
def test_all_nan_and_empty_slices_warn_as_numpy_does(name, call):
    x = _with_nans()
    want, numpy_says = _runtime_warnings(lambda: call(np, x))
    got, tapejit_says = _runtime_warnings(lambda: call(tnp, x))
    numpy_says = [m for m in numpy_says if "encountered in" not in m]  # floating-point errors
    tapejit_says = [m for m in tapejit_says if "encountered in" not in m]
    assert tapejit_says == numpy_says
    np.testing.assert_allclose(np.asarray(got.numpy()), want, rtol=1e-12, equal_nan=True)


def test_the_warning_points_at_the_users_line():
    with pytest.warns(RuntimeWarning, match="All-NaN slice encountered") as caught:
        tnp.nanmax(np.array([NAN, NAN]))
    assert caught[0].filename == __file__


def test_jit_does_not_warn_and_gives_nan(kernels_as_python):
    x = _with_nans()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = tj.jit(lambda v: (tnp.nanmax(v, 0), tnp.nanmean(v, 0), tnp.nanmedian(v, 0)))(x)
    for g in got:
        assert np.isnan(g.numpy()[1]) and np.all(np.isfinite(np.delete(g.numpy(), 1)))


# --- nanargmax / nanargmin ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nanargmax", "nanargmin"])
def test_all_nan_slices_raise_eagerly_and_give_minus_one_under_jit(name, kernels_as_python):
    x = _with_nans()
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        getattr(np, name)(x, axis=0)
    with pytest.raises(ValueError, match="All-NaN slice encountered") as info:
        getattr(tnp, name)(x, axis=0)
    assert "fix" in str(info.value)
    rows = getattr(tnp, name)(x, axis=1).numpy()
    np.testing.assert_array_equal(rows, getattr(np, name)(x, axis=1))
    for fn in (tj.jit(lambda v: getattr(tnp, name)(v, axis=0)),
               tj.vmap(lambda v: getattr(tnp, name)(v), in_axes=1)):
        got = np.asarray(fn(x).numpy())
        assert got[1] == -1
        want = getattr(np, name)(np.delete(x, 1, axis=1), axis=0)
        np.testing.assert_array_equal(np.delete(got, 1), want)


def test_nanargmax_takes_one_axis_and_reads_nan_as_minus_infinity():
    with pytest.raises(TypeError):
        np.nanargmax(np.ones((2, 3)), axis=(0, 1))
    with pytest.raises(TypeError):
        tnp.nanargmax(np.ones((2, 3)), axis=(0, 1))
    x = np.array([NAN, -np.inf, 1.0, NAN])
    for name in ("nanargmax", "nanargmin"):
        assert getattr(tnp, name)(x).numpy() == getattr(np, name)(x)
        assert getattr(tnp, name)(x[:2]).numpy() == getattr(np, name)(x[:2])
    with pytest.raises(ValueError, match="empty sequence"):
        tnp.nanargmin(np.ones((2, 0)), axis=1)


# --- degrees of freedom -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("name", ["nanvar", "nanstd"])
def test_ddof_at_or_past_the_count_gives_numpys_nan_or_inf(name, dtype):
    """Floats: NaN where count - ddof <= 0 (each row has its own count); integers follow
    np.var: inf (or NaN for zero variance)."""
    x = np.array([[1.0, 2.0, 4.0, NAN], [NAN, NAN, 3.0, 5.0], [NAN] * 4, [7.0] * 4])
    x = np.nan_to_num(x, nan=3.0).astype(dtype) if dtype == np.int32 else x.astype(dtype)
    for ddof in range(6):
        want, _ = _runtime_warnings(lambda d=ddof: getattr(np, name)(x, axis=1, ddof=d))
        got, _ = _runtime_warnings(lambda d=ddof: getattr(tnp, name)(x, axis=1, ddof=d))
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, equal_nan=True)


# --- gradients --------------------------------------------------------------------------------

MASK = nan_mask((3, 4))
GRADIENTS = [
    ("nansum", lambda x: tnp.nansum(x, axis=0), 2),
    ("nanprod", lambda x: tnp.nanprod(x, axis=1, keepdims=True), 2),
    ("nanmean", lambda x: tnp.nanmean(x, axis=(0, 1)), 2),
    ("nanvar", lambda x: tnp.nanvar(x, axis=1, ddof=1), 2),
    ("nanstd", lambda x: tnp.nanstd(x, axis=1), 2),
    ("nanvar_where", lambda x: tnp.nanvar(x, axis=1, where=np.array([1, 1, 0, 1], bool)), 2),
    ("nanmax", lambda x: tnp.nanmax(x, axis=1), 1),
    ("nanmin", lambda x: tnp.nanmin(x, axis=0, initial=1.5), 1),
    ("nancumsum", lambda x: tnp.nancumsum(x, axis=1), 2),
    ("nancumprod", lambda x: tnp.nancumprod(x), 2),
    ("nanmedian", lambda x: tnp.nanmedian(x, axis=1), 1),
    ("nanquantile", lambda x: tnp.nanquantile(x, np.array([0.2, 0.9]), axis=1), 1),
    ("nanpercentile", lambda x: tnp.nanpercentile(x, 35.0), 1),
]


def _planted(fn):
    """fn of values with NaNs planted at MASK, its NaN results (all-NaN slices) set to 0."""
    def planted(v):
        y = fn(tnp.where(MASK, NAN, v))
        return tnp.where(tnp.isnan(y), 0.0, y)
    return planted


@pytest.mark.parametrize("name,fn,order", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences(name, fn, order, kernels_as_python):
    x = np.random.default_rng(3).uniform(0.5, 2.0, (3, 4))
    tj.testing.check_grads(_planted(fn), [x], order=order)
    tj.testing.check_grads(tj.jit(_planted(fn)), [x], order=1, modes=("rev",))


@pytest.mark.parametrize("name,fn,order", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_nan_entries_get_zero_gradient_and_the_others_finite(name, fn, order,
                                                             kernels_as_python):
    """The gradient at an input holding NaN itself (not planted by a where) is exactly 0, and
    no NaN leaks from all-NaN slices into the others; jit agrees with eager."""
    x = _with_nans()

    def loss(v):
        y = fn(v)
        return tnp.sum(tnp.where(tnp.isnan(y), 0.0, y))
    eager = np.asarray(tj.grad(loss)(x).numpy())
    assert np.all(eager[MASK] == 0) and np.all(np.isfinite(eager))
    assert np.any(eager[~MASK] != 0)
    np.testing.assert_allclose(tj.jit(tj.grad(loss))(x).numpy(), eager, rtol=1e-12)


@pytest.mark.parametrize("nan_name,name", [("nanmax", "max"), ("nanmin", "min")])
def test_extremum_gradients_at_ties_follow_tnp_max(nan_name, name):
    x = np.array([[2.0, NAN, 2.0, 1.0], [NAN, 3.0, 3.0, 3.0], [0.5, 0.5, NAN, NAN]])
    stand_in = np.where(np.isnan(x), -1e9 if name == "max" else 1e9, x)
    got = tj.grad(lambda v: tnp.sum(getattr(tnp, nan_name)(v, axis=1) * [1.0, 2.0, 3.0]))(x)
    want = tj.grad(lambda v: tnp.sum(getattr(tnp, name)(v, axis=1) * [1.0, 2.0, 3.0]))(
        stand_in)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# --- vmap, Python values, errors ----------------------------------------------------------

def test_vmap_matches_numpy_slice_by_slice():
    x = _with_nans((4, 5), seed=1)
    for name in ("nansum", "nanmean", "nanvar", "nanmax", "nanmedian"):
        got = tj.vmap(getattr(tnp, name))(x)
        want, _ = _runtime_warnings(lambda n=name: getattr(np, n)(x, axis=1))
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, equal_nan=True)
    got = tj.vmap(lambda v: tnp.nanquantile(v, np.array([0.1, 0.5])))(x)
    want, _ = _runtime_warnings(lambda: np.nanquantile(x, np.array([0.1, 0.5]), axis=1))
    np.testing.assert_allclose(got.numpy(), want.T, rtol=1e-12, equal_nan=True)


def test_empty_input_gives_nan_with_q_dimensions_first():
    """NumPy answers an empty nanquantile with its nanmean, dropping q's dimensions; tapejit
    keeps them (q's dimensions first, as for any other input)."""
    a = np.ones((0, 3))
    got, says = _runtime_warnings(lambda: tnp.nanquantile(a, np.array([0.1, 0.5]), axis=0))
    assert got.shape == (2, 3) and np.all(np.isnan(got.numpy()))
    assert says == ["Mean of empty slice"]
    got, _ = _runtime_warnings(lambda: tnp.nanpercentile(a, 50.0, axis=1))
    assert got.shape == (0,)


ERRORS = [
    (lambda: tnp.nansum(np.ones(3), out=np.ones(())), TypeError, "out="),
    (lambda: tnp.nanmax(np.ones((0, 3)), axis=0), ValueError, "zero-size array"),
    (lambda: tnp.nanmax(np.ones(3), where=np.ones(3, bool)), ValueError, "initial"),
    (lambda: tnp.nanmean(np.ones(3), dtype=np.int32), TypeError, "must be inexact"),
    (lambda: tnp.nanvar(np.ones(3), ddof=1, correction=1), ValueError, "simultaneously"),
    (lambda: tnp.nanquantile(np.ones(3), 1.5), ValueError, r"range \[0, 1\]"),
    (lambda: tnp.nanpercentile(np.ones(3), -1.0), ValueError, r"range \[0, 100\]"),
    (lambda: tnp.nanquantile(np.ones(3), NAN), ValueError, "range"),
    (lambda: tnp.nanquantile(np.ones(3), np.full((2, 2, 2), 0.5)), ValueError, "1d"),
    (lambda: tnp.nanquantile(np.ones(3), 0.5, method="bogus"), ValueError, "not a valid"),
    (lambda: tnp.nanquantile(np.ones(3), 0.5, method="lower"), NotImplementedError, "lower"),
    (lambda: tnp.nanpercentile(np.ones(3), 5.0, weights=np.ones(3)), ValueError, "weights"),
    (lambda: tnp.nanquantile(np.ones(3, bool), 0.5), TypeError, "boolean"),
    (lambda: tj.jit(lambda q: tnp.nanquantile(np.ones(3), q))(0.5), TypeError, "q must be"),
]


@pytest.mark.parametrize("call,kind,match", ERRORS, ids=[e[2] for e in ERRORS])
def test_bad_arguments_raise_numpys_exception_types(call, kind, match):
    with pytest.raises(kind, match=match) as info:
        call()
    assert "fix" in str(info.value)


def test_numpy_raises_the_same_types():
    """The exception types above are NumPy's own for the same calls."""
    with pytest.raises(ValueError):
        np.nanmax(np.ones(3), where=np.ones(3, bool))
    with pytest.raises(TypeError):
        np.nanmean(np.ones(3), dtype=np.int32)
    with pytest.raises(ValueError):
        np.nanquantile(np.ones(3), 0.5, method="bogus")
    with pytest.raises(TypeError):
        np.nanquantile(np.ones(3, bool), 0.5)
    with pytest.raises(ValueError):
        np.nanvar(np.ones(3), ddof=1, correction=1)


# --- compiled with Numba ----------------------------------------------------------------------

def test_nan_functions_compile_with_numba():
    """Reductions, the -1 of nanargmin for an all-NaN slice, and nanmedian's per-slice
    reads of the sorted values in one compiled kernel (no interpreter fallback); the rest
    is made of the same primitives."""
    x = _with_nans((4, 5), seed=2).astype(np.float32)

    def some(v):
        return (tnp.nansum(v, 0), tnp.nanmean(v, 1), tnp.nanmax(v, 1), tnp.nanargmin(v, 0),
                tnp.nanmedian(v, 0))

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(some)(x)
    argmin = np.argmin(np.where(np.isnan(x), np.inf, x), 0)
    argmin[np.all(np.isnan(x), 0)] = -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = (np.nansum(x, 0), np.nanmean(x, 1), np.nanmax(x, 1), argmin,
                np.nanmedian(x, 0))
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype, i
        np.testing.assert_allclose(g.numpy(), w, rtol=2e-6, equal_nan=True, err_msg=str(i))
