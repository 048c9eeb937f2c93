"""tapejit.numpy's numerics beyond the conformance table (tests/numpy_table_numerics.py):
gradients against finite differences (eagerly and under jit), i0 and its derivative i1
against 60-digit sums, NumPy's errors, the cases that hang on how NumPy calls a function
(apply_along_axis's buffer, gradient's even-spacing shortcut) and one Numba compile."""

from __future__ import annotations

import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tests.test_numpy_conformance import assert_like_numpy


@pytest.fixture
def kernels_as_python():
    """jit as usual, with the kernels' source run as Python (no Numba compile)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _increasing(n: int, rng) -> np.ndarray:
    return np.cumsum(rng.uniform(0.3, 1.0, n))


def _phases(shape, rng) -> np.ndarray:
    """Phases whose steps stay away from the +-pi where unwrap's correction jumps."""
    steps = rng.uniform(0.2, 2.5, shape) * rng.choice([-1.0, 1.0], shape)
    jumps = rng.integers(-2, 3, shape) * 2 * np.pi
    return np.cumsum(steps + jumps, axis=-1)


RNG = np.random.default_rng(7)

GRADIENTS = [
    ("gradient", lambda f: tnp.gradient(f), [(4, 5)]),
    ("gradient_edge_order_2", lambda f: tnp.gradient(f, 0.5, edge_order=2)[1], [(4, 5)]),
    ("gradient_coordinates", lambda f, x: tnp.gradient(f, x, axis=-1, edge_order=2),
     [(3, 6), _increasing(6, RNG)]),
    ("gradient_coordinates_order_1", lambda f, x: tnp.gradient(f, x), [(5,),
                                                                       _increasing(5, RNG)]),
    ("gradient_even_coordinates", lambda f, x: tnp.gradient(f, x, edge_order=2),
     [(6,), np.arange(6) * 0.5]),
    ("gradient_spacing", lambda f, h: tnp.gradient(f, h, axis=0), [(5, 2), np.array(0.7)]),
    ("unwrap", lambda p: tnp.unwrap(p), [_phases((2, 6), RNG)]),
    ("unwrap_axis", lambda p: tnp.unwrap(p.T, axis=0, discont=4.0), [_phases((3, 5), RNG)]),
    ("apply_along_axis", lambda a: tnp.apply_along_axis(lambda r: tnp.outer(r, tnp.sin(r)),
                                                        1, a), [(3, 2, 4)]),
    ("apply_along_axis_scalar", lambda a: tnp.apply_along_axis(
        lambda r, w: tnp.sum(r * r * w), 0, a, np.array([1.0, 2.0, 3.0])), [(3, 4)]),
    ("apply_over_axes", lambda a: tnp.apply_over_axes(lambda v, ax: tnp.sum(v * v, ax), a,
                                                      [0, 2]), [(2, 3, 4)]),
    ("i0", tnp.i0, [np.array([-25.0, -19.5, -3.0, 0.0, 0.4, 7.0, 8.5, 19.99, 20.01, 33.0])]),
    ("kaiser_beta", lambda b: tnp.kaiser(7, b), [np.array(3.5)]),
]


def _args(specs, seed=4):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, s) if isinstance(s, tuple) else s for s in specs]


