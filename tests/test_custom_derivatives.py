"""Derivatives of the user's choosing (tj.custom_jvp, tj.custom_vjp, tj.custom_gradient) and
rematerialization (tj.checkpoint, tj.recompute_grad), eagerly, on tapes and under jit."""

import numpy as np
import pytest

import tapejit as tj

f64 = np.float64


@tj.custom_jvp
def safe_norm(x):
    return tj.math.sqrt(tj.reduce_sum(x * x))


@safe_norm.defjvp
def _safe_norm_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    norm = safe_norm(x)
    safe = tj.where(norm > 0, norm, 1.0)
    return norm, tj.where(norm > 0, tj.reduce_sum(x * t) / safe, 0.0)


def test_custom_jvp_rule_is_used_by_both_modes_and_under_jit():
    zero = np.zeros(3)
    # the plain formula's derivative at 0 is 0/0 = NaN; the rule says 0
    for grad in (tj.grad(safe_norm), tj.jit(tj.grad(safe_norm))):
        np.testing.assert_array_equal(np.asarray(grad(zero if grad is not tj.grad else
                                                      tj.constant(zero))), zero)
    x = np.array([3.0, 4.0, 0.0])
    np.testing.assert_allclose(tj.jit(tj.grad(safe_norm))(x).numpy(), x / 5.0)
    _, tangent = tj.jvp(safe_norm, (x,), (np.array([1.0, 0.0, 0.0]),))
    assert float(tangent) == pytest.approx(0.6)


def test_defjvps_and_nondiff_argnums():
    @tj.custom_jvp
    def scaled_exp(x, y):
        return tj.math.exp(x) * y
    scaled_exp.defjvps(lambda tx, out, x, y: out * tx, lambda ty, out, x, y: tj.math.exp(x) * ty)
    g = tj.grad(lambda x, y: scaled_exp(x, y), (0, 1))(tj.constant(0.5, tj.float64),
                                                        tj.constant(2.0, tj.float64))
    assert float(g[0]) == pytest.approx(2 * np.exp(0.5)) and float(g[1]) == pytest.approx(
        np.exp(0.5))

    @tj.custom_jvp
    def power(n, x):
        return x ** n

    power.nondiff_argnums = (0,)

    @power.defjvp
    def _power_jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return x ** n, n * x ** (n - 1) * t

    assert float(tj.jit(tj.grad(lambda x: power(3, x)))(f64(2.0))) == 12.0


def clip_gradient(lo, hi, x):
    """JAX's custom_vjp example: the identity, whose gradient is clipped."""
    return x


clip_gradient = tj.custom_vjp(clip_gradient, nondiff_argnums=(0, 1))
clip_gradient.defvjp(lambda lo, hi, x: (x, None),
                     lambda lo, hi, _, g: (tj.clip_by_value(g, lo, hi),))


def test_custom_vjp_replaces_the_gradient_eagerly_and_under_jit():
    def loss(x):
        return tj.reduce_sum(clip_gradient(-0.5, 0.5, x) * 10.0)
    x = np.array([1.0, -2.0])
    np.testing.assert_array_equal(tj.grad(loss)(tj.constant(x)).numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(tj.jit(tj.grad(loss))(x).numpy(), [0.5, 0.5])
    with tj.GradientTape() as tape:
        v = tj.constant(x)
        tape.watch(v)
        y = loss(v)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [0.5, 0.5])
    assert float(loss(tj.constant(x))) == -10.0


def test_custom_vjp_refuses_forward_mode_as_jax_does():
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        tj.jvp(lambda x: clip_gradient(-1.0, 1.0, x), (np.ones(2),), (np.ones(2),))


def test_custom_gradient_follows_the_tensorflow_example():
    @tj.custom_gradient
    def log1pexp(x):
        e = tj.math.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return tj.math.log(1 + e), grad

    x = tj.constant(100.0, tj.float64)
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert float(y) == 100.0 and float(tape.gradient(y, x)) == 1.0
    assert float(tj.jit(tj.grad(log1pexp))(f64(100.0))) == 1.0
    assert float(tj.grad(log1pexp)(tj.constant(0.0, tj.float64))) == 0.5


