"""tnp.pad beyond the conformance table (tests/numpy_table_compare.py): gradients against
finite differences in every differentiable mode, eagerly and under jit; cotangents of
copied elements adding up; NumPy's errors for bad arguments; and one Numba compile of pad,
the comparisons and the complex helpers together."""

from __future__ import annotations

import warnings

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


GRADIENTS = [
    ("constant", lambda x: tnp.pad(x, ((1, 2), (2, 0)), constant_values=((1.0, 2.0), (3, 4)))),
    ("constant_tensor", lambda x: tnp.pad(x, 2, constant_values=tnp.sum(x * x))),
    ("constant_tensor_pairs", lambda x: tnp.pad(x, (1, 2), constant_values=x[0, :2] * 3.0)),
    ("edge", lambda x: tnp.pad(x, ((2, 1), (0, 3)), "edge")),
    ("reflect", lambda x: tnp.pad(x, (2, 3), "reflect")),
    ("reflect_wide", lambda x: tnp.pad(x, ((7, 5), (9, 4)), "reflect")),
    ("reflect_odd", lambda x: tnp.pad(x, ((7, 5), (2, 4)), "reflect", reflect_type="odd")),
    ("symmetric", lambda x: tnp.pad(x, ((4, 5), (1, 6)), "symmetric")),
    ("symmetric_odd", lambda x: tnp.pad(x, (6, 4), "symmetric", reflect_type="odd")),
    ("wrap", lambda x: tnp.pad(x, ((8, 2), (5, 9)), "wrap")),
    ("linear_ramp", lambda x: tnp.pad(x, (2, 3), "linear_ramp", end_values=(1.5, -2.0))),
    ("linear_ramp_tensor", lambda x: tnp.pad(x, 3, "linear_ramp", end_values=x[1, 1])),
    ("maximum", lambda x: tnp.pad(x, (2, 1), "maximum", stat_length=(2, 3))),
    ("minimum", lambda x: tnp.pad(x, ((1, 1), (2, 2)), "minimum")),
    ("mean", lambda x: tnp.pad(x, (2, 3), "mean", stat_length=((1, 2), (3, 2)))),
    ("median", lambda x: tnp.pad(x, (3, 1), "median", stat_length=(3, 2))),
    ("empty", lambda x: tnp.pad(x, 2, "empty") * 2.0),
]


def _weighted(fn):
    """fn's result times fixed weights, so each padded position counts differently."""
    def weighted(x):
        y = fn(x)
        weights = np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(y.shape)
        return y * weights
    return weighted


