"""Rerolling: unrolled Python loops under jit become scans (TAPEJIT_REROLL, on by default),
with bitwise the same results, for the forward loop and its backward pass."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tapejit as tj
from tapejit.control.reroll import reroll
from tapejit.ir import verify, walk
from tapejit.passes.pipeline import optimize
from tests.test_random_programs import COMMON, OPS, SHAPES


def _interpret(program, args):
    return walk(program, args, lambda eqn, ins: eqn.prim.impl(*ins, **eqn.params))


def _loop(steps, repeats):
    """A Python loop: `repeats` times the same random step on a carry and a constant."""
    def fn(carry, const):
        for _ in range(repeats):
            values = [carry, const]
            for name, operands in steps:
                values.append(OPS[name][1](*(values[i] for i in operands)))
            carry = carry * 0.5 + tj.math.tanh(values[-1]) * 0.5
        return tj.reduce_sum(carry)
    return fn


@st.composite
def loops(draw):
    shape = draw(st.sampled_from(SHAPES))
    steps = []
    for k in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(sorted(OPS)))
        steps.append((name, tuple(draw(st.integers(0, k + 1)) for _ in range(OPS[name][0]))))
    return shape, steps, draw(st.integers(8, 12)), draw(st.integers(0, 2**31 - 1))


@settings(max_examples=60, **COMMON)
@given(loops())
def test_rerolled_programs_compute_bitwise_the_same(loop):
    shape, steps, repeats, seed = loop
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-1.5, 1.5, size=shape), rng.uniform(-1.5, 1.5, size=shape)]
    fn = tj.value_and_grad(_loop(steps, repeats), (0, 1))
    program = tj.make_ir(fn)(*args)
    rolled = verify(reroll(program))
    for want, got in zip(_interpret(optimize(program), args),
                         _interpret(optimize(rolled), args)):
        np.testing.assert_array_equal(got, want)


def _euler(k, y0, n=12):
    y = y0
    for _ in range(n):
        y = y + 0.01 * tj.stack([y[1], -k * y[0] - 0.1 * y[1]])
    return tj.reduce_sum(y * y)


def test_an_unrolled_loop_and_its_backward_pass_become_two_scans():
    args = [np.float64(2.0), np.array([1.0, 0.0])]
    program = tj.make_ir(tj.value_and_grad(lambda k, y: _euler(k, y, n=40)))(*args)
    rolled = optimize(reroll(program))
    assert [e.prim.name for e in rolled.eqns].count("scan") == 2
    assert len(rolled.eqns) < len(program.eqns) // 20


def test_jit_results_are_bitwise_the_same_with_and_without_rerolling():
    args = [np.float64(2.0), np.array([1.0, 0.0])]
    results = []
    for on in (True, False):
        tj.config.update("reroll", on)
        try:
            value, grad = tj.jit(tj.value_and_grad(_euler))(*args)
        finally:
            tj.config.update("reroll", True)
        results.append((value.numpy(), grad.numpy()))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


def test_a_loop_shorter_than_eight_steps_stays_unrolled():
    program = tj.make_ir(lambda k, y: _euler(k, y, n=5))(np.float64(2.0), np.array([1.0, 0.0]))
    assert reroll(program) is program
