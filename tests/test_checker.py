"""Test the tester: check_grads and check_transpose catch wrong rules."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.ir import Primitive
from tapejit.primitives.base import binary, unary
from tapejit.primitives.broadcast import sum_to_shape
from tapejit.primitives.jvp import defjvp
from tapejit.trace import bind

X = np.linspace(0.3, 1.7, 6).reshape(2, 3)


def test_a_vjp_scaled_by_1_001_is_caught():
    scaled = unary("scaled_sin", np.sin, defjvp(lambda t, x, out: t * tj.ops.cos(x) * 1.001))
    with pytest.raises(AssertionError, match="relative error"):
        tj.testing.check_grads(lambda x: bind(scaled, x), (X,), order=1)


def _broadcast_add(transpose):
    """A linear add whose JVP applies itself to the tangents, so its transpose is used."""
    def jvp(primals, tangents, out):
        tx, ty = (tj.ops.full_like(p, 0) if t is None else t for p, t in zip(primals, tangents))
        return bind(prim, tx, ty)
    prim = binary("bcast_add", np.add, jvp, transpose=transpose)
    return prim


def test_a_transpose_that_skips_the_broadcast_reduction_is_caught():
    def skipping(ct, x, y):  # forgets to sum the cotangent back to y's shape
        return ct, tj.ops.reshape(ct[:1], y.shape) if y.shape != ct.shape else ct
    bad = _broadcast_add(skipping)
    y = np.array([[0.5, 0.25, 2.0]])
    with pytest.raises(AssertionError):
        tj.testing.check_grads(lambda x, y: bind(bad, x, y), (X, y), modes=("rev",))


def test_a_dropped_cotangent_is_caught():
    dropping = _broadcast_add(lambda ct, x, y: (sum_to_shape(ct, x.shape), None))
    with pytest.raises(AssertionError):
        tj.testing.check_grads(lambda x, y: bind(dropping, x, y), (X, X), modes=("rev",))


def test_the_correct_rule_passes():
    good = _broadcast_add(lambda ct, x, y: (sum_to_shape(ct, x.shape), sum_to_shape(ct, y.shape)))
    y = np.array([[0.5, 0.25, 2.0]])
    assert tj.testing.check_grads(lambda x, y: bind(good, x, y), (X, y)) < 1e-6
    assert isinstance(good, Primitive)
