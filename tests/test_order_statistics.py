"""median/quantile/percentile and their nan* forms on NumPy 2.4's edge cases: integer q,
the interpolation position (n - 1) * q, q's rank, empty slices, values near overflow."""

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp


@pytest.fixture(autouse=True)
def kernels_as_python():
    """jit traces and generates kernels as usual and runs their source as Python (no Numba
    compile per case; the op table compiles median and quantile kernels)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _same(got, want):
    got = np.asarray(got.numpy())
    assert got.dtype == np.asarray(want).dtype and got.shape == np.shape(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["quantile", "nanquantile", "percentile", "nanpercentile"])
@pytest.mark.parametrize("q", [0, 1, np.int64(1), np.array([0, 1], np.int32)])
def test_an_integer_q_reads_an_order_statistic_in_the_datas_dtype(name, q):
    a = np.array([[5, -2, 7], [1, 9, 3]], np.int32)
    q = q * 100 if "percentile" in name else q
    _same(getattr(tnp, name)(a, q, axis=1), getattr(np, name)(a, q, axis=1))


@pytest.mark.parametrize("n", range(2, 12))
def test_the_interpolation_position_is_numpys_bit_for_bit(n):
    a = np.random.default_rng(n).normal(size=(3, n))
    q = np.linspace(0.0, 1.0, 23)
    for name in ("quantile", "nanquantile"):
        _same(getattr(tnp, name)(a, q, axis=-1), getattr(np, name)(a, q, axis=-1))
        _same(tj.jit(lambda x, f=getattr(tnp, name): f(x, q, axis=-1))(a),
              getattr(np, name)(a, q, axis=-1))


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_q_of_more_than_two_dimensions_is_numpys_value_error(name):
    with pytest.raises(ValueError, match="scalar or 1d"):
        getattr(tnp, name)(np.arange(5.0), np.zeros((1, 1, 1)))
    assert getattr(tnp, name)(np.arange(5.0), np.zeros((1, 2))).shape == (1, 2)


def test_the_median_of_empty_slices_is_nan_with_numpys_warning():
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        got = tnp.median(np.ones((0, 3)), axis=0)
    _same(got, np.full(3, np.nan))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(tnp.median(np.ones((3, 0)), axis=0), np.ones(0))


def test_a_quantile_of_an_empty_slice_is_numpys_index_error():
    with pytest.raises(IndexError):
        tnp.quantile(np.ones((0, 3)), 0.5, axis=0)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_the_middle_value_of_an_odd_count_near_overflow_is_numpys(name):
    """(a + a) / 2 overflows near the largest float: np.median reads the middle value,
    np.nanmedian (masked arrays) averages it with itself."""
    a = np.array([[1e308, 1e308, 1e308, np.nan], [1e308, 1e308, 3e307, 3e307]])
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a, axis=1)
        _same(getattr(tnp, name)(a, axis=1), want)
        _same(tj.jit(lambda x: getattr(tnp, name)(x, axis=1))(a), want)
