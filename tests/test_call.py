"""A jitted function called under a tape or inside another trace is one `call` equation:
tapes record it as one op, gradients flow through it, the optimizer inlines it."""

import numpy as np

import tapejit as tj


@tj.jit
def layer(x, w):
    return tj.math.tanh(x @ w)


X, W = np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0.1, 0.9, 9).reshape(3, 3)


def _plain(x, w):
    return tj.reduce_sum(tj.math.tanh(tj.math.tanh(x @ w) @ w))


def test_a_tape_records_a_jitted_function_as_one_op_with_its_gradient():
    w = tj.Variable(W)
    with tj.GradientTape() as tape:
        y = tj.reduce_sum(layer(layer(tj.constant(X), w), w))
    names = [e.prim.name for e in tape.lower(y, [w]).forward.eqns]
    assert names.count("call") == 2 and "tanh" not in names
    grad = tape.gradient(y, w)
    with tj.GradientTape() as plain:
        z = _plain(tj.constant(X), w)
    expected = plain.gradient(z, w)
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-13)


def test_jit_inside_jit_is_one_call_then_inlined():
    outer = tj.jit(lambda x, w: tj.reduce_sum(layer(layer(x, w), w)))
    traced = tj.make_ir(outer)(X, W)
    assert [e.prim.name for e in traced.eqns] == ["call"]
    lowered = outer.lower(X, W)
    assert "call" not in str(lowered.fused)
    np.testing.assert_allclose(outer(X, W).numpy(), _plain(tj.constant(X), tj.constant(W)).numpy(),
                               rtol=1e-13)
    grad = tj.jit(tj.grad(outer, 1))(X, W)
    assert grad.shape == (3, 3)
    np.testing.assert_allclose(grad.numpy(), tj.grad(_plain, 1)(tj.constant(X),
                                                               tj.constant(W)).numpy(),
                               rtol=1e-12)


def test_a_jitted_function_assigning_a_variable_under_a_tape():
    v = tj.Variable(1.0)

    @tj.jit
    def bump(x):
        v.assign(v + 1.0)
        return x * v

    x = tj.constant(2.0)
    with tj.GradientTape() as tape:
        tape.watch(x)
        out = bump(x)
    assert float(out) == 4.0 and float(v.numpy()) == 2.0
    assert float(tape.gradient(out, x)) == 2.0
