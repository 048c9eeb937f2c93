"""Regressions at special points: x**0 at 0, logaddexp (values as NumPy's, smooth derivatives
of every order), logaddexp2, reduce_logsumexp at ties and -inf, pow's mixed derivative at
y = 0, a conversion that overflows. The op table's special points (tests/optable_special.py)
check every primitive to order 2."""

import numpy as np
import pytest
from scipy.special import expit, logsumexp

import tapejit as tj
import tapejit.numpy as tnp

INF = np.inf
EAGER_AND_JIT = pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
VALUES = np.array([-INF, -1e308, -1000.0, -40.0, -1.0, -0.0, 0.0, 0.4, 1.0, 40.0, 745.0,
                   1000.0, 1e308, INF, np.nan])


def _maybe_jit(fn, jit):
    return tj.jit(fn) if jit else fn


def _grid(dtype):
    a, b = np.meshgrid(VALUES, VALUES, indexing="ij")
    return a.ravel().astype(dtype), b.ravel().astype(dtype)


@EAGER_AND_JIT
def test_second_derivative_of_x_to_the_zero_at_zero_is_zero(jit):
    second = _maybe_jit(tj.grad(tj.grad(lambda x: x ** 0.0)), jit)
    assert float(second(0.0)) == 0.0
    assert float(second(np.float64(0.0))) == 0.0


@EAGER_AND_JIT
def test_pow_mixed_second_derivative_at_exponent_zero(jit):
    """d2/dxdy x**y = x**(y-1) (1 + y log x): 1/x at y = 0, from either order."""
    f = lambda x, y: x ** y
    for x in (1.0, 2.0, 0.5):
        args = (np.float64(x), np.float64(0.0))
        for first, then in ((0, 1), (1, 0)):
            mixed = _maybe_jit(tj.grad(tj.grad(f, first), then), jit)(*args)
            np.testing.assert_allclose(float(mixed), 1 / x, rtol=1e-14)


@EAGER_AND_JIT
def test_logaddexp_second_derivative_at_a_tie(jit):
    second = _maybe_jit(tj.grad(tj.grad(lambda a: tnp.logaddexp(a, 0.4))), jit)
    assert float(second(0.4)) == 0.25
    hessian = _maybe_jit(tj.hessian(lambda x: tnp.logaddexp(x[0], x[1])), jit)
    np.testing.assert_array_equal(hessian(np.array([0.4, 0.4])).numpy(),
                                  [[0.25, -0.25], [-0.25, 0.25]])