@pytest.mark.parametrize("name,fn,specs", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences(name, fn, specs):
    tj.testing.check_grads(fn, _args(specs), order=2)


@pytest.mark.parametrize("name,fn,specs", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_under_jit_match_eager_ones(name, fn, specs, kernels_as_python):
    args = _args(specs)
    tj.testing.check_grads(tj.jit(fn), args, order=1, modes=("rev",))
    eager = fn(*args)
    eager = [e.numpy() for e in eager] if isinstance(eager, tuple) else eager.numpy()
    assert_like_numpy(tj.jit(fn)(*args), eager, f"jit {name}")


# --- i0 and its derivative against 60-digit sums ---------------------------------------


def _bessel_i(order: int, x: float) -> float:
    """I_order(x) for order 0 or 1, summing its power series in 60-digit decimals (every
    term positive: no cancellation)."""
    if x < 0:
        return (-1) ** order * _bessel_i(order, -x)
    with localcontext() as context:
        context.prec = 60
        v = Decimal(x)
        quarter = v * v / 4
        term = v / 2 if order else Decimal(1)
        total, k = Decimal(0), 0
        while term > total * Decimal("1e-45"):
            total += term
            k += 1
            term = term * quarter / (k * (k + order))
        return float(total)


POINTS = np.concatenate([np.geomspace(1e-8, 200.0, 120), -np.geomspace(1e-3, 60.0, 20),
                         np.array([0.0, 8.0, 19.999999, 20.0, 20.000001, 700.0])])


def test_i0_is_accurate_to_a_few_units_in_the_last_place():
    want = np.array([_bessel_i(0, x) for x in POINTS])
    got = tnp.i0(POINTS).numpy()
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0)


def test_the_derivative_of_i0_is_i1():
    want = np.array([_bessel_i(1, x) for x in POINTS])
    got = tj.vmap(tj.grad(tnp.i0))(POINTS).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    x = POINTS[POINTS != 0]
    curvature = tj.vmap(tj.grad(tj.grad(tnp.i0)))(x).numpy()
    i0, i1 = np.array([_bessel_i(0, v) for v in x]), np.array([_bessel_i(1, v) for v in x])
    np.testing.assert_allclose(curvature, i0 - i1 / x, rtol=1e-13, atol=0)


def test_i0_special_values_and_overflow_are_numpys():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.0, 709.8, 710.0, 1e300, 5e-324])
    with np.errstate(all="ignore"):
        want = np.i0(x)
    assert_like_numpy(tnp.i0(x), want, "i0")
    grads = tj.vmap(tj.grad(tnp.i0))(np.array([0.0, -0.0, 1e-300]))
    assert np.all(np.isfinite(grads.numpy()))


# --- what hangs on how NumPy calls things ---------------------------------------------


def test_apply_along_axis_fits_later_results_to_the_first_as_numpy_does():
    def first_int_then_float(m):
        calls = []

        def func1d(row):
            calls.append(row.shape)
            if len(calls) == 1:
                return np.int32(7)
            return m.sum(row) * 1.5

        return func1d, calls

    a = np.arange(12.0).reshape(3, 4)
    func, calls = first_int_then_float(tnp)
    got = tnp.apply_along_axis(func, 1, a)
    want = np.apply_along_axis(first_int_then_float(np)[0], 1, a)
    assert_like_numpy(got, want, "apply_along_axis")
    assert calls == [(4,)] * 3


def test_apply_along_axis_hands_func1d_tensors_under_jit_too(kernels_as_python):
    seen = []

    def func1d(row):
        seen.append(type(row))
        return tnp.max(row) - tnp.min(row)

    a = np.random.default_rng(1).normal(size=(4, 3))
    assert_like_numpy(tj.jit(lambda x: tnp.apply_along_axis(func1d, 0, x))(a),
                      np.ptp(a, axis=0), "jit apply_along_axis")
    assert all(issubclass(t, tj.Tensor) for t in seen)


def test_gradient_with_traced_even_coordinates_skips_a_nonfinite_middle(kernels_as_python):
    """NumPy's shortcut for evenly spaced coordinates leaves out the middle sample; traced
    coordinates cannot take the shortcut, and still leave it out."""
    f = np.array([1.0, np.inf, 2.0, np.nan, 5.0, -np.inf, 3.0, 4.0])
    for x in (np.arange(8) * 0.5, np.cumsum(np.arange(1.0, 9.0))):
        for order in (1, 2):
            with np.errstate(all="ignore"):
                want = np.gradient(f, x, edge_order=order)
            got = tj.jit(lambda a, b, order=order: tnp.gradient(a, b, edge_order=order))(f, x)
            assert_like_numpy(got, want, f"gradient edge_order={order} at {x}")


def test_lexsort_sorts_by_the_last_key_first_and_keeps_ties_in_order(kernels_as_python):
    rng = np.random.default_rng(3)
    keys = [rng.integers(0, 2, 40), rng.integers(0, 3, 40).astype(np.float64),
            rng.integers(0, 2, 40).astype(bool)]
    keys[1][::7] = np.nan
    want = np.lexsort(keys)
    assert_like_numpy(tnp.lexsort(keys), want, "lexsort")
    assert_like_numpy(tj.jit(lambda a, b, c: tnp.lexsort((a, b, c)))(*keys), want,
                      "jit lexsort")