@pytest.mark.parametrize("name,fn", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_pad_gradients_match_finite_differences(name, fn):
    x = np.random.default_rng(7).uniform(0.5, 2.0, (3, 4))
    tj.testing.check_grads(_weighted(fn), [x], order=2)


@pytest.mark.parametrize("name,fn", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_pad_gradients_under_jit_equal_eager(name, fn, kernels_as_python):
    x = np.random.default_rng(8).uniform(0.5, 2.0, (3, 4))
    loss = lambda v: tnp.sum(_weighted(fn)(v))  # noqa: E731
    eager = tj.grad(loss)(x)
    jitted = tj.jit(tj.grad(loss))(x)
    np.testing.assert_allclose(np.asarray(jitted.numpy()), np.asarray(eager.numpy()),
                               rtol=1e-12, atol=1e-12)
    tj.testing.check_grads(tj.jit(_weighted(fn)), [x], order=1, modes=("rev",))


@pytest.mark.parametrize("mode,width", [("reflect", (5, 7)), ("symmetric", (8, 3)),
                                        ("wrap", (10, 6)), ("edge", (3, 2))])
def test_each_copy_of_an_element_sends_back_its_cotangent(mode, width):
    """d sum(pad(x)) / dx counts how often each element appears, as NumPy's own padding of
    the element indices shows."""
    x = np.arange(4.0)
    grad = tj.grad(lambda v: tnp.sum(tnp.pad(v, width, mode)))(x)
    copies = np.bincount(np.pad(np.arange(4), width, mode), minlength=4).astype(np.float64)
    np.testing.assert_array_equal(grad.numpy(), copies)
    assert copies.max() > 1


def test_odd_reflection_gradient_goes_to_the_edge_and_the_mirrored_values():
    x = np.array([1.0, 2.0, 4.0])
    grad = tj.grad(lambda v: tnp.sum(tnp.pad(v, (2, 0), "reflect", reflect_type="odd")))(x)
    # the padding is 2 * x[0] - x[2], 2 * x[0] - x[1]: x[0] gains 4, x[1] and x[2] lose 1
    np.testing.assert_array_equal(grad.numpy(), [5.0, 0.0, 0.0])


def test_empty_mode_has_numpys_shape_and_dtype_and_fills_zeros():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    got, want = tnp.pad(x, ((1, 2), (3, 0)), "empty"), np.pad(x, ((1, 2), (3, 0)), "empty")
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy()[1:3, 3:], x)
    assert np.count_nonzero(got.numpy()) == np.count_nonzero(x)


def test_dict_pad_width_is_numpys():
    x = np.arange(24.0).reshape(2, 3, 4)
    for width in ({0: 1}, {-1: (2, 0), 1: 3}, {2: (0, 0)}):
        assert_like_numpy(tnp.pad(x, width, "symmetric"), np.pad(x, width, "symmetric"),
                          f"dict {width}")


BAD_CALLS = [
    lambda m, x: m.pad(x, 1.0),
    lambda m, x: m.pad(x, np.uint8(1)),
    lambda m, x: m.pad(x, -1),
    lambda m, x: m.pad(x, ((1, 2), (3, -4))),
    lambda m, x: m.pad(x, [[1, 2], [3, 4], [5, 6]]),
    lambda m, x: m.pad(x, [[[1]]]),
    lambda m, x: m.pad(x, {5: 1}),
    lambda m, x: m.pad(x, {0: [1, 2]}),
    lambda m, x: m.pad(x, 1, "foo"),
    lambda m, x: m.pad(x, 1, "edge", constant_values=3),
    lambda m, x: m.pad(x, 1, "constant", stat_length=3),
    lambda m, x: m.pad(x, 1, "maximum", stat_length=0),
    lambda m, x: m.pad(x, 0, "minimum", stat_length=(2, 0)),
    lambda m, x: m.pad(x, 1, "mean", stat_length=-2),
    lambda m, x: m.pad(x, 1, "constant", constant_values=np.ones((3, 2))),
    lambda m, x: m.pad(np.zeros((0, 3)), 1, "edge"),
    lambda m, x: m.pad(np.zeros((2, 0)), ((0, 0), (0, 1)), "wrap"),
]


@pytest.mark.parametrize("call", BAD_CALLS)
def test_bad_arguments_raise_numpys_exception_type(call):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(Exception) as numpy_error:
        call(np, x)
    with pytest.raises(numpy_error.type) as info:
        call(tnp, x)
    assert "pad" in str(info.value) and "fix" in str(info.value)


def test_a_function_as_mode_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="function as mode is not supported") as info:
        tnp.pad(np.ones(3), 1, lambda vector, width, axis, kwargs: None)
    assert "fix" in str(info.value)


def test_constant_values_tensor_of_pairs_under_jit(kernels_as_python):
    x = np.arange(6.0).reshape(2, 3)
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = tj.jit(lambda a, c: tnp.pad(a, ((1, 2), (2, 1)), constant_values=c))(x, values)
    assert_like_numpy(got, np.pad(x, ((1, 2), (2, 1)), constant_values=values), "jit pairs")


def test_pad_comparisons_and_complex_helpers_compile_with_numba():
    """Padding (of float32 and int32 data), the comparisons and angle/conj in one
    Numba-compiled function (no interpreter fallback), against NumPy."""
    rng = np.random.default_rng(9)
    x = rng.uniform(-3, 3, (3, 4)).astype(np.float32)
    y = (x + rng.integers(0, 2, (3, 4)) * 0.25).astype(np.float32)
    k = rng.integers(-3, 4, (5,)).astype(np.int32)

    def everything(m, a, b, n):
        return [m.pad(a, ((2, 1), (3, 2)), "reflect", reflect_type="odd"),
                m.pad(a, (5, 2), "wrap"), m.pad(a, (1, 2), constant_values=(4, 5)),
                m.pad(n, (3, 4), "linear_ramp", end_values=(2, -1)),
                m.isclose(a, b, atol=0.5), m.allclose(a, a), m.array_equal(a, b),
                m.array_equiv(a, b[:1]), m.angle(n, deg=True), m.conj(a)]

    compiled = tj.jit(lambda a, b, n: everything(tnp, a, b, n))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = compiled(x, y, k)
    assert "runs in the NumPy interpreter" not in compiled.lower(x, y, k).source
    assert_like_numpy(list(got), everything(np, x, y, k), "numba")
