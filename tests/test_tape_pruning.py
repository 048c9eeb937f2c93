"""A non-persistent tape frees the big values no backward step reads (autodiff.pruning); the
threshold is lowered here so small arrays exercise it."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit.autodiff import pruning
from tapejit.errors import TapeError


@pytest.fixture(autouse=True)
def _prune_everything(monkeypatch):
    monkeypatch.setattr(pruning, "PRUNE_BYTES", 0)


def _loss(x):
    return tj.reduce_sum(tj.math.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x)))


def _numpy_gradient(x: np.ndarray) -> np.ndarray:
    u = np.sin(x) * x + np.exp(-x * x)
    return (1.0 / (1.0 + np.exp(-u))) * (np.cos(x) * x + np.sin(x) - 2.0 * x * np.exp(-x * x))


def _recorded(persistent: bool, x):
    with tj.GradientTape(persistent=persistent) as tape:
        tape.watch(x)
        y = _loss(x)
    return tape, y


def test_only_the_values_the_backward_reads_stay_and_the_gradient_is_right():
    x = tj.constant(np.linspace(-2.0, 2.0, 101))
    kept, y = _recorded(False, x)
    full, y_full = _recorded(True, x)
    # sin(x), -x, exp(-x*x), the softplus argument and the target stay; sin(x)*x, -x*x and
    # softplus go
    assert kept.residuals().count == 5 and full.residuals().count == 8
    assert len(kept._pruner.pruned) == 3
    for _ in range(3):  # op by op, then the generated backward
        tape, y = _recorded(False, x)
        g = tape.gradient(y, x)
        np.testing.assert_array_equal(g.numpy(), full.gradient(y_full, x).numpy())
        np.testing.assert_allclose(g.numpy(), _numpy_gradient(x.numpy()), rtol=1e-12)


def test_gradients_equal_finite_differences():
    x0 = np.linspace(-1.5, 1.5, 7)
    with tj.GradientTape() as tape:
        x = tj.constant(x0)
        tape.watch(x)
        y = _loss(x)
    g = tape.gradient(y, x).numpy()
    eps = 1e-6
    for i in range(x0.size):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        fd = (float(_loss(tj.constant(up))) - float(_loss(tj.constant(down)))) / (2 * eps)
        assert abs(g[i] - fd) < 1e-6


def test_a_value_the_user_holds_is_kept_whole():
    x = tj.constant(np.linspace(-1.0, 1.0, 11))
    with tj.GradientTape() as tape:
        tape.watch(x)
        held = x * x  # the backward does not read it, but the user does
        y = tj.reduce_sum(tj.math.sin(held))
    np.testing.assert_array_equal(held.numpy(), x.numpy() * x.numpy())
    g = tape.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), np.cos(x.numpy() ** 2) * 2 * x.numpy())


def test_a_persistent_tape_keeps_every_value_for_repeated_gradients():
    x = tj.constant(np.linspace(-2.0, 2.0, 31))
    tape, y = _recorded(True, x)
    assert not tape._pruner.pruned and tape.residuals().count == 8
    first, second = tape.gradient(y, x), tape.gradient(y, x)
    np.testing.assert_array_equal(first.numpy(), second.numpy())


def test_nested_tapes_keep_what_the_outer_one_needs():
    x = tj.constant(np.linspace(-1.0, 1.0, 9))
    with tj.GradientTape() as outer:
        outer.watch(x)
        with tj.GradientTape() as inner:
            inner.watch(x)
            y = _loss(x)
        g = inner.gradient(y, x)
        s = tj.reduce_sum(g)
    assert not inner._pruner.pruned
    h = outer.gradient(s, x).numpy()
    eps, x0 = 1e-5, x.numpy()

    def first(v):
        with tj.GradientTape() as t:
            xv = tj.constant(v)
            t.watch(xv)
            yv = _loss(xv)
        return float(tj.reduce_sum(t.gradient(yv, xv)))
    for i in range(x0.size):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        assert abs(h[i] - (first(up) - first(down)) / (2 * eps)) < 1e-5


def test_a_gradient_under_another_tape_never_reads_a_freed_value():
    x = tj.constant(np.linspace(-2.0, 2.0, 21))
    tape, y = _recorded(False, x)
    tape._pruner.pruned.update(id(e.outputs[0]) for e in tape._entries)  # as if all freed
    with tj.GradientTape() as other:
        other.watch(x)
        with pytest.raises(TapeError, match="persistent=True"):
            tape.gradient(y, x)


def test_an_interpreter_that_counts_references_otherwise_frees_nothing(monkeypatch):
    monkeypatch.setattr(pruning, "COUNTS_AS_ASSUMED", False)
    x = tj.constant(np.linspace(-2.0, 2.0, 101))
    tape, y = _recorded(False, x)
    assert not tape._pruner.pruned and tape.residuals().count == 8
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), _numpy_gradient(x.numpy()),
                               rtol=1e-12)
