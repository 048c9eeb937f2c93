"""A Hypothesis state machine drives tapes (watch, ops, gradient, persistent tapes, Variable
assigns, nested tapes, jitted calls) and checks every gradient against a naive reference:
each value carries a Python function of the sources, differentiated by finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import tapejit as tj

UNARY = {
    "sin": (tj.math.sin, math.sin),
    "tanh": (tj.math.tanh, math.tanh),
    "square": (lambda a: a * a, lambda a: a * a),
    "softplus": (tj.nn.softplus, lambda a: math.log1p(math.exp(a))),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
}
JITTED = tj.jit(lambda a: a * a + tj.math.sin(a))


class TapeMachine(RuleBasedStateMachine):
    """Sources: a trainable Variable `v` and constants `c_k`. Each recorded value is a tensor
    plus `ref(env)`, a float function of the sources' values (`env` maps names to floats),
    so its true gradient is a finite difference of `ref`. A Variable's gradient sums over all
    its reads (state stops gradients, but every read is the variable), so perturbing "v"
    shifts every read by the same amount."""

    @initialize(start=st.floats(-1.5, 1.5))
    def setup(self, start):
        self.v = tj.Variable(np.float64(start), name="v")
        self.env = {"v": start}  # "v" perturbs every read of the variable alike
        self.anchor = self.current = start
        self.constants = {}
        self.values = []            # (tensor, ref, recorded-by-tape?)
        self.tape = None
        self.persistent = False
        self.gradients_taken = 0
        self.watched = set()

    # --- recording -------------------------------------------------------------------------

    @precondition(lambda self: self.tape is None)
    @rule(persistent=st.booleans())
    def open_tape(self, persistent):
        self.tape = tj.GradientTape(persistent=persistent)
        self.tape.__enter__()
        self.persistent, self.gradients_taken, self.values, self.watched = persistent, 0, [], set()

    @precondition(lambda self: self.tape is not None)
    @rule(value=st.floats(-1.5, 1.5), watch=st.booleans())
    def new_constant(self, value, watch):
        name = f"c{len(self.constants)}"
        tensor = tj.constant(np.float64(value))
        self.constants[name] = tensor
        self.env[name] = value
        if watch:
            self.tape.watch(tensor)
            self.watched.add(name)
        self.values.append((tensor, lambda env, n=name: env[n]))

    @precondition(lambda self: self.tape is not None)
    @rule()
    def read_variable(self):
        read, anchor = self.current, self.anchor
        self.values.append((self.v * 1.0, lambda env: read + (env["v"] - anchor)))

    @precondition(lambda self: self.tape is not None and self.values)
    @rule(op=st.sampled_from(sorted(UNARY)), i=st.integers(0, 100))
    def unary(self, op, i):
        tensor, ref = self.values[i % len(self.values)]
        fn, ref_fn = UNARY[op]
        self.values.append((fn(tensor), lambda env: ref_fn(ref(env))))

    @precondition(lambda self: self.tape is not None and self.values)
    @rule(op=st.sampled_from(sorted(BINARY)), i=st.integers(0, 100), j=st.integers(0, 100))
    def binary(self, op, i, j):
        (a, ra), (b, rb) = self.values[i % len(self.values)], self.values[j % len(self.values)]
        fn, ref_fn = BINARY[op]
        self.values.append((fn(a, b), lambda env: ref_fn(ra(env), rb(env))))

    @precondition(lambda self: self.tape is not None and self.values)
    @rule(i=st.integers(0, 100))
    def jitted_call(self, i):
        tensor, ref = self.values[i % len(self.values)]
        self.values.append((JITTED(tensor), lambda env: ref(env) ** 2 + math.sin(ref(env))))

    @precondition(lambda self: self.tape is not None and self.values)
    @rule(i=st.integers(0, 100))
    def nested_tape_derivative(self, i):
        """d/dv of a value computed inside an inner tape, itself recorded by the outer one."""
        tensor, ref = self.values[i % len(self.values)]
        with tj.GradientTape() as inner:
            inner_value = tensor * self.v
        d = inner.gradient(inner_value, self.v)
        if d is not None:
            self.values.append((d + 0.0, lambda env: ref(env)))

    @precondition(lambda self: self.tape is not None)
    @rule(value=st.floats(-1.5, 1.5))
    def assign_variable(self, value):
        """State stops gradients: later reads see `value` as the variable's current value."""
        self.v.assign(np.float64(value))
        self.current = value

    # --- differentiation -------------------------------------------------------------------

    @precondition(lambda self: self.tape is not None and self.values)
    @rule(i=st.integers(0, 100))
    def gradient(self, i):
        tensor, ref = self.values[-1 - i % min(3, len(self.values))]  # recent: most ops behind
        if not self.persistent and self.gradients_taken:
            with pytest.raises(tj.TapeError):
                self.tape.gradient(tensor, self.v)
            return
        sources = ["v"] + sorted(self.constants)
        grads = self.tape.gradient(
            tensor, [self.v] + [self.constants[n] for n in sources[1:]],
            unconnected_gradients=tj.UnconnectedGradients.ZERO)
        self.gradients_taken += 1
        for name, g in zip(sources, grads):
            want = _finite_difference(ref, self.env, name)
            if name != "v" and name not in self.watched:
                want = 0.0  # unwatched constants get no gradient
            assert abs(float(g) - want) <= 1e-5 * max(1.0, abs(want)), (name, float(g), want)

    @precondition(lambda self: self.tape is not None)
    @rule()
    def close_tape(self):
        self.tape.__exit__(None, None, None)
        self.tape = None

    @invariant()
    def stacks_hold_at_most_this_tape(self):
        from tapejit.state import STATE

        assert STATE.traces == []
        assert STATE.tapes == ([] if self.tape is None or self.tape not in STATE.tapes
                               else [self.tape])

    def teardown(self):
        if self.tape is not None:
            self.tape.__exit__(None, None, None)


def _finite_difference(ref, env, name, eps=1e-6):
    plus, minus = dict(env), dict(env)
    plus[name] += eps
    minus[name] -= eps
    return (ref(plus) - ref(minus)) / (2 * eps)


TapeMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=30, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck))
test_tapes_against_a_naive_reference = TapeMachine.TestCase
