"""The eager tape's generated backward (autodiff.chain): a chain differentiated a second time
runs as one generated function, which must give the op-by-op pass's bits."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tapejit as tj
from tapejit.autodiff.backward import ChainGradient, EagerGradient

W = tj.Variable(np.array([0.5, -1.5, 2.0]))
V = tj.Variable(0.7)


def _scalar_chain(tape):
    y = V
    for _ in range(5):
        y = tj.math.exp(tj.math.sin(y * 0.5 + V))
    return y, V


def _broadcasting(tape):
    x = tj.constant(np.linspace(-1.0, 1.0, 6).reshape(2, 3))
    tape.watch(x)
    y = tj.reduce_sum(tj.math.tanh(x * W + np.float64(0.25)) * x - W / 3.0)
    return y, [x, W]


def _intermediate_source(tape):
    x = tj.constant([1.0, 2.0])
    tape.watch(x)
    h = tj.math.sin(x) * x
    y = tj.reduce_sum(h * h)
    return y, [h, x]


def _several_targets(tape):
    a = V * 2.0
    b = tj.math.log(V + 3.0)
    return [a, b, a], V


def _integer_and_select(tape):
    x = W * 1.0
    mask = tj.cast(x > 0.0, tj.float64)
    y = tj.reduce_sum(tj.where(x > 0.0, x * x, -x) * mask + tj.cast(tj.argmax(x), tj.float64))
    return y, W


def _unconnected_and_stopped(tape):
    y = tj.stop_gradient(V * 3.0) * V + tj.constant(2.0, tj.float32) * V
    return y, [V, W]


CASES = [_scalar_chain, _broadcasting, _intermediate_source, _several_targets,
         _integer_and_select, _unconnected_and_stopped]


def _gradient(case, output_gradients=None):
    """The backward pass's kind (op by op, or generated) and the gradients, flat."""
    with tj.GradientTape() as tape:
        target, sources = case(tape)
    prepared = []
    prepare = tape.prepare
    tape.prepare = lambda *args, **kw: prepared.append(prepare(*args, **kw)) or prepared[-1]
    grads = tape.gradient(target, sources, output_gradients)
    flat = [None if g is None else g.numpy() for g in tj.tree.flatten(grads)[0]]
    return type(prepared[0]), flat


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.strip("_"))
def test_generated_backward_gives_the_op_by_op_bits(case):
    kinds, results = zip(*[_gradient(case) for _ in range(3)])
    assert kinds == (EagerGradient, ChainGradient, ChainGradient)
    for result in results[1:]:
        assert len(result) == len(results[0])
        for got, first in zip(result, results[0]):
            assert (got is None) == (first is None)
            if got is not None:
                np.testing.assert_array_equal(got, first)


def test_generated_backward_matches_finite_differences():
    def f(v):
        y = v
        for _ in range(5):
            y = np.exp(np.sin(y * 0.5 + v))
        return y
    for _ in range(3):
        _, (grad,) = _gradient(_scalar_chain)
    v, eps = float(V.numpy()), 1e-3
    assert grad == pytest.approx((f(v + eps) - f(v - eps)) / (2 * eps), rel=1e-2)


def test_output_gradients_and_persistent_tapes_use_the_generated_backward():
    ct = [tj.constant(2.0, tj.float32), tj.constant(-1.0, tj.float32),
          tj.constant(0.5, tj.float32)]
    results = [_gradient(_several_targets, ct)[1] for _ in range(3)]
    assert results[0] == results[2]
    with tj.GradientTape(persistent=True) as tape:
        y, _ = _scalar_chain(tape)
    first, second, third = (tape.gradient(y, V) for _ in range(3))
    assert float(first) == float(second) == float(third)


def test_generated_backward_releases_what_a_non_persistent_tape_held():
    x = tj.Variable(np.linspace(0.0, 1.0, 100))
    for _ in range(3):
        with tj.GradientTape() as tape:
            y = tj.math.sin(x)
            z = tj.reduce_sum(y * y)
        ref = weakref.ref(y)
        del y
        tape.gradient(z, x)
        gc.collect()
        assert ref() is None and tape.residuals().nbytes == 0


def _backward_growth(x) -> float:
    """How far the traced memory rises above the forward's end during `gradient`, in
    multiples of x's bytes (NumPy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        with tj.GradientTape() as tape:
            tape.watch(x)
            y = tj.reduce_sum(tj.nn.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x)))
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        tape.gradient(y, x)
        return (tracemalloc.get_traced_memory()[1] - start) / x.numpy().nbytes
    finally:
        tracemalloc.stop()


def test_a_released_backward_pass_drops_values_before_it_makes_new_ones():
    """The forward's values no step reads go first, the rest as their steps finish: the
    backward adds under one input's bytes on top of the forward (it added five)."""
    x = tj.constant(np.linspace(-3.0, 3.0, 50_000))
    growth = [_backward_growth(x) for _ in range(3)]  # op by op, generated, generated
    assert growth[0] < 1.0 and growth[2] < 1.0


def test_a_step_result_goes_straight_to_its_cotangent():
    from tapejit.autodiff.chain import _fold_moves
    lines = ["def chain(E, cts, release):", "    t1_0 = g0 * c0", "    del g0",
             "    g1 = t1_0", "    del t1_0", "    t2_0 = g1 * c1", "    g2 = g1 + t2_0",
             "    del t2_0"]
    assert _fold_moves(lines) == ["def chain(E, cts, release):", "    g1 = g0 * c0",
                                  "    del g0", "    t2_0 = g1 * c1", "    g2 = g1 + t2_0",
                                  "    del t2_0"]


def test_a_scalar_chain_is_generated_without_moves_or_deletions(monkeypatch):
    from tapejit.autodiff import chain
    monkeypatch.setattr(chain, "_CHAINS", {})
    for _ in range(2):
        _gradient(_scalar_chain)
    (function,) = [f for f in chain._CHAINS.values() if callable(f)]
    body = function.source.splitlines()[1:]
    assert body and not any(line.lstrip().startswith(("del ", "if release")) for line in body)
    assert not any(line.lstrip().startswith("g") and line.split(" = ")[1].startswith("t")
                   for line in body)
