"""tnp.isclose/allclose/array_equal/array_equiv and the complex helpers on real data beyond
the conformance table (tests/numpy_table_compare.py): what the whole-array predicates
return eagerly and under jit, NumPy's inf/NaN and dtype rules, gradients of compositions
against finite differences, and complex input."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tests.test_numpy_conformance import assert_like_numpy


@pytest.fixture
def kernels_as_python():
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


INFS_AND_NANS = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, 1.0 + 1e-6, 1e300])


def test_isclose_on_every_pair_of_infs_nans_and_numbers_is_numpys():
    a, b = np.meshgrid(INFS_AND_NANS, INFS_AND_NANS, indexing="ij")
    for kwargs in ({}, dict(equal_nan=True), dict(rtol=0.5, atol=0.0)):
        want = np.isclose(a, b, **kwargs)
        assert_like_numpy(tnp.isclose(a, b, **kwargs), want, f"isclose {kwargs}")
        assert want[0, 0] and not want[0, 1]   # inf is close to inf, not to -inf


def test_a_non_finite_tolerance_warns_or_raises_as_numpy_does():
    a = np.array([1.0, 2.0])
    for module in (np, tnp):
        with pytest.warns(RuntimeWarning, match="rtol or atol is not valid"):
            module.isclose(a, a, atol=np.inf)
        with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
            module.allclose(a, a, rtol=np.array([np.nan, 0.0]))


def test_isclose_measures_relative_to_its_second_argument():
    a, b = np.array([1.0, 10.0]), np.array([10.0, 1.0])
    assert_like_numpy(tnp.isclose(a, b, rtol=0.9), np.isclose(a, b, rtol=0.9), "asymmetric")
    assert np.isclose(a, b, rtol=0.9).tolist() == [True, False]


def test_isclose_of_unsigned_integers_does_not_wrap_around():
    a, b = np.array([1, 2, 250], np.uint8), np.array([2, 1, 5], np.uint8)
    assert_like_numpy(tnp.isclose(a, b, atol=1), np.isclose(a, b, atol=1), "uint8")


def test_isclose_tolerances_may_be_arrays_and_broadcast():
    a = np.linspace(1.0, 2.0, 6).reshape(2, 3)
    b = a + np.array([0.05, 0.2, 0.5])
    rtol, atol = np.array([[0.0], [0.1]]), np.array([0.1, 0.0, 0.3])
    assert_like_numpy(tnp.isclose(a, b, rtol, atol), np.isclose(a, b, rtol, atol), "arrays")


def test_whole_array_predicates_return_0d_boolean_tensors():
    """As tnp.all does: a 0-d bool tensor (NumPy returns a Python bool), usable in `if`."""
    a = np.arange(6.0).reshape(2, 3)
    results = [tnp.allclose(a, a + 1e-9), tnp.array_equal(a, a), tnp.array_equiv(a, a[:1]),
               tnp.array_equal(a, a.T), tnp.array_equiv(a, np.ones(4))]
    want = [np.allclose(a, a + 1e-9), np.array_equal(a, a), np.array_equiv(a, a[:1]),
            np.array_equal(a, a.T), np.array_equiv(a, np.ones(4))]
    for got, expected in zip(results, want):
        assert isinstance(got, tj.Tensor) and got.shape == () and got.dtype == np.bool_
        assert bool(got) is bool(expected)


def test_whole_array_predicates_under_jit(kernels_as_python):
    """Under jit they are traced booleans (tnp.where can use them); shapes that differ
    give False without an error, as in NumPy."""
    a = np.arange(6.0).reshape(2, 3)
    b = a + np.array([0.0, 0.0, 1e-3])

    def predicates(x, y):
        return (tnp.allclose(x, y), tnp.allclose(x, y, atol=1e-2), tnp.array_equal(x, y),
                tnp.array_equal(x, x.T), tnp.array_equiv(x, y[:1]),
                tnp.where(tnp.allclose(x, y, atol=1e-2), x, -x))

    got = tj.jit(predicates)(a, b)
    want = (np.allclose(a, b), np.allclose(a, b, atol=1e-2), np.array_equal(a, b),
            np.array_equal(a, a.T), np.array_equiv(a, b[:1]),
            np.where(np.allclose(a, b, atol=1e-2), a, -a))
    assert_like_numpy(list(got), [np.asarray(w) for w in want], "jit predicates")


def test_array_equal_with_nans():
    a = np.array([1.0, np.nan, 3.0])
    for b in (a.copy(), np.array([1.0, 2.0, 3.0]), np.array([np.nan, np.nan, 3.0])):
        for equal_nan in (False, True):
            assert bool(tnp.array_equal(a, b, equal_nan)) is np.array_equal(a, b, equal_nan)


def test_type_queries_are_python_bools_known_when_tracing():
    seen = []

    def f(x):
        seen.append((tnp.isrealobj(x), tnp.iscomplexobj(x)))
        return x * 2.0 if tnp.isrealobj(x) else x

    tj.jit(f)(np.ones(3))
    assert seen == [(True, False)]
    assert tnp.iscomplexobj(np.ones(2, np.complex64)) is np.iscomplexobj(np.ones(2, np.complex64))
    assert tnp.isrealobj([1.0, 2j]) is np.isrealobj([1.0, 2j])


@pytest.mark.parametrize("fn", [tnp.real, tnp.imag, tnp.conj, tnp.angle, tnp.isreal,
                                tnp.iscomplex, tnp.real_if_close, tnp.isclose])
def test_complex_input_is_a_clear_dtype_error(fn):
    args = (np.array([1 + 2j]),) * (2 if fn is tnp.isclose else 1)
    with pytest.raises(tj.DTypeError, match="complex") as info:
        fn(*args)
    assert "fix" in str(info.value)


def test_angle_of_signed_zeros_and_nans_is_numpys():
    x = np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, -2.0, 3.0], np.float32)
    for deg in (False, True):
        assert_like_numpy(tnp.angle(x, deg), np.angle(x, deg), f"angle deg={deg}")
    assert_like_numpy(tnp.angle(np.array([True, False])), np.angle(np.array([True, False])),
                      "bool")


GRADIENTS = [
    ("real_conj", lambda x: tnp.real(x) * tnp.conj(x) + tnp.conjugate(x * x)),
    ("imag", lambda x: tnp.imag(x) + x * tnp.real_if_close(x)),
    ("angle", lambda x: tnp.angle(x - 1.0) * x + tnp.angle(x, deg=True)),
    ("mask", lambda x: tnp.where(tnp.isreal(x), x * x, 0.0) + tnp.where(tnp.iscomplex(x),
                                                                        x, 1.0)),
]


@pytest.mark.parametrize("name,fn", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_of_compositions_match_finite_differences(name, fn, kernels_as_python):
    x = np.random.default_rng(3).uniform(0.2, 1.8, (2, 3))
    tj.testing.check_grads(fn, [x], order=2)
    tj.testing.check_grads(tj.jit(fn), [x], order=1, modes=("rev",))
