"""Random typed programs (Hypothesis) over the primitive table: eager = jit, tape gradient =
jit gradient, derivatives = finite differences, and the jit's invariants.

Every program maps 1-4 inputs of mutually broadcastable shapes through up to 12 ops (30 in the
slow run), loops and branches among them (staged scans, conds and while_loops, TF's bounded
while_loop). The main properties run their jit side with TAPEJIT_DISABLE_JIT=kernels (the
generated kernel source, executed as Python) so 200 examples stay fast; a smaller property
compiles every example with Numba (test_first_tier compiles a few more, float32 too, against
its tier).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapejit as tj
from tapejit.lax import scan_as, switch_as, while_as
from tapejit.lowering import lower_programs

SHAPES = [(), (3,), (2, 1), (2, 3), (1, 3)]


def _scan3(a, b):
    """Three staged scan steps over a carry of a's and b's broadcast shape (b a loop const)."""
    def step(c, _):
        return tj.math.tanh(c * 0.5 + b), c * b
    carry, ys = scan_as(True, step, a + b * 0.0, None, 3, False)
    return carry + tj.reduce_mean(ys, 0)


def _cond_sign(a, b):
    """A staged cond on the sign of sum(a); the branches agree in value and slope at 0."""
    s = tj.reduce_sum(a)
    return switch_as(True, tj.cast(s > 0.0, tj.int32),
                     [lambda x, y: x * y, lambda x, y: x * y + tj.math.square(tj.reduce_sum(x))],
                     a + b * 0.0, b + a * 0.0)


def _while3(a, b):
    """A staged lax.while_loop of three steps (its trip count a traced counter, so reverse
    mode recomputes the carries) that closes over b."""
    def body(state):
        i, v = state
        return i + 1, tj.math.sin(v) * b + v * 0.5
    return while_as(True, lambda state: state[0] < 3, body, (tj.constant(0), a + b * 0.0))[1]


def _bounded_while(a):
    """TF's while_loop with maximum_iterations: Python eagerly, a bounded scan under jit."""
    return tj.while_loop(lambda i, v: i < 5, lambda i, v: (i + 1, tj.math.sin(v) + v * 0.5),
                         [tj.constant(0), a], maximum_iterations=3)[1]


OPS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (b * b + 1.0)),
    "maximum": (2, lambda a, b: tj.math.maximum(a, b * 0.5 + 3.0)),
    "where": (2, lambda a, b: tj.where(a > 0.0, a * a * b, b * 0.25)),
    "sin": (1, tj.math.sin),
    "cos": (1, tj.math.cos),
    "tanh": (1, tj.math.tanh),
    "sigmoid": (1, tj.nn.sigmoid),
    "softplus": (1, tj.nn.softplus),
    "exp": (1, lambda a: tj.math.exp(tj.math.tanh(a))),
    "log": (1, lambda a: tj.math.log(a * a + 1.0)),
    "log1p": (1, lambda a: tj.math.log1p(a * a)),
    "sqrt": (1, lambda a: tj.math.sqrt(a * a + 1.0)),
    "square": (1, tj.math.square),
    "cube": (1, lambda a: a**3),
    "neg": (1, lambda a: -a),
    "sum_last": (1, lambda a: tj.reduce_sum(a, -1, keepdims=True) if a.shape else a),
    "max_last": (1, lambda a: tj.reduce_max(a, -1, keepdims=True) if a.shape else a),
    "mean_all": (1, tj.reduce_mean),
    "transpose": (1, lambda a: tj.transpose(a) if len(a.shape) == 2 and a.shape[0] == a.shape[1]
                  else a),
    "flip": (1, lambda a: a[..., ::-1] if a.shape else a),
    "scan": (2, _scan3),
    "cond": (2, _cond_sign),
    "while": (1, _bounded_while),
    "while_unbounded": (2, _while3),
}


@st.composite
def programs(draw, max_ops: int = 12, ops=tuple(sorted(OPS))):
    """(input shapes, steps, seed): step k applies an op (one of `ops`) to earlier values."""
    n_inputs = draw(st.integers(1, 4))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_inputs)]
    steps = []
    for k in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(ops))
        arity = OPS[name][0]
        steps.append((name, tuple(draw(st.integers(0, n_inputs + k - 1))
                                  for _ in range(arity))))
    return shapes, steps, draw(st.integers(0, 2**31 - 1))


