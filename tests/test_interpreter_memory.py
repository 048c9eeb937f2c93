"""Interpreting a program (the walker without a kept environment, and the generated Python
of the eager VJPs) drops each value after the equation that reads it last: a long program of
big arrays, such as a rematerialized backward pass, holds only what is still to be read."""

from __future__ import annotations

import tracemalloc
import weakref

import numpy as np

import tapejit as tj
from tapejit.backend.interpreter.source import python_function, python_source
from tapejit.ir import Eqn, Program, TensorType, Var, interpret, walk
from tapejit.primitives.elementwise import exp_p, sin_p

N = 100_000


def _chain_program(length: int) -> Program:
    """x -> sin -> exp -> sin -> ... (`length` equations), returning the last value."""
    t = TensorType(np.dtype(np.float64), (N,))
    x = Var(t)
    values, eqns = [x], []
    for k in range(length):
        out = Var(t)
        eqns.append(Eqn(sin_p if k % 2 == 0 else exp_p, (values[-1],), (out,), {}))
        values.append(out)
    return Program((x,), tuple(eqns), (values[-1],))


def peak_and_result(run) -> tuple[float, object]:
    """The traced peak above the start during `run()`, in multiples of one array of N
    float64 values, and what `run` returned."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / (8 * N), result


def _peak_growth(run) -> float:
    return peak_and_result(run)[0]


def test_the_walker_holds_only_values_still_to_be_read():
    program, x = _chain_program(30), np.linspace(0.0, 1.0, N)
    assert _peak_growth(lambda: interpret(program, [x])) < 3
    kept: dict = {}
    assert _peak_growth(lambda: interpret(program, [x], kept)) > 25  # asked to keep them all
    assert len(kept) == 31


def test_a_value_nothing_reads_goes_at_once():
    t = TensorType(np.dtype(np.float64), (N,))
    x, unused, kept = Var(t), Var(t), Var(t)
    program = Program((x,), (Eqn(sin_p, (x,), (unused,), {}), Eqn(exp_p, (x,), (kept,), {})),
                      (kept,))
    made, alive_at_second = [], []

    def run_eqn(eqn, ins):
        alive_at_second.extend(r() is not None for r in made)
        out = eqn.prim.impl(*ins)
        made.append(weakref.ref(out))
        return out
    walk(program, [np.linspace(0.0, 1.0, N)], run_eqn)
    assert alive_at_second == [False]


def test_generated_python_deletes_each_temporary_after_its_last_read():
    program = _chain_program(30)
    source = python_source(program)
    assert source.text.count("del ") == 30  # the input after the first step, then each step's
    run = python_function(program)
    x = np.linspace(0.0, 1.0, N)
    assert _peak_growth(lambda: run(x)) < 3
    np.testing.assert_array_equal(run(x)[0], interpret(program, [x])[0])


def test_a_checkpointed_chain_backward_holds_what_is_still_to_be_read():
    x = tj.constant(np.linspace(0.0, 1.0, N))

    def body(v):
        for _ in range(20):
            v = tj.math.sin(v) * 0.5 + v
        return v
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.reduce_sum(tj.checkpoint(body)(x))
    growth = _peak_growth(lambda: tape.gradient(y, x))
    assert growth < 30  # one residual per layer and a few temporaries (137 when all stayed)
