"""A non-persistent tape frees the big values only it holds, residuals included
(autodiff.pruning), and its gradient computes them again (tapejit.recompute); the threshold is
lowered here so small arrays exercise it."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit import recompute
from tapejit.autodiff import pruning
from tests.primitives.test_rules import DIFFERENTIABLE, _args
from tests.test_interpreter_memory import N, peak_and_result


@pytest.fixture(autouse=True)
def _prune_everything(monkeypatch):
    monkeypatch.setattr(pruning, "PRUNE_BYTES", 0)
    monkeypatch.setattr(recompute, "_FUNCTIONS", recompute.LRU(lambda: 8))


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


def test_the_tape_holds_only_the_target_and_the_gradient_is_right():
    x = tj.constant(np.linspace(-2.0, 2.0, 101))
    kept, y = _recorded(False, x)
    full, y_full = _recorded(True, x)
    # every value the user let go was freed, the residuals too: only the target stays
    assert kept.residuals().count == 1 and full.residuals().count == 8
    assert len(kept._pruner.pruned) == 7 and kept._pruner.freed_residuals()
    expected = tj.jit(tj.grad(_loss))(x).numpy()
    for _ in range(3):  # the fused function is built once, then found
        tape, y = _recorded(False, x)
        g = tape.gradient(y, x).numpy()
        np.testing.assert_array_equal(g, expected)  # the kernel's bits, as jit(grad) gives
        np.testing.assert_allclose(g, _numpy_gradient(x.numpy()), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g, full.gradient(y_full, x).numpy(), rtol=1e-12,
                                   atol=1e-15)
    assert len(recompute._FUNCTIONS) == 1


def test_a_freed_value_made_from_another_watched_value_is_computed_again():
    x = tj.constant(np.linspace(-2.0, 2.0, 11))
    w = tj.Variable(np.linspace(0.0, 1.0, 11))
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.reduce_sum(x * tj.math.exp(tj.math.sin(w)) * x)  # exp(sin(w)) is freed
    assert tape._pruner.freed_residuals()
    g = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(g, 2.0 * np.exp(np.sin(w.numpy())) * x.numpy(), rtol=1e-14)


@pytest.mark.parametrize("how", ["stateful", "key"])
def test_random_values_are_drawn_once(how):
    x = tj.constant(np.linspace(-2.0, 2.0, 201))
    tj.random.set_seed(3)
    with tj.GradientTape() as tape:
        tape.watch(x)
        u = (tj.random.uniform(x.shape, dtype=tj.float64) if how == "stateful"
             else tj.random.uniform(tj.random.key(5), x.shape, dtype=tj.float64))
        y = tj.reduce_sum(tj.math.sin(tj.where(u + 0.0 * x > 0.5, x * x, 0.0 * x)))
    assert tape._pruner.freed_residuals()
    g, xv = tape.gradient(y, x).numpy(), x.numpy()
    expected = np.where(u.numpy() > 0.5, np.cos(xv * xv) * 2.0 * xv, 0.0)
    np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-15)


def test_a_variable_source_and_several_targets():
    v = tj.Variable(np.linspace(-1.0, 1.0, 31))
    with tj.GradientTape() as tape:
        a = tj.reduce_sum(tj.math.tanh(v * v))
        b = tj.reduce_sum(tj.math.exp(v) * v)
    assert tape._pruner.freed_residuals()
    g, vv = tape.gradient([a, b], v).numpy(), v.numpy()
    expected = (1.0 - np.tanh(vv * vv) ** 2) * 2.0 * vv + np.exp(vv) * (vv + 1.0)
    np.testing.assert_allclose(g, expected, rtol=1e-13)


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


def test_a_gradient_under_another_tape_computes_freed_values_again_with_their_bits():
    x = tj.constant(np.linspace(-2.0, 2.0, 21))
    full, y_full = _recorded(True, x)
    tape, y = _recorded(False, x)
    assert tape._pruner.freed_residuals()
    with tj.GradientTape() as other:  # the op-by-op pass reads the recorded values
        other.watch(x)
        g = tape.gradient(y, x)
    np.testing.assert_array_equal(g.numpy(), full.gradient(y_full, x).numpy())


def test_a_fused_gradient_that_fails_gives_way_to_the_op_by_op_pass(monkeypatch):
    def unstageable(*args):
        raise NotImplementedError("no staging rule")
    monkeypatch.setattr(recompute, "jit", lambda fn: unstageable)
    x = tj.constant(np.linspace(-2.0, 2.0, 21))
    full, y_full = _recorded(True, x)
    tape, y = _recorded(False, x)
    g = tape.gradient(y, x)  # the freed values computed again, with their bits
    np.testing.assert_array_equal(g.numpy(), full.gradient(y_full, x).numpy())
    assert all(e.inputs is None for e in tape._entries)


def test_a_jacobian_computes_freed_values_again():
    x = tj.constant(np.linspace(-1.0, 1.0, 9))
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.math.sin(x * x) * x
    assert tape._pruner.freed_residuals()
    jac, xv = tape.jacobian(y, x).numpy(), x.numpy()
    np.testing.assert_allclose(jac, np.diag(np.cos(xv * xv) * 2 * xv * xv + np.sin(xv * xv)),
                               rtol=1e-14, atol=1e-15)


def test_an_interpreter_that_counts_references_otherwise_frees_nothing(monkeypatch):
    monkeypatch.setattr(pruning, "COUNTS_AS_ASSUMED", False)
    x = tj.constant(np.linspace(-2.0, 2.0, 101))
    tape, y = _recorded(False, x)
    assert not tape._pruner.pruned and tape.residuals().count == 8
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), _numpy_gradient(x.numpy()),
                               rtol=1e-12)


def test_the_tape_adds_nothing_to_the_forward_peak_and_the_gradient_needs_one_array():
    x = tj.constant(np.linspace(-2.0, 2.0, N))
    plain, _ = peak_and_result(lambda: _loss(x))
    taped, (tape, y) = peak_and_result(lambda: _recorded(False, x))
    # values are freed before the next op's result is made, so the tape's forward peaks
    # where the same code without a tape does (three arrays here)
    assert taped < plain + 0.1
    tape.gradient(y, x)
    for fused in recompute._FUNCTIONS.values():
        fused.function.wait()  # compiling, and loading the kernel, are not measured
    tape, y = _recorded(False, x)
    gradient, g = peak_and_result(lambda: tape.gradient(y, x))
    assert gradient < 1.5  # the result, and no freed value whole again
    kept, (full, y_full) = peak_and_result(lambda: _recorded(True, x))
    assert kept > 6  # what a tape that keeps its values holds
    np.testing.assert_allclose(g.numpy(), full.gradient(y_full, x).numpy(), rtol=1e-12,
                               atol=1e-15)


SAMPLED = ("dot_general", "reduce_max", "gather", "scatter_add", "concatenate", "cumsum",
           "scan", "custom_vjp_call", "select", "pad")
"""Primitives of each kind (contractions, reductions, indexing, loops, custom rules) whose
recorded programs are fused. Every differentiable primitive's first case passes the same
check (run by hand: each compiles kernels, minutes for the whole table)."""


def _biggest_case_of_each(params) -> list:
    """Per sampled primitive, its op-table case with the most values (a scalar case frees
    nothing)."""
    best: dict = {}
    for p in params:
        case, shapes = p.values
        size = sum(a.size for a in _args(case, shapes)) if case.prim in SAMPLED else 0
        if size > best.get(case.prim, (0, None))[0]:
            best[case.prim] = (size, p)
    return [p for _, p in best.values()]


@pytest.mark.parametrize("case,shapes", _biggest_case_of_each(DIFFERENTIABLE))
def test_op_table_fused_gradients_agree_with_the_op_by_op_pass(case, shapes, monkeypatch):
    def restore(self, entries):
        raise AssertionError("the fused gradient failed")
    monkeypatch.setattr(pruning.Pruner, "restore", restore)
    args = [tj.constant(a) for a in _args(case, shapes)]
    tapes = []
    for persistent in (True, False):
        with tj.GradientTape(persistent=persistent) as tape:
            tape.watch(args)
            y = tj.reduce_sum(tj.math.sin(tj.math.sin(case.fn(*args))))  # a freed residual
        tapes.append((tape, y))
    (full, y_full), (tape, y) = tapes
    assert tape._pruner.freed_residuals()
    for got, want in zip(tape.gradient(y, args), full.gradient(y_full, args)):
        assert (got is None) == (want is None)  # integer indices have none
        if want is not None:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
