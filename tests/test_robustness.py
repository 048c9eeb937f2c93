"""Odd inputs and interrupted work: layouts, aliasing, empty tensors, exceptions mid-trace,
and memory that stays flat over many calls."""

import gc
import resource

import numpy as np
import pytest

import tapejit as tj
from tapejit.state import STATE

F = tj.jit(tj.value_and_grad(lambda x, y: tj.reduce_sum(tj.math.tanh(x) * y + x * x)))


def _expected(x, y):
    return float(np.sum(np.tanh(x) * y + x * x)), (1 - np.tanh(x) ** 2) * y + 2 * x


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "negative stride", "fortran",
                                    "read-only", "every other"])
def test_array_layouts_give_right_answers(layout):
    base = np.linspace(-1.0, 1.0, 24).reshape(4, 6)
    x = {"contiguous": base, "transposed": base.T.copy().T, "negative stride": base[::-1, ::-1],
         "fortran": np.asfortranarray(base), "read-only": base.copy(),
         "every other": np.linspace(-1, 1, 48).reshape(4, 12)[:, ::2]}[layout]
    if layout == "read-only":
        x.flags.writeable = False
    y = np.full((4, 6), 0.5)
    value, grad = F(x, y)
    want_value, want_grad = _expected(np.asarray(x), y)
    np.testing.assert_allclose(float(value), want_value, rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), want_grad, rtol=1e-12)


def test_the_same_array_twice_sums_both_uses():
    x = np.array([1.0, 2.0])
    g = tj.jit(tj.grad(lambda a, b: tj.reduce_sum(a * b), argnums=(0, 1)))(x, x)
    np.testing.assert_array_equal(g[0].numpy(), x)
    np.testing.assert_array_equal(g[1].numpy(), x)
    both = tj.jit(tj.grad(lambda a: tj.reduce_sum(a * a)))(x)
    np.testing.assert_array_equal(both.numpy(), 2 * x)


def test_inputs_are_not_mutated_and_gradients_do_not_alias():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    g1, g2 = tj.jit(tj.grad(lambda a, b: tj.reduce_sum(a + b), argnums=(0, 1)))(x, x)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(g1.numpy(), g2.numpy())
    assert not np.shares_memory(g1._value, g2._value)


def test_empty_tensors_keep_shapes_and_get_zero_gradients():
    x = np.zeros((0, 3))
    value, grad = F(x, np.zeros((0, 3)))
    assert float(value) == 0.0 and grad.shape == (0, 3)
    g = tj.grad(lambda a: tj.reduce_sum(a * 2.0))(x)
    assert g.shape == (0, 3)


def test_mixed_dtypes_promote_and_gradients_keep_source_dtypes():
    f = tj.jit(tj.grad(lambda a, b: tj.reduce_sum(a * b), argnums=(0, 1)))
    ga, gb = f(np.ones(3, np.float32), np.ones(3, np.float64))
    assert ga.dtype == np.float32 and gb.dtype == np.float64


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_exception_while_tracing_leaves_the_stacks_as_they_were(error):
    def f(x):
        with tj.GradientTape() as tape:
            tape.watch(x)
            y = x * 2.0
            raise error()
        return tape.gradient(y, x)

    assert STATE.traces == [] and STATE.tapes == []
    with pytest.raises(error):
        tj.jit(f)(np.ones(2))
    assert STATE.traces == [] and STATE.tapes == []
    ok = tj.jit(lambda x: x * 3.0)(np.ones(2))
    np.testing.assert_array_equal(ok.numpy(), [3.0, 3.0])


def test_a_function_returning_non_tensors_is_a_clear_error():
    with pytest.raises(TypeError, match="return tensors"):
        tj.jit(lambda x: "not a tensor")(np.ones(2))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def test_memory_stays_flat_over_many_jitted_calls_and_eager_tapes():
    x = np.ones(1000)
    f = tj.jit(tj.grad(lambda a: tj.reduce_sum(tj.math.sin(a) * a)))
    w = tj.Variable(np.ones(1000))

    def eager_step():
        with tj.GradientTape() as tape:
            loss = tj.reduce_sum(tj.math.sin(w) * w)
        return tape.gradient(loss, w)

    for _ in range(200):  # warm up: caches fill, allocator settles
        f(x)
        eager_step()
    gc.collect()
    start = _rss_bytes()
    for _ in range(3000):
        f(x)
        eager_step()
    gc.collect()
    growth = _rss_bytes() - start
    assert growth < 8 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 3000 calls"