def test_custom_gradient_with_variables():
    v = tj.Variable(f64(2.0), name="scale")

    @tj.custom_gradient
    def scale(x):
        def grad(upstream, variables=None):
            assert len(variables) == 1 and variables[0] is v
            return upstream * v, [upstream * x * 3.0]
        return x * v, grad

    with tj.GradientTape() as tape:
        out = scale(tj.constant(5.0, tj.float64))
    assert float(tape.gradient(out, v)) == 15.0

    @tj.custom_gradient
    def no_variables_arg(x):
        return x * v, lambda up: up

    with tj.GradientTape(), pytest.raises(TypeError, match="must accept a keyword argument"):
        no_variables_arg(tj.constant(1.0, tj.float64))


def _chain(x, w):
    for _ in range(100):
        x = tj.math.tanh(x * w)
    return x


def test_checkpoint_stores_only_its_operands_on_a_100_layer_chain():
    w = tj.constant(np.full(64, 0.9))
    x = tj.constant(np.linspace(-1, 1, 64))
    reports, grads = [], []
    for fn in (_chain, tj.checkpoint(_chain), tj.recompute_grad(_chain)):
        with tj.GradientTape(persistent=True) as tape:
            tape.watch(w)
            loss = tj.reduce_sum(fn(x, w))
        reports.append(tape.residuals())
        grads.append(tape.gradient(loss, w).numpy())
    plain, remat, _ = reports
    assert plain.count >= 200 and remat.count <= 3
    assert remat.nbytes * 50 < plain.nbytes
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)
    np.testing.assert_allclose(grads[2], grads[0], rtol=1e-12)
    jitted = tj.jit(tj.grad(lambda w: tj.reduce_sum(tj.checkpoint(_chain)(x, w))))
    np.testing.assert_allclose(jitted(w.numpy()).numpy(), grads[0], rtol=1e-12)


def test_checkpoint_differentiates_values_it_closes_over():
    w = tj.constant(np.array([0.3, -0.7]))
    block = tj.checkpoint(lambda x: tj.math.sin(x * w))
    with tj.GradientTape() as tape:
        tape.watch(w)
        y = tj.reduce_sum(block(tj.constant(np.array([1.0, 2.0]))))
    np.testing.assert_allclose(tape.gradient(y, w).numpy(),
                               np.cos(np.array([0.3, -1.4])) * np.array([1.0, 2.0]))


def _scaled_sin(kind):
    """outer(c, x) = sum(f(x)) with a custom-rule f that closes over c."""
    def outer(c, x):
        if kind == "jvp":
            f = tj.custom_jvp(lambda v: tj.math.sin(v) * c)
            f.defjvp(lambda p, t: (f(p[0]), tj.math.cos(p[0]) * c * t[0]))
        else:
            f = tj.custom_vjp(lambda v: tj.math.sin(v) * c)
            f.defvjp(lambda v: (f(v), v), lambda v, g: (tj.math.cos(v) * c * g,))
        return tj.reduce_sum(f(x))
    return outer


C, X = np.array([1.5, 2.0]), np.array([0.3, 0.4])


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
def test_differentiating_a_value_a_custom_rule_closes_over_is_an_error_not_a_zero(kind):
    outer = _scaled_sin(kind)
    calls = {"eager": lambda: tj.grad(outer, (0, 1))(tj.constant(C), tj.constant(X)),
             "jit": lambda: tj.jit(tj.grad(outer, (0, 1)))(C, X)}
    for call in calls.values():
        with pytest.raises(TypeError, match=f"custom_{kind}: .*closes over.*float64\\[2\\]"):
            call()
    c = tj.Variable(C)
    with tj.GradientTape() as tape:
        y = outer(c, tj.constant(X))
    with pytest.raises(TypeError, match="pass that value to the function as an argument"):
        tape.gradient(y, c)


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
def test_a_custom_rule_may_close_over_values_that_are_not_differentiated(kind):
    outer = _scaled_sin(kind)
    want = np.cos(X) * C
    np.testing.assert_allclose(tj.jit(tj.grad(outer, 1))(C, X).numpy(), want)
    np.testing.assert_allclose(tj.grad(outer, 1)(tj.constant(C), tj.constant(X)).numpy(), want)


def test_custom_gradient_gives_closed_over_tensors_no_gradient_as_tensorflow():
    c, x = tj.constant(C), tj.constant(X)

    @tj.custom_gradient
    def f(v):
        return tj.math.sin(v) * c, lambda up: up * tj.math.cos(v) * c

    with tj.GradientTape() as tape:
        tape.watch([c, x])
        y = tj.reduce_sum(f(x))
    grad_c, grad_x = tape.gradient(y, [c, x])
    assert grad_c is None
    np.testing.assert_allclose(grad_x.numpy(), np.cos(X) * C)