def test_row_stack_is_vstack_with_numpys_deprecation_warning():
    a, b = np.ones(3), np.zeros(3)
    with pytest.warns(DeprecationWarning, match="row_stack"):
        got = tnp.row_stack((a, b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert_like_numpy(got, np.row_stack((a, b)), "row_stack")


def test_fromfunction_passes_index_grids_of_dtype():
    seen = []
    tnp.fromfunction(lambda *grids: seen.extend(grids) or grids[0], (2, 3), dtype=np.int16)
    assert [g.dtype for g in seen] == [np.int16, np.int16]
    assert [tuple(g.shape) for g in seen] == [(2, 3), (2, 3)]
    assert all(isinstance(g, tj.Tensor) for g in seen)


def test_window_lengths_must_be_known(kernels_as_python):
    with pytest.raises(tj.TracerArrayError, match="hamming") as info:
        tj.jit(lambda m: tnp.hamming(m))(np.int32(5))
    assert "fix" in str(info.value)


# --- NumPy's errors ---------------------------------------------------------------------

F = np.ones((3, 4))

ERRORS = [
    ("gradient_bool", lambda m: m.gradient(np.array([True, False, True]))),
    ("gradient_short", lambda m: m.gradient(np.ones(2), edge_order=2)),
    ("gradient_edge_order_3", lambda m: m.gradient(np.ones(5), edge_order=3)),
    ("gradient_edge_order_0", lambda m: m.gradient(np.ones(2), edge_order=0)),
    ("gradient_arguments", lambda m: m.gradient(F, 1.0, 2.0, 3.0)),
    ("gradient_2d_spacing", lambda m: m.gradient(F, F)),
    ("gradient_coordinates_length", lambda m: m.gradient(F, np.arange(3.0), axis=1)),
    ("gradient_2d_coordinates", lambda m: m.gradient(F, F, F)),
    ("gradient_repeated_axis", lambda m: m.gradient(F, axis=(0, -2))),
    ("gradient_axis", lambda m: m.gradient(F, axis=2)),
    ("gradient_zero_spacing", lambda m: m.gradient(np.ones(4), 0.0, edge_order=2)),
    ("unwrap_scalar", lambda m: m.unwrap(np.float64(1.0))),
    ("unwrap_axis", lambda m: m.unwrap(F, axis=2)),
    ("apply_along_axis_scalar", lambda m: m.apply_along_axis(m.sum, 0, np.float64(1.0))),
    ("apply_along_axis_empty", lambda m: m.apply_along_axis(m.sum, 0, np.ones((3, 0)))),
    ("apply_over_axes_shape", lambda m: m.apply_over_axes(lambda v, a: m.sum(v), F, [0, 1])),
    ("lexsort_no_keys", lambda m: m.lexsort([])),
    ("lexsort_scalar", lambda m: m.lexsort(np.array(3.0))),
    ("lexsort_shapes", lambda m: m.lexsort([np.ones(2), np.ones(3)])),
    ("lexsort_axis_none", lambda m: m.lexsort([np.ones(2)], axis=None)),
    ("lexsort_axis", lambda m: m.lexsort([F], axis=2)),
    ("hamming_array", lambda m: m.hamming(np.array([3, 4]))),
    ("kaiser_nan_length", lambda m: m.kaiser(np.nan, 2.0)),
]


def _builtin_bases(error: BaseException) -> set:
    return {c for c in type(error).__mro__ if c.__module__ == "builtins"} - {
        object, BaseException, Exception}


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_numpys(name, call):
    """The error NumPy raises, or a tapejit error that is also every built-in exception
    class NumPy's is (NumPy's AxisError is a ValueError and an IndexError, as tapejit's)."""
    with pytest.raises(Exception) as numpy_error, np.errstate(all="ignore"):
        call(np)
    with pytest.raises(Exception) as tapejit_error, np.errstate(all="ignore"):
        call(tnp)
    missing = {c for c in _builtin_bases(numpy_error.value)
               if not isinstance(tapejit_error.value, c)}
    assert not missing, (f"NumPy raised {numpy_error.value!r}, tapejit "
                         f"{tapejit_error.value!r}, which is no {missing}")


# --- compiled with Numba ----------------------------------------------------------------


def test_numerics_compile_with_numba():
    """gradient with coordinates, unwrap and i0 in one jitted function, float64, with no
    kernel left to the interpreter."""
    rng = np.random.default_rng(11)
    f, x, p = rng.normal(size=(3, 5)), _increasing(5, rng), _phases((5,), rng)

    def numerics(a, b, c):
        return (tnp.gradient(a, b, axis=1, edge_order=2), tnp.unwrap(c),
                tnp.i0(a * 10.0))

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(numerics)(f, x, p)
    want = (np.gradient(f, x, axis=1, edge_order=2), np.unwrap(p), np.i0(f * 10.0))
    assert_like_numpy(list(got), list(want), "numba numerics")