@EAGER_AND_JIT
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp_values_are_numpys(dtype, jit):
    a, b = _grid(dtype)
    got = _maybe_jit(tnp.logaddexp, jit)(a, b).numpy()
    with np.errstate(all="ignore"):
        expected = np.logaddexp(a, b)
    assert got.dtype == dtype
    if jit:   # vectorized exp/log1p, within a few ulp
        np.testing.assert_allclose(got, expected, rtol=8 * np.finfo(dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(got, expected)
    assert float(tnp.logaddexp(-INF, -INF)) == -INF
    assert float(tnp.logaddexp(INF, INF)) == INF


def _sigmoid_derivatives(d):
    """d^k/da^k logaddexp(a, b) for k = 1..4, with s = sigmoid(a - b)."""
    s = expit(d)
    return [s, s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s)]


@EAGER_AND_JIT
def test_logaddexp_derivatives_of_every_order_are_smooth(jit):
    b = 0.4
    fns = [lambda a: tnp.logaddexp(a, b)]
    for _ in range(4):
        fns.append(tj.grad(fns[-1]))
    for d in (0.0, 1.0, -3.0, 30.0, -30.0):
        a = np.float64(b + d)
        expected = _sigmoid_derivatives(np.float64(a) - b)
        for order in range(1, 5):
            got = float(_maybe_jit(fns[order], jit)(a))
            np.testing.assert_allclose(got, expected[order - 1], rtol=1e-9, atol=1e-15,
                                       err_msg=f"order {order} at a - b = {d}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp_gradients_are_finite_where_numpys_value_is(dtype):
    a, b = _grid(dtype)
    with np.errstate(all="ignore"):
        finite = np.isfinite(np.logaddexp(a, b))
    a, b = a[finite], b[finite]
    grads = tj.grad(lambda x, y: tj.reduce_sum(tnp.logaddexp(x, y)), (0, 1))(a, b)
    seconds = [tj.grad(lambda x, y, i=i: tj.reduce_sum(
        tj.grad(lambda u, v: tj.reduce_sum(tnp.logaddexp(u, v)), i)(x, y)), (0, 1))(a, b)
        for i in (0, 1)]
    for g in [*grads, *seconds[0], *seconds[1]]:
        assert np.all(np.isfinite(g.numpy()))
    with np.errstate(all="ignore"):
        weight = expit(a - b)
    np.testing.assert_allclose(grads[0].numpy(), weight, rtol=4 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)


def test_logaddexp_gradient_is_zero_at_equal_infinities():
    for x in (-INF, INF):
        grads = tj.grad(tnp.logaddexp, (0, 1))(np.float64(x), np.float64(x))
        assert [float(g) for g in grads] == [0.0, 0.0]


@EAGER_AND_JIT
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp2_values_and_derivatives(dtype, jit):
    a, b = _grid(dtype)
    got = _maybe_jit(tnp.logaddexp2, jit)(a, b).numpy()
    with np.errstate(all="ignore"):
        expected = np.logaddexp2(a, b)
    assert got.dtype == dtype
    # through logaddexp of x·log(2): the scaling costs about |x1 - x2| ulp in the far tail
    # (logaddexp2(-1000, 0) = 1.3e-301 to 1e-13)
    np.testing.assert_allclose(got, expected, rtol={np.float32: 1e-5, np.float64: 1e-12}[dtype],
                               atol=0)
    second = _maybe_jit(tj.grad(tj.grad(lambda x: tnp.logaddexp2(x, dtype(3.0)))), jit)
    np.testing.assert_allclose(float(second(dtype(3.0))), np.log(2.0) / 4,
                               rtol=4 * np.finfo(dtype).eps)


@EAGER_AND_JIT
def test_reduce_logsumexp_at_ties_and_minus_infinity(jit):
    f = tj.math.reduce_logsumexp
    value_and_grad = _maybe_jit(tj.value_and_grad(f), jit)
    hessian = _maybe_jit(tj.hessian(f), jit)
    for x in ([0.4, 0.4], [0.0, -INF], [-INF, -INF], [-INF, 3.0, 3.0]):
        x = np.array(x)
        value, grad = value_and_grad(x)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(float(value), logsumexp(x), rtol=1e-15)
            p = np.nan_to_num(np.exp(x - logsumexp(x))) if np.isfinite(logsumexp(x)) \
                else np.zeros_like(x)
        np.testing.assert_allclose(grad.numpy(), p, rtol=1e-15, atol=0)
        np.testing.assert_allclose(hessian(x).numpy(), np.diag(p) - np.outer(p, p),
                                   rtol=1e-15, atol=1e-300)


def test_reduce_logsumexp_keeps_nan_and_inf():
    assert np.isnan(float(tj.math.reduce_logsumexp(np.array([np.nan, 0.0]))))
    assert float(tj.math.reduce_logsumexp(np.array([INF, 0.0]))) == INF
    rows = tj.math.reduce_logsumexp(np.array([[-INF, -INF], [0.0, 0.0]]), axis=1)
    np.testing.assert_array_equal(rows.numpy(), [-INF, np.log(2.0)])


@EAGER_AND_JIT
def test_conversion_that_overflows_has_derivative_one(jit):
    to_f32 = lambda x: tj.cast(x, tj.float32)
    grad = _maybe_jit(tj.grad(to_f32), jit)
    second = _maybe_jit(tj.grad(lambda x: tj.grad(to_f32)(x) * 1.0), jit)
    for x in (1e300, 1e-300):
        assert float(grad(np.float64(x))) == 1.0
        assert float(second(np.float64(x))) == 0.0


def test_reduce_logsumexp_gradient_runs_in_the_interpreter():
    """Its jitted gradient has fused groups of one output, which the NumPy interpreter (the
    first answer of a background compile) runs too."""
    from tapejit.backend.executable import interpreted

    f = tj.jit(tj.value_and_grad(lambda x: tj.reduce_sum(tj.math.reduce_logsumexp(x, 1))))
    x = np.array([[0.4, 0.4, -INF], [-INF, -INF, -INF], [1.0, 2.0, 3.0]])
    program = f.lower(x).fused
    assert any(len(e.outputs) == 1 for e in program.eqns if e.prim.name == "fused")
    value, grad = f(x)
    got = interpreted(program, "test")([x])
    np.testing.assert_allclose(got[0], value.numpy(), rtol=1e-14)
    np.testing.assert_allclose(got[1], grad.numpy(), rtol=1e-14)
