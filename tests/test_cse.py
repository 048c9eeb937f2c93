"""Common-subexpression elimination over symbolic shapes (passes/cse.py, passes/dims.py)."""

from __future__ import annotations

import numpy as np

import tapejit as tj


def _count(program, name: str) -> int:
    return sum(eqn.prim.name == name for eqn in program.eqns)


def _value_and_gradient(f):
    return lambda a: (f(a), tj.grad(f)(a))


def test_the_value_and_its_gradient_factorize_once():
    """The value's svd (or slogdet) and the gradient's are one equation: a primitive with no
    shape rule still has outputs of the same symbolic shapes for the same operands (the
    op table's jit tests run such programs, tests/test_jit.py)."""
    a = np.random.default_rng(0).normal(size=(2, 4, 3))

    def singular(a):
        return tj.reduce_sum(tj.math.sin(tj.linalg.svd(a, full_matrices=False)[1]))

    def logdet(a):
        return tj.reduce_sum(tj.linalg.slogdet(a)[1])

    square = a[:, :3, :] + 3 * np.eye(3)
    for f, x, name in ((singular, a, "svd"), (logdet, square, "slogdet")):
        lowered = tj.jit(_value_and_gradient(f)).lower(x)
        assert _count(lowered.traced, name) == 2
        assert _count(lowered.optimized, name) == 1


def test_factorizations_of_different_operands_stay_apart():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    lowered = tj.jit(lambda a, b: (tj.linalg.svd(a)[1], tj.linalg.svd(b)[1])).lower(a, b)
    assert _count(lowered.optimized, "svd") == 2