def build(shapes, steps):
    """The program as a Python function of its inputs, returning a scalar."""
    def fn(*xs):
        values = list(xs)
        for name, operands in steps:
            values.append(OPS[name][1](*(values[i] for i in operands)))
        total = values[-1]
        for v in values[len(xs):-1]:  # every step feeds the result
            total = total + tj.reduce_mean(v) * 0.1
        return tj.reduce_sum(total)
    return fn


def inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=s) for s in shapes]


def _jit_kernels_as_python(fn, args):
    tj.config.update("disable_jit", "kernels")
    try:
        return fn(*args)
    finally:
        tj.config.update("disable_jit", False)


COMMON = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
              print_blob=True)


@settings(max_examples=200, **COMMON)
@given(programs())
def test_eager_and_jit_agree_on_values_and_gradients(program):
    shapes, steps, seed = program
    fn, args = build(shapes, steps), inputs(shapes, seed)
    snapshot = [a.copy() for a in args]
    value_and_grads = tj.value_and_grad(fn, tuple(range(len(args))))
    eager_value, eager_grads = value_and_grads(*args)
    jitted = tj.jit(value_and_grads)
    jit_value, jit_grads = _jit_kernels_as_python(jitted, args)
    np.testing.assert_allclose(float(jit_value), float(eager_value), rtol=1e-12, atol=1e-12)
    for g, ge, a in zip(jit_grads, eager_grads, args):
        assert g.shape == a.shape and g.dtype == a.dtype
        np.testing.assert_allclose(g.numpy(), ge.numpy(), rtol=1e-11, atol=1e-12)
    for a, s in zip(args, snapshot):
        np.testing.assert_array_equal(a, s)  # inputs untouched
    owners = [g._value for g in jit_grads if isinstance(g._value, np.ndarray)]
    assert not any(np.shares_memory(p, q) for i, p in enumerate(owners) for q in owners[:i])
    _jit_kernels_as_python(jitted, args)
    assert jitted.cache_info().misses == 1  # a second call does not retrace


@settings(max_examples=200, **COMMON)
@given(programs())
def test_derivatives_match_finite_differences(program):
    shapes, steps, seed = program
    tj.testing.check_grads(build(shapes, steps), inputs(shapes, seed), order=1, seed=seed,
                           rtol=1e-5)


@settings(max_examples=200, **COMMON)
@given(programs())
def test_every_pass_keeps_the_program_valid(program):
    shapes, steps, seed = program
    fn = build(shapes, steps)
    lower_programs(tj.grad(fn, tuple(range(len(shapes)))), inputs(shapes, seed))  # verifies


COMPILED_OPS = tuple(sorted(set(OPS) - {"while_unbounded"}))
"""The ops of the programs Numba compiles here: the gradient of an unbounded while_loop nests
loops three deep and takes Numba seconds, so it is compiled by its own tests
(test_control_flow, test_first_tier) and by the op table, not in every random example."""


@settings(max_examples=8, **COMMON)  # and 3 more in test_first_tier
@given(programs(max_ops=8, ops=COMPILED_OPS))
def test_numba_compiled_programs_agree_with_eager(program):
    shapes, steps, seed = program
    fn, args = build(shapes, steps), inputs(shapes, seed)
    value_and_grads = tj.value_and_grad(fn, tuple(range(len(args))))
    (value, grads), (value_e, grads_e) = tj.jit(value_and_grads)(*args), value_and_grads(*args)
    np.testing.assert_allclose(float(value), float(value_e), rtol=1e-12, atol=1e-12)
    for g, ge in zip(grads, grads_e):
        np.testing.assert_allclose(g.numpy(), ge.numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=200, **COMMON)
@given(programs(max_ops=30))
def test_long_programs_compiled_with_numba(program):
    test_numba_compiled_programs_agree_with_eager.hypothesis.inner_test(program)
