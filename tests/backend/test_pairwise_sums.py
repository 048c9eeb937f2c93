"""Float sums in kernels add in NumPy's order: pairwise over the trailing run, in loop order
across the rest. jit, eager and NumPy agree bit for bit on C-contiguous inputs."""

import math

import numpy as np
import pytest

import tapejit as tj
from tapejit.primitives.broadcast import summation_run

CASES = [  # shape, axes: a trailing run, runs across size-1 axes, outer reduced axes, none
    ((3, 200), (1,)), ((3, 200), (0, 1)), ((3, 200), (0,)),
    ((2, 3, 150), (1, 2)), ((2, 3, 150), (0, 2)), ((5, 40, 7), (0, 1, 2)),
    ((300, 1), (0,)), ((4, 1, 90), (0, 2)), ((1, 300), (1,)),
    ((400, 100), (1,)),  # long enough to run in parallel chunks
    ((0, 5), (1,)), ((5, 0), (1,)), ((5, 0), (0, 1)),
    ((5,), (0,)), ((4, 3), (1,)), ((3, 5), (0, 1)), ((2, 3, 2), (0, 2)),  # runs under 8
]


def _wide_range(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-4, 4, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, axes", CASES)
def test_kernel_sums_equal_numpy_bitwise(shape, axes, dtype):
    x = _wide_range(shape, dtype)
    want = np.sum(x + x, axis=axes)  # x + x is exact: only the order of the sum can differ
    got = tj.jit(lambda t: tj.reduce_sum(t + t, axis=list(axes)))(x).numpy()
    eager = tj.reduce_sum(tj.constant(x) + x, axis=list(axes)).numpy()
    assert got.dtype == want.dtype == eager.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(eager, want)


def test_sums_sharing_a_loop_keep_their_own_order():
    """Sums of one fused loop: two over the same run, one over another run, one over no run."""
    x = _wide_range((6, 50), np.float64, seed=1)

    def moments(t):
        return (tj.reduce_sum(t, axis=1), tj.reduce_sum(t * t, axis=1),
                tj.reduce_sum(t * 3.0), tj.reduce_sum(t - 1.0, axis=0))

    got = tj.jit(moments)(x)
    want = (np.sum(x, 1), np.sum(x * x, 1), np.sum(x * 3.0), np.sum(x - 1.0, 0))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w)


def test_long_sums_are_as_accurate_as_numpy():
    n = 10**6
    x = np.full(n, 0.1)
    exact = math.fsum(x)
    got = float(tj.jit(lambda t: tj.reduce_sum(t * 1.0))(x))
    assert got == np.sum(x)
    assert abs(got - exact) <= abs(np.sum(x) - exact)
    y = _wide_range((n,), np.float32, seed=2)
    got32 = tj.jit(lambda t: tj.reduce_sum(t * 1.0))(y).numpy()
    assert got32 == np.sum(y)


def test_gradients_of_means_equal_eager():
    x = _wide_range((7, 33), np.float64, seed=3)

    def loss(t):
        return tj.reduce_mean(tj.math.square(t - tj.reduce_mean(t, axis=1, keepdims=True)))

    jitted = tj.jit(tj.value_and_grad(loss))(x)
    eager = tj.value_and_grad(loss)(x)
    assert float(jitted[0]) == float(eager[0])
    np.testing.assert_array_equal(jitted[1].numpy(), eager[1].numpy())


@pytest.mark.parametrize("shape, axes, start", [
    ((3, 4), (1,), 1), ((3, 4), (0, 1), 0), ((3, 4), (0,), None), ((3, 1), (0,), 0),
    ((3, 1, 4), (0, 2), 0), ((3, 1), (1,), None), ((1, 1), (0, 1), None),
])
def test_summation_run(shape, axes, start):
    assert summation_run(shape, axes) == start


def test_signed_zeros_sum_like_numpy():
    x = np.array([[-0.0, -0.0, -0.0], [-0.0, 0.0, -0.0], [-0.0] * 3, [5.0, -5.0, -0.0]])
    for axes in ([1], [0], [0, 1]):
        got = tj.jit(lambda t, axes=axes: tj.reduce_sum(t * 1.0, axis=axes))(x).numpy()
        want = np.sum(x * 1.0, axis=tuple(axes))
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=str(axes))


def test_one_kernel_serves_every_run_length():
    """The run's length is a runtime size: short rows, one block and many blocks share a text."""
    f = tj.jit(lambda t: tj.reduce_sum(t * t, axis=1))
    sources = {f.lower(np.ones((3, n))).source for n in (3, 9, 1000, 5000)}
    assert len(sources) == 1
