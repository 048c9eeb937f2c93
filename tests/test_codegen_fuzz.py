"""Codegen fuzz: random fusion-heavy programs, and contractions (dot_general with random
dimension numbers: batch, contracted and free groups of any length, empty included, sizes
including 0 and 1, float64 and int32, between elementwise ops), compiled with bounds checking,
run on inputs that are windows into sentinel-filled buffers, compared with the NumPy
interpreter. The buffers' red zones must stay untouched and no access may leave its array.

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
from tapejit.primitives.linalg import dot_general_p
from tapejit.trace import bind

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
        buffer = np.full(2 * max(a.size, 1) + 16, _sentinel(a.dtype))
        view = buffer[8:8 + 2 * a.size:2][: a.size].reshape(a.shape) if a.size else \
            np.empty(a.shape, a.dtype)
        if a.shape == ():
            windows.append((buffer, a.copy()))
            continue
        view[...] = a
        windows.append((buffer, view))
    return windows


def _sentinel(dtype):
    return np.asarray(SENTINEL).astype(dtype)[()]


def _check(program):
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    _compare(_build(steps, len(shapes)), [rng.uniform(-2, 2, size=s) for s in shapes])


def _scalar(a):
    return a if np.ndim(a) else a.dtype.type(a)


def _compare(fn, arrays):
    """The bounds-checked kernel of fn on windows of `arrays` against the interpreter."""
    try:
        _, _, optimized, fused = lower_programs(fn, arrays)
    except tj.ShapeError:
        return  # operands that do not broadcast: not a codegen case
    executable = Executable(fused, NUMBA.load(NUMBA.lower(fused, boundscheck=True)))
    windows = _windows(arrays)
    got = executable.first_call([_scalar(w[1]) for w in windows])
    assert executable.compiled, executable.why_interpreted  # not quietly interpreted
    want = interpreted(optimized, "the reference")([_scalar(a) for a in arrays])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        assert not np.ndim(g) or g.dtype == w.dtype  # scalars leave a kernel as Python numbers
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                   rtol=1e-12, atol=1e-12, equal_nan=True)
    for (buffer, view), a in zip(windows, arrays):
        if np.ndim(view):
            np.testing.assert_array_equal(view, a)  # inputs untouched
            red = buffer.copy()
            red[8:8 + 2 * a.size:2] = SENTINEL
            assert np.all(red == _sentinel(a.dtype)), "a kernel wrote outside its arrays"


SIZES = [0, 1, 2, 3, 3, 4]
AROUND = {"float64": [lambda a: a, tj.math.sin, lambda a: a * a, lambda a: -a],
          "int32": [lambda a: a, lambda a: -a, lambda a: a * a]}


@st.composite
def contractions(draw):
    """Two operands whose axes are a random interleaving of batch, contracted and free
    groups (each of 0 to 2 axes), and an elementwise op before and after."""
    groups = [[draw(st.sampled_from(SIZES)) for _ in range(draw(st.integers(0, 2)))]
              for _ in range(4)]
    batch, summed, free_left, free_right = groups
    left = draw(st.permutations(range(len(batch) + len(summed) + len(free_left))))
    right = draw(st.permutations(range(len(batch) + len(summed) + len(free_right))))
    nb, nc = len(batch), len(summed)
    dims = ((tuple(left[nb:nb + nc]), tuple(right[nb:nb + nc])),
            (tuple(left[:nb]), tuple(right[:nb])))
    dtype = draw(st.sampled_from(["float64", "int32"]))
    ops = [draw(st.integers(0, len(AROUND[dtype]) - 1)) for _ in range(3)]
    return (_shape(left, batch + summed + free_left), _shape(right, batch + summed + free_right),
            dims, dtype, ops, draw(st.integers(0, 2**31 - 1)))


def _shape(axes, sizes) -> tuple:
    """The operand shape whose axis axes[i] has sizes[i]."""
    shape = [0] * len(axes)
    for axis, size in zip(axes, sizes):
        shape[axis] = size
    return tuple(shape)


def _check_contraction(program):
    left, right, dims, dtype, ops, seed = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=s) if dtype == "float64" else
              rng.integers(-9, 10, size=s).astype(np.int32) for s in (left, right)]
    before_a, before_b, after = (AROUND[dtype][i] for i in ops)

    def fn(a, b):
        return after(bind(dot_general_p, before_a(a), before_b(b), dimension_numbers=dims))
    _compare(fn, arrays)


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


@settings(max_examples=6, **SETTINGS)
@given(contractions())
def test_contraction_codegen_fuzz_smoke(program):
    _check_contraction(program)


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)
@given(contractions())
def test_contraction_codegen_fuzz(program):
    _check_contraction(program)


@pytest.mark.parametrize("left,right,dims", [
    ((3, 3), (3, 3), (((0, 1), (0, 1)), ((), ()))),
    ((2, 3), (2, 3), (((0, 1), (0, 1)), ((), ()))),
    ((2, 3), (3, 2), (((1, 0), (0, 1)), ((), ()))),
    ((3, 4), (3, 4, 5), (((0, 1), (0, 1)), ((), ()))),
    ((5, 3, 4), (4, 3), (((1, 2), (1, 0)), ((), ()))),
    ((0, 3), (3, 2), (((1,), (0,)), ((), ()))),
    ((2, 0), (0, 3), (((1,), (0,)), ((), ()))),
    ((2, 3), (2, 3), (((1,), (1,)), ((0,), (0,)))),
    ((2, 3), (3, 2), (((), ()), ((0, 1), (1, 0)))),
    ((2, 3, 4), (4, 2, 3), (((2,), (0,)), ((0, 1), (1, 2)))),
])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_contraction_kernels(left, right, dims, dtype):
    """The contractions a wrong kernel got wrong: full ones, no free dims, batch only."""
    _check_contraction((left, right, dims, dtype, (0, 0, 0), 0))
