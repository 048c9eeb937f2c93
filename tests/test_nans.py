"""NaN hunting (TAPEJIT_DEBUG_NANS) and NaN-safe gradients where users expect them."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.checking import NonFiniteError


@pytest.fixture
def debug_nans():
    tj.config.update("debug_nans", True)
    yield
    tj.config.update("debug_nans", False)


def test_eager_hunt_names_the_op_and_line(debug_nans):
    x = tj.constant([1.0, 0.0, 2.0])
    y = x * 2.0
    with pytest.raises(NonFiniteError) as info:
        tj.math.log(y - 2.0)
    assert "log produced NaN" in str(info.value) and "tj.math.log(y - 2.0)" in str(info.value)


def test_nan_inputs_are_not_blamed_on_the_next_op(debug_nans):
    x = tj.constant([np.nan, 1.0])
    assert np.isnan((x * 2.0).numpy()[0])


def test_jit_hunt_finds_the_first_equation_forward_or_backward(debug_nans):
    def loss(x):
        y = tj.math.sqrt(x)  # sqrt'(0) = inf appears only in the backward pass
        return tj.reduce_sum(y * 3.0)

    f = tj.jit(tj.grad(loss))
    with pytest.raises(NonFiniteError) as info:
        f(np.array([4.0, 0.0]))
    text = str(info.value)
    assert "div" in text and "compiled" in text and "test_nans.py" in text


def test_without_the_hunt_nans_just_propagate():
    f = tj.jit(tj.grad(lambda x: tj.reduce_sum(tj.math.sqrt(x))))
    assert np.isinf(f(np.array([4.0, 0.0])).numpy()[1])


def _grad(fn, x):
    return tj.grad(lambda v: tj.reduce_sum(fn(v)))(np.asarray(x, np.float64)).numpy()


def test_where_with_an_unsafe_branch_needs_the_double_where():
    x = np.array([0.0, 4.0])
    naive = lambda v: tj.where(v > 0, tj.math.sqrt(v), 0.0)
    safe = lambda v: tj.where(v > 0, tj.math.sqrt(tj.where(v > 0, v, 1.0)), 0.0)
    assert np.isnan(_grad(naive, x)[0])  # 0 * inf: the documented pitfall
    np.testing.assert_allclose(_grad(safe, x), [0.0, 0.25])
    np.testing.assert_allclose(tj.jit(tj.grad(lambda v: tj.reduce_sum(safe(v))))(x).numpy(),
                               [0.0, 0.25])


def test_log_of_zero_in_a_masked_branch():
    x = np.array([0.0, np.e])
    safe = lambda v: tj.where(v > 0, tj.math.log(tj.where(v > 0, v, 1.0)), 0.0)
    np.testing.assert_allclose(_grad(safe, x), [0.0, 1 / np.e])


def test_pow_and_integer_pow_at_zero_are_finite_where_defined():
    x = np.array([0.0, 2.0])
    np.testing.assert_allclose(_grad(lambda v: v**2, x), [0.0, 4.0])
    np.testing.assert_allclose(_grad(lambda v: v**3, x), [0.0, 12.0])
    # d/dy x**y at x = 0 is taken as 0 (not log(0) * 0 = nan)
    g = tj.grad(lambda y: tj.reduce_sum(tj.math.pow(np.array([0.0, 2.0]), y)))(
        np.array([2.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [0.0, 4 * np.log(2.0)])
    # d/dx x**0 is 0 even at x = 0
    g0 = tj.grad(lambda v: tj.reduce_sum(tj.math.pow(v, np.zeros(2))))(x)
    np.testing.assert_allclose(g0.numpy(), [0.0, 0.0])
