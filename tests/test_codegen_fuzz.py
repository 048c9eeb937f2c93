"""Codegen fuzz: random fusion-heavy programs compiled with bounds checking, run on inputs
that are windows into sentinel-filled buffers, compared with the NumPy interpreter. The
buffers' red zones must stay untouched and no access may leave its array.

The default suite runs a few examples so this never rots; `pytest -m slow` runs 200.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapejit as tj
from tapejit.backend.executable import Executable, interpreted
from tapejit.backend.numba_cpu import NumbaBackend
from tapejit.lowering import lower_programs

NUMBA = NumbaBackend()

SENTINEL = -12345.678
RANKS = {0: [()], 1: [(4,), (1,), (7,)], 2: [(3, 4), (1, 4), (3, 1), (0, 4)]}
UNARY = [tj.math.sin, tj.math.exp, tj.math.tanh, lambda a: a * a, lambda a: -a,
         lambda a: tj.math.log(a * a + 1.0), tj.nn.sigmoid, lambda a: tj.where(a > 0, a, 0.5)]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: tj.math.maximum(a, b), lambda a, b: a / (b * b + 1.0)]
REDUCE = [lambda a: tj.reduce_sum(a, -1, keepdims=True), lambda a: tj.reduce_max(a, 0),
          lambda a: tj.reduce_sum(a), lambda a: tj.reduce_min(a, -1)]


@st.composite
def fused_programs(draw):
    rank = draw(st.sampled_from([1, 2]))
    count = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(RANKS[rank] + RANKS[0])) for _ in range(count)]
    steps = []
    for k in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce"]))
        table = {"unary": UNARY, "binary": BINARY, "reduce": REDUCE}[kind]
        index = draw(st.integers(0, len(table) - 1))
        args = [draw(st.integers(0, len(shapes) + k - 1)) for _ in range(2 if kind == "binary"
                                                                         else 1)]
        steps.append((kind, index, args))
    return shapes, steps, draw(st.integers(0, 2**31 - 1))


def _build(steps, n_inputs):
    tables = {"unary": UNARY, "binary": BINARY, "reduce": REDUCE}

    def fn(*xs):
        values = list(xs)
        for kind, index, args in steps:
            operands = [values[i] for i in args]
            if kind == "reduce" and not operands[0].shape:
                values.append(operands[0] * 1.0)
                continue
            values.append(tables[kind][index](*operands))
        return values[n_inputs:]
    return fn


def _windows(arrays):
    """Each array copied into the middle of a sentinel-filled buffer (a strided window)."""
    windows = []
    for a in arrays:
        buffer = np.full(2 * max(a.size, 1) + 16, SENTINEL)
        view = buffer[8:8 + 2 * a.size:2][: a.size].reshape(a.shape) if a.size else \
            np.empty(a.shape)
        if a.shape == ():
            windows.append((buffer, a.copy()))
            continue
        view[...] = a
        windows.append((buffer, view))
    return windows


def _check(program):
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    fn = _build(steps, len(shapes))
    try:
        _, _, optimized, fused = lower_programs(fn, arrays)
    except tj.ShapeError:
        return  # operands that do not broadcast: not a codegen case
    executable = Executable(fused, NUMBA.load(NUMBA.lower(fused, boundscheck=True)))
    windows = _windows(arrays)
    args = [w[1] if np.ndim(w[1]) else np.float64(w[1]) for w in windows]
    got = executable.first_call(args)
    want = interpreted(optimized, "the reference")([a if np.ndim(a) else np.float64(a)
                                                    for a in arrays])
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                   rtol=1e-12, atol=1e-12, equal_nan=True)
    for (buffer, view), a in zip(windows, arrays):
        if np.ndim(view):
            np.testing.assert_array_equal(view, a)  # inputs untouched
            red = buffer.copy()
            red[8:8 + 2 * a.size:2] = SENTINEL
            assert np.all(red == SENTINEL), "a kernel wrote outside its arrays"


SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@settings(max_examples=6, **SETTINGS)
@given(fused_programs())
def test_codegen_fuzz_smoke(program):
    _check(program)


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)
@given(fused_programs())
def test_codegen_fuzz(program):
    _check(program)
