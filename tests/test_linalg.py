"""tapejit.numpy.linalg and tj.linalg against NumPy, SciPy and TensorFlow's documented
semantics: values (batched, 1x1, float32 and float64, ill-conditioned), compiled kernels
against eager results, derivatives against finite differences (eagerly and compiled, to
order 2), and the errors and NaNs of matrices LAPACK rejects."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import tapejit as tj
import tapejit.numpy as tnp
from tapejit import tree

RNG = np.random.default_rng(20261124)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def well(*shape, dtype=np.float64, c=4.0):
    """A general matrix stack made well conditioned by c on its diagonal."""
    x = RNG.uniform(-1, 1, shape)
    k = min(shape[-2:])
    x[..., range(k), range(k)] += c * (1 + np.arange(k))
    return x.astype(dtype)


def spd(*shape, dtype=np.float64):
    x = RNG.standard_normal(shape)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def ill(n, cond=1e10):
    """A matrix with condition number `cond`."""
    u, _ = np.linalg.qr(rand(n, n))
    v, _ = np.linalg.qr(rand(n, n))
    return (u * np.logspace(0, -np.log10(cond), n)) @ v.T


def numpy_leaves(value):
    return [np.asarray(x.numpy() if hasattr(x, "numpy") else x) for x in tree.leaves(value)]


def assert_close(got, want, rtol, what=""):
    got, want = numpy_leaves(got), numpy_leaves(want)
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, w.shape, g.dtype, w.dtype)
        scale = max(float(np.max(np.abs(w), initial=0.0)), 1e-300)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=what)


def up(x):
    return np.swapaxes(x, -1, -2)


# name: (tapejit function, NumPy function, argument builder(batch, n, dtype))
FUNCTIONS = {
    "cholesky": (tnp.linalg.cholesky, np.linalg.cholesky, lambda b, n, d: [spd(*b, n, n, dtype=d)]),
    "cholesky_upper": (lambda a: tnp.linalg.cholesky(a, upper=True),
                       lambda a: up(np.linalg.cholesky(up(a))),
                       lambda b, n, d: [spd(*b, n, n, dtype=d)]),
    "det": (tnp.linalg.det, np.linalg.det, lambda b, n, d: [well(*b, n, n, dtype=d)]),
    "slogdet": (tnp.linalg.slogdet, np.linalg.slogdet,
                lambda b, n, d: [well(*b, n, n, dtype=d, c=-2.0)]),
    "inv": (tnp.linalg.inv, np.linalg.inv, lambda b, n, d: [well(*b, n, n, dtype=d)]),
    "solve_vector": (tnp.linalg.solve, np.linalg.solve,
                     lambda b, n, d: [well(*b, n, n, dtype=d), rand(n, dtype=d)]),
    "solve_matrices": (tnp.linalg.solve, np.linalg.solve,
                       lambda b, n, d: [well(n, n, dtype=d), rand(*b, n, 2, dtype=d)]),
    "qr": (tnp.linalg.qr, np.linalg.qr, lambda b, n, d: [well(*b, n + 2, n, dtype=d)]),
    "qr_wide": (tnp.linalg.qr, np.linalg.qr, lambda b, n, d: [well(*b, n, n + 2, dtype=d)]),
    "qr_r": (lambda a: tnp.linalg.qr(a, "r"), lambda a: np.linalg.qr(a, "r"),
             lambda b, n, d: [well(*b, n + 1, n, dtype=d)]),
    "qr_complete": (lambda a: tnp.linalg.qr(a, "complete"), lambda a: np.linalg.qr(a, "complete"),
                    lambda b, n, d: [well(*b, n + 2, n, dtype=d)]),
    "eigh": (tnp.linalg.eigh, np.linalg.eigh, lambda b, n, d: [well(*b, n, n, dtype=d)]),
    "eigvalsh_upper": (lambda a: tnp.linalg.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"),
                       lambda b, n, d: [well(*b, n, n, dtype=d)]),
    "svd": (tnp.linalg.svd, np.linalg.svd, lambda b, n, d: [well(*b, n + 1, n, dtype=d)]),
    "svd_reduced": (lambda a: tnp.linalg.svd(a, False), lambda a: np.linalg.svd(a, False),
                    lambda b, n, d: [well(*b, n, n + 2, dtype=d)]),
    "svdvals": (tnp.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
                lambda b, n, d: [rand(*b, n + 1, n, dtype=d)]),
    "pinv": (tnp.linalg.pinv, np.linalg.pinv, lambda b, n, d: [rand(*b, n + 1, n, dtype=d)]),
    "pinv_rtol": (lambda a: tnp.linalg.pinv(a, rtol=0.3), lambda a: np.linalg.pinv(a, rtol=0.3),
                  lambda b, n, d: [rand(*b, n, n + 1, dtype=d)]),
    "matrix_power_5": (lambda a: tnp.linalg.matrix_power(a, 5),
                       lambda a: np.linalg.matrix_power(a, 5),
                       lambda b, n, d: [rand(*b, n, n, dtype=d)]),
    "matrix_power_-2": (lambda a: tnp.linalg.matrix_power(a, -2),
                        lambda a: np.linalg.matrix_power(a, -2),
                        lambda b, n, d: [well(*b, n, n, dtype=d)]),
    "matrix_rank": (tnp.linalg.matrix_rank, np.linalg.matrix_rank,
                    lambda b, n, d: [rand(*b, n + 1, 1, dtype=d) * rand(*b, 1, n, dtype=d)]),
    "norm": (tnp.linalg.norm, np.linalg.norm, lambda b, n, d: [rand(*b, n, n, dtype=d)]),
    "norm_nuc": (lambda a: tnp.linalg.norm(a, "nuc", (-2, -1)),
                 lambda a: np.linalg.norm(a, "nuc", (-2, -1)), lambda b, n, d: [rand(*b, n, n,
                                                                                     dtype=d)]),
}

BATCHES = [((), 3), ((2,), 3), ((), 1), ((2, 1), 2)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch,n", BATCHES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_match_numpy(name, batch, n, dtype):
    ours, theirs, build = FUNCTIONS[name]
    args = build(batch, n, dtype)
    # eigh's UPLO='U' and cholesky(upper=True) factor the transpose's lower triangle: the same
    # matrix, so values agree to rounding rather than bit for bit
    exact = dtype == np.float64 and name not in ("det", "eigvalsh_upper", "cholesky_upper",
                                                 "matrix_power_5", "matrix_power_-2", "norm")
    assert_close(ours(*args), theirs(*args), 0 if exact else (1e-12 if dtype == np.float64
                                                              else 2e-5), name)


def _compiled_source(fn, *args) -> str:
    return tj.jit(fn).lower(*args).source


# the op table compiles every primitive's case; these are the user-level paths it does not
# reach (each kernel is compiled separately: LAPACK call sites are slow to compile)
COMPILED = [("qr_r", np.float64), ("qr_complete", np.float64), ("qr_complete", np.float32),
            ("svd", np.float64), ("svd", np.float32), ("slogdet", np.float32),
            ("matrix_power_-2", np.float64), ("matrix_rank", np.float64), ("norm_nuc", np.float32)]


@pytest.mark.parametrize("name,dtype", COMPILED)
def test_compiled_kernels_match_eager(name, dtype):
    ours, _, build = FUNCTIONS[name]
    args = build((2,), 3, dtype)
    source = _compiled_source(ours, *args)
    assert "lapack_" in source and "runs in the NumPy interpreter" not in source
    assert_close(tj.jit(ours)(*args), ours(*args), 1e-12 if dtype == np.float64 else 1e-6, name)


def test_eager_and_compiled_agree_on_vector_signs():
    """Both call the same LAPACK routines in float64: eigenvectors, singular vectors and Q
    come out with the same signs, not merely equal up to sign."""
    a, t = well(3, 5, 5), well(6, 4)
    fn = lambda a, t: (tnp.linalg.eigh(a)[1], tnp.linalg.svd(t)[0], tnp.linalg.qr(t)[0])
    for got, want in zip(tj.jit(fn)(a, t), fn(a, t)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-13)


def test_upper_triangle_variants_are_the_same_factorization():
    a = spd(4, 4)
    u = tnp.linalg.cholesky(a, upper=True).numpy()
    np.testing.assert_allclose(u.T @ u, a, rtol=1e-12)
    np.testing.assert_array_equal(np.triu(u), u)
    w, v = (x.numpy() for x in tnp.linalg.eigh(np.triu(a), UPLO="U"))
    np.testing.assert_allclose((v * w) @ v.T, a, rtol=1e-12, atol=1e-12)


def _backward_error(a, x, b):
    return np.linalg.norm(a @ x - b) / (np.linalg.norm(a) * np.linalg.norm(x))


def test_ill_conditioned_inputs_are_as_accurate_as_numpy():
    """Eagerly NumPy itself computes (bitwise); kernels call SciPy's LAPACK, another build, so
    at condition 1e10 the digits may differ: their backward error must be NumPy's order."""
    a, b = ill(6), rand(6, 2)
    eye = np.eye(6)
    for ours, theirs in [(tnp.linalg.solve, np.linalg.solve), (tnp.linalg.inv, np.linalg.inv)]:
        args = (a, b) if ours is tnp.linalg.solve else (a,)
        np.testing.assert_array_equal(ours(*args).numpy(), theirs(*args))
        got = tj.jit(ours)(*args).numpy()
        rhs = b if ours is tnp.linalg.solve else eye
        theirs_error = _backward_error(a, theirs(*args), rhs)
        assert _backward_error(a, got, rhs) <= 10 * max(theirs_error, np.finfo(float).eps)
    s = tnp.linalg.svdvals(a).numpy()
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-9)
    singular = ill(6, 1e20)
    assert int(tnp.linalg.matrix_rank(singular).numpy()) == np.linalg.matrix_rank(singular)


# --- derivatives -----------------------------------------------------------------------------

def _spread(*shape):
    """A matrix whose eigenvalues and singular values are well apart."""
    return well(*shape, c=4.0)


# name: (function, arguments); well conditioned, distinct eigenvalues and singular values
DIFFERENTIABLE = {
    "cholesky": (tnp.linalg.cholesky, lambda: [spd(2, 3, 3)]),
    "cholesky_upper": (lambda a: tnp.linalg.cholesky(a, upper=True), lambda: [spd(3, 3)]),
    "det": (tnp.linalg.det, lambda: [well(2, 3, 3)]),
    "slogdet": (lambda a: tnp.linalg.slogdet(a).logabsdet, lambda: [well(3, 3, c=-2.0)]),
    "inv": (tnp.linalg.inv, lambda: [well(2, 3, 3)]),
    "solve": (tnp.linalg.solve, lambda: [well(2, 3, 3), rand(3)]),
    "qr_tall": (tnp.linalg.qr, lambda: [well(2, 4, 3)]),
    "qr_wide": (tnp.linalg.qr, lambda: [well(3, 5)]),
    "eigh": (tnp.linalg.eigh, lambda: [_spread(2, 3, 3)]),
    "eigvalsh": (lambda a: tnp.linalg.eigvalsh(a, UPLO="U"), lambda: [_spread(3, 3)]),
    "svd_tall": (lambda a: tnp.linalg.svd(a, full_matrices=False), lambda: [_spread(2, 4, 3)]),
    "svd_wide": (lambda a: tnp.linalg.svd(a, full_matrices=False), lambda: [_spread(3, 5)]),
    "svdvals": (tnp.linalg.svdvals, lambda: [_spread(4, 3)]),
    "pinv": (tnp.linalg.pinv, lambda: [well(2, 4, 3)]),
    "lstsq": (lambda a, b: tnp.linalg.lstsq(a, b)[:2], lambda: [rand(6, 3), rand(6, 2)]),
    "lstsq_vector": (lambda a, b: tnp.linalg.lstsq(a, b)[0], lambda: [rand(3, 5), rand(3)]),
    "matrix_power": (lambda a: tnp.linalg.matrix_power(a, -3), lambda: [well(3, 3)]),
    "multi_dot": (lambda a, b, c, d: tnp.linalg.multi_dot([a, b, c, d]),
                  lambda: [rand(3), rand(3, 5), rand(5, 2), rand(2, 4)]),
    "norm_vector_3": (lambda x: tnp.linalg.norm(x, 3, axis=-1), lambda: [rand(2, 4)]),
    "norm_vector_inf": (lambda x: tnp.linalg.norm(x, np.inf, axis=0), lambda: [rand(5, 2)]),
    "norm_2": (lambda x: tnp.linalg.norm(x, 2, axis=(0, 2)), lambda: [_spread(3, 2, 3)]),
    "norm_nuc_fro": (lambda x: (tnp.linalg.norm(x, "nuc"), tnp.linalg.norm(x)),
                     lambda: [_spread(3, 4)]),
    "norm_matrix_1": (lambda x: tnp.linalg.norm(x, 1, axis=(1, 0), keepdims=True),
                      lambda: [rand(3, 4)]),
    "tf_lstsq": (lambda a, b: tj.linalg.lstsq(a, b, l2_regularizer=0.5),
                 lambda: [rand(2, 5, 3), rand(2, 5, 2)]),
    "tf_lstsq_wide": (lambda a, b: tj.linalg.lstsq(a, b), lambda: [well(3, 5), rand(3, 1)]),
    "tf_cholesky_solve": (lambda a, b: tj.linalg.cholesky_solve(tj.linalg.cholesky(a), b),
                          lambda: [spd(3, 3), rand(2, 3, 2)]),
    "tf_solve_triangular": (lambda a, b: tj.linalg.solve_triangular(a, b, trans="T"),
                            lambda: [well(3, 3), rand(3)]),
    "tf_logdet": (tj.linalg.logdet, lambda: [spd(2, 3, 3)]),
    "tf_svd": (tj.linalg.svd, lambda: [_spread(4, 3)]),
}


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_derivatives_match_finite_differences(name):
    """Forward and reverse mode, to order 2, eagerly."""
    fn, build = DIFFERENTIABLE[name]
    for seed in range(2):
        tj.testing.check_grads(fn, build(), order=2, seed=seed)


def _directional_checks(fn, args, order, seed=1):
    """Compiled forward mode, reverse mode and (order 2) forward over reverse against central
    differences of the eager function along a random direction."""
    rng = np.random.default_rng(seed)
    v = [rng.standard_normal(np.shape(a)) for a in args]
    weights = [rng.standard_normal(x.shape) for x in numpy_leaves(fn(*args))]

    def loss(*xs):
        total = 0.0
        for leaf, w in zip(tree.leaves(fn(*xs)), weights):
            total = total + tj.reduce_sum(leaf * w)
        return total

    argnums = tuple(range(len(args)))
    shifted = lambda eps: [a + eps * d for a, d in zip(args, v)]
    eps = 1e-6
    slope = (float(loss(*shifted(eps)).numpy()) - float(loss(*shifted(-eps)).numpy())) / (2 * eps)
    tangent = tj.jit(lambda xs, vs: tj.jvp(loss, xs, vs)[1])(tuple(args), tuple(v))
    grads = tj.jit(tj.grad(loss, argnums))(*args)
    along = sum(float(np.vdot(g.numpy(), d)) for g, d in zip(grads, v))
    for got in (float(tangent.numpy()), along):
        np.testing.assert_allclose(got, slope, rtol=1e-6, atol=1e-9)
    if order < 2:
        return
    eps = 1e-5
    curvature = [(p.numpy() - m.numpy()) / (2 * eps) for p, m in zip(
        tj.grad(loss, argnums)(*shifted(eps)), tj.grad(loss, argnums)(*shifted(-eps)))]
    hvp = tj.jit(lambda xs, vs: tj.jvp(lambda *ys: tj.grad(loss, argnums)(*ys), xs, vs)[1])(
        tuple(args), tuple(v))
    for got, want in zip(hvp, curvature):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-7 * np.abs(want).max())


# second-order kernels of the spectral factorizations are large and slow to compile: those
# are checked to order 2 eagerly (above) and to order 1 compiled
@pytest.mark.parametrize("name,order", [("cholesky", 2), ("slogdet", 2), ("lstsq", 2),
                                        ("eigh", 1), ("svd_tall", 1), ("qr_wide", 1)])
def test_compiled_derivatives_match_finite_differences(name, order):
    fn, build = DIFFERENTIABLE[name]
    _directional_checks(fn, build(), order)


def test_a_least_squares_fit_differentiated_under_jit():
    """Fit y ≈ a x by least squares, score the fit on held-out data, and differentiate the
    score with respect to the training data, compiled."""
    a, y, a_test, y_test = rand(12, 3), rand(12), rand(5, 3), rand(5)

    def score(a, y):
        x, residuals, rank, s = tnp.linalg.lstsq(a, y)
        return tj.reduce_sum(tj.math.square(tnp.matmul(a_test, x) - y_test)) + residuals[0]

    value, grads = tj.jit(tj.value_and_grad(score, (0, 1)))(a, y)
    x, residuals, _, _ = np.linalg.lstsq(a, y)
    np.testing.assert_allclose(value.numpy(), np.sum((a_test @ x - y_test) ** 2) + residuals[0],
                               rtol=1e-12)
    for index, g in enumerate(grads):
        for k in range(g.numpy().size):
            step = np.zeros(g.numpy().size)
            step[k] = 1e-6
            args = [a, y]
            plus, minus = list(args), list(args)
            plus[index] = args[index] + step.reshape(args[index].shape)
            minus[index] = args[index] - step.reshape(args[index].shape)
            fd = (float(score(*plus).numpy()) - float(score(*minus).numpy())) / 2e-6
            np.testing.assert_allclose(g.numpy().ravel()[k], fd, rtol=1e-5, atol=1e-8)


def test_repeated_eigenvalues_and_singular_values():
    """Values have finite derivatives everywhere (of their sum at the identity: the identity);
    vectors are not unique there and their derivatives are inf or NaN, as documented."""
    eye = np.eye(3)
    g = tj.grad(lambda a: tj.reduce_sum(tnp.linalg.eigvalsh(a)))(eye)
    np.testing.assert_allclose(g.numpy(), eye, atol=1e-15)
    g = tj.grad(lambda a: tj.reduce_sum(tnp.linalg.svdvals(a)))(eye)
    np.testing.assert_allclose(g.numpy(), eye, atol=1e-15)
    w = rand(3, 3)
    for vectors in (lambda a: tnp.linalg.eigh(a)[1], lambda a: tnp.linalg.svd(a)[0]):
        g = tj.grad(lambda a, vectors=vectors: tj.reduce_sum(vectors(a) * w))(eye)
        assert not np.all(np.isfinite(g.numpy()))


def test_derivatives_that_are_not_defined_are_clear_errors():
    tall = well(4, 3)
    for fn in (lambda a: tnp.linalg.qr(a, "complete")[0], lambda a: tnp.linalg.svd(a)[2]):
        with pytest.raises(NotImplementedError) as info:
            tj.grad(lambda a, fn=fn: tj.reduce_sum(fn(a)))(tall)
        assert isinstance(info.value, tj.TapejitError) and "fix:" in str(info.value)
    # their values and the reduced forms' derivatives are fine
    tj.grad(lambda a: tj.reduce_sum(tnp.linalg.svd(a, False)[2]))(tall)


# --- errors and rejected matrices ------------------------------------------------------------

@pytest.mark.parametrize("call,words", [
    (lambda: tnp.linalg.inv(np.ones((2, 3))), "must be square"),
    (lambda: tnp.linalg.det(np.ones(3)), "two-dimensional"),
    (lambda: tnp.linalg.solve(np.zeros((2, 2)), np.ones(2)), "Singular matrix"),
    (lambda: tnp.linalg.inv(np.array([[1.0, 2.0], [2.0, 4.0]])), "Singular matrix"),
    (lambda: tnp.linalg.cholesky(-np.eye(2)), "not positive definite"),
    (lambda: tnp.linalg.cholesky(np.array([[1.0, 0.0], [2.0, 1.0]])), "not positive definite"),
    (lambda: tj.linalg.triangular_solve(np.zeros((2, 2)), np.ones((2, 1))), "singular"),
    (lambda: tnp.linalg.lstsq(np.ones((3, 2)), np.ones(4)), "incompatible dimensions"),
])
def test_bad_matrices_raise_linalg_errors_eagerly(call, words):
    with pytest.raises(np.linalg.LinAlgError) as info:
        call()
    message = str(info.value)
    assert isinstance(info.value, tj.TapejitError) and words in message and "fix:" in message
    assert "test_linalg.py" in message  # names the user's line


def test_rejected_matrices_give_nan_under_jit():
    """A kernel does not raise: the matrices LAPACK rejects get NaN results, the others are
    computed (documented in ir/SPEC.md)."""
    singular = np.stack([well(2, 2), np.zeros((2, 2))])
    x = tj.jit(tnp.linalg.solve)(singular, np.ones((2, 2, 1))).numpy()
    np.testing.assert_allclose(x[0], np.linalg.solve(singular[0], np.ones((2, 1))), rtol=1e-12)
    assert np.all(np.isnan(x[1]))
    assert np.all(np.isnan(tj.jit(tnp.linalg.inv)(singular).numpy()[1]))
    chol = tj.jit(tnp.linalg.cholesky)(np.stack([spd(2, 2), -np.eye(2)])).numpy()
    assert np.all(np.isfinite(chol[0])) and np.all(np.isnan(chol[1]))
    sign, logdet = tj.jit(tnp.linalg.slogdet)(singular)
    assert sign.numpy()[1] == 0 and logdet.numpy()[1] == -np.inf  # as NumPy: no error
    assert tj.jit(tnp.linalg.det)(singular).numpy()[1] == 0
    w, v = tj.jit(tnp.linalg.eigh)(np.full((2, 2), np.nan))
    assert np.all(np.isnan(w.numpy())) and np.all(np.isnan(v.numpy()))


def test_float16_and_non_matrices_are_refused():
    with pytest.raises(TypeError, match="float16"):
        tnp.linalg.inv(np.eye(2, dtype=np.float16))
    with pytest.raises(ValueError, match="UPLO"):
        tnp.linalg.eigh(np.eye(2), UPLO="lower")
    with pytest.raises(ValueError, match="mode"):
        tnp.linalg.qr(np.eye(2), mode="raw")
    with pytest.raises(TypeError, match="integer"):
        tnp.linalg.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="rcond"):
        tnp.linalg.pinv(np.eye(2), rcond=0.1, rtol=0.1)
    with pytest.raises(NotImplementedError, match="hermitian"):
        tnp.linalg.pinv(np.eye(2), hermitian=True)


# --- shapes, dtypes, options -----------------------------------------------------------------

def test_integer_inputs_are_computed_in_float64_and_empty_stacks_work():
    ints = np.array([[2, 1], [1, 3]])
    for fn in (tnp.linalg.inv, tnp.linalg.det, tnp.linalg.cholesky, tnp.linalg.norm,
               tnp.linalg.eigvalsh, tnp.linalg.pinv, tnp.linalg.svdvals):
        assert fn(ints).dtype == np.float64
    assert tnp.linalg.matrix_power(ints, 3).dtype == ints.dtype
    np.testing.assert_array_equal(tnp.linalg.matrix_power(ints, 3).numpy(),
                                  np.linalg.matrix_power(ints, 3))
    np.testing.assert_array_equal(tnp.linalg.matrix_power(ints, 0).numpy(), np.eye(2))
    empty = np.zeros((0, 3, 3))
    for fn in (tnp.linalg.inv, tnp.linalg.det, tnp.linalg.cholesky, tnp.linalg.eigvalsh):
        assert tuple(fn(empty).shape) == np.shape(getattr(np.linalg, fn.__name__)(empty))
        assert tuple(tj.jit(fn)(empty).shape) == tuple(fn(empty).shape)


def test_lstsq_matches_numpy():
    cases = [(rand(6, 3), rand(6, 2)), (rand(6, 3), rand(6)), (rand(3, 5), rand(3, 2)),
             (rand(6, 1) * rand(1, 3), rand(6, 2)), (rand(4, 4), rand(4))]
    for a, b in cases:
        for rcond in (None, 1e-3):
            got, want = tnp.linalg.lstsq(a, b, rcond), np.linalg.lstsq(a, b, rcond)
            assert_close(got[:2], want[:2], 1e-10)
            assert int(got[2].numpy()) == want[2] and got[2].dtype == np.int32
            assert_close(got[3], want[3], 1e-12)
    # under jit the rank is unknown while tracing: a rank-deficient tall a still gets residuals
    a, b = rand(6, 1) * rand(1, 3), rand(6, 2)
    x, residuals, rank, _ = tj.jit(tnp.linalg.lstsq)(a, b)
    assert int(rank.numpy()) == 1 and residuals.shape == (2,)
    np.testing.assert_allclose(x.numpy(), np.linalg.lstsq(a, b)[0], rtol=1e-10, atol=1e-12)


def test_matrix_rank_options():
    low = rand(2, 5, 2) @ rand(2, 2, 4)
    assert_close(tnp.linalg.matrix_rank(low), np.linalg.matrix_rank(low), 0)
    for kw in ({"tol": 1e-3}, {"rtol": 0.5}, {"rtol": np.array([1e-9, 0.9])}):
        assert_close(tnp.linalg.matrix_rank(low, **kw), np.linalg.matrix_rank(low, **kw), 0)
    for v in (np.zeros(3), np.array([0.0, 2.0]), np.float64(0.5)):
        assert int(tnp.linalg.matrix_rank(v).numpy()) == np.linalg.matrix_rank(v)


def test_multi_dot_matches_numpy():
    for shapes in [[(4,), (4, 3), (3,)], [(5, 2), (2, 6), (6, 1), (1, 3)],
                   [(2,), (2, 7), (7, 3), (3, 2), (2, 5)], [(3, 4), (4,)]]:
        arrays = [rand(*s) for s in shapes]
        np.testing.assert_allclose(tnp.linalg.multi_dot(arrays).numpy(),
                                   np.linalg.multi_dot(arrays), rtol=1e-12)


VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1, -2]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def test_norm_matches_numpy():
    x = rand(3, 4, 5)
    x[0, 0, 0] = 0.0
    calls = [dict(ord=o, axis=a, keepdims=k) for o in VECTOR_ORDS for a in (0, -1, (1,))
             for k in (False, True)]
    calls += [dict(ord=o, axis=a, keepdims=k) for o in MATRIX_ORDS
              for a in ((0, 1), (2, 0), (-1, -2)) for k in (False, True)]
    for kw in calls:
        assert_close(tnp.linalg.norm(x, **kw), np.linalg.norm(x, **kw), 1e-12, str(kw))
    for value, ords in [(x[0, 0], VECTOR_ORDS), (x[0], MATRIX_ORDS)]:
        for o in ords:
            assert_close(tnp.linalg.norm(value, o), np.linalg.norm(value, o), 1e-12, str(o))
    assert_close(tnp.linalg.norm(x, keepdims=True), np.linalg.norm(x, keepdims=True), 1e-12)
    assert tnp.linalg.norm(x.astype(np.float32)).dtype == np.float32
    assert tnp.linalg.norm(np.arange(4)).dtype == np.float64
    for bad in [dict(ord="fro", axis=0), dict(ord="bad", axis=(0, 1)), dict(axis=(0, 1, 2)),
                dict(ord=3, axis=(0, 1)), dict(axis=(1, 1))]:
        with pytest.raises(ValueError):
            tnp.linalg.norm(x, **bad)


# --- tj.linalg: TensorFlow's names and conventions, SciPy's solve_triangular -----------------

def test_tf_decompositions_use_tf_output_orders():
    a = _spread(2, 4, 3)
    s, u, v = tj.linalg.svd(a)
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ up(v.numpy()), a,
                               rtol=1e-12, atol=1e-12)
    assert tuple(v.shape) == (2, 3, 3) and tuple(tj.linalg.svd(a, True)[1].shape) == (2, 4, 4)
    np.testing.assert_allclose(tj.linalg.svd(a, compute_uv=False).numpy(), s.numpy(), rtol=1e-12)
    q, r = tj.linalg.qr(a)
    assert tj.linalg.qr(a).q is not None and tuple(tj.linalg.qr(a, True).q.shape) == (2, 4, 4)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, rtol=1e-12, atol=1e-12)
    m = spd(3, 3)
    e, vectors = tj.linalg.eigh(np.tril(m))  # the lower triangle is all it reads
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(m), rtol=1e-12)
    np.testing.assert_allclose((vectors.numpy() * e.numpy()) @ vectors.numpy().T, m, rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.eigvalsh(m).numpy(), e.numpy(), rtol=1e-12)
    sign, logabs = tj.linalg.slogdet(a[:, :3])
    want = np.linalg.slogdet(a[:, :3])
    np.testing.assert_array_equal(sign.numpy(), want[0])
    np.testing.assert_allclose(logabs.numpy(), want[1], rtol=1e-12)


def test_tf_solvers():
    a, b, m = well(2, 3, 3), rand(2, 3, 2), spd(3, 3)
    np.testing.assert_allclose(tj.linalg.solve(a, b, adjoint=True).numpy(),
                               np.linalg.solve(up(a), b), rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.inv(a, adjoint=True).numpy(), np.linalg.inv(up(a)),
                               rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.det(a).numpy(), np.linalg.det(a), rtol=1e-12)
    for lower in (True, False):
        for adjoint in (True, False):
            want = [scipy.linalg.solve_triangular(a[i], b[i], lower=lower, trans=int(adjoint))
                    for i in range(2)]
            got = tj.linalg.triangular_solve(a, b, lower=lower, adjoint=adjoint)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    chol = tj.linalg.cholesky(m)
    np.testing.assert_allclose(chol.numpy(), np.linalg.cholesky(m), rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.cholesky_solve(chol, b).numpy(), np.linalg.solve(m, b),
                               rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.logdet(m).numpy(), np.linalg.slogdet(m)[1], rtol=1e-12)
    t = rand(4, 3)
    np.testing.assert_allclose(tj.linalg.pinv(t).numpy(), np.linalg.pinv(
        t, rcond=10 * 4 * np.finfo(np.float64).eps), rtol=1e-12)


def test_tf_lstsq():
    tall, wide, b = rand(2, 6, 3), rand(3, 5), rand(2, 6, 2)
    np.testing.assert_allclose(tj.linalg.lstsq(tall, b).numpy(), [
        np.linalg.lstsq(tall[i], b[i])[0] for i in range(2)], rtol=1e-10)
    np.testing.assert_allclose(tj.linalg.lstsq(wide, b[0, :3]).numpy(),
                               np.linalg.lstsq(wide, b[0, :3])[0], rtol=1e-10)
    lam = 0.7
    ridge = np.linalg.solve(up(tall) @ tall + lam * np.eye(3), up(tall) @ b)
    np.testing.assert_allclose(tj.linalg.lstsq(tall, b, l2_regularizer=lam).numpy(), ridge,
                               rtol=1e-10)
    deficient = rand(6, 1) * rand(1, 3)
    np.testing.assert_allclose(tj.linalg.lstsq(deficient, b[0], fast=False).numpy(),
                               np.linalg.lstsq(deficient, b[0])[0], rtol=1e-9, atol=1e-12)


def test_tf_matmul_and_norm():
    a, b = rand(2, 3, 4), rand(5, 3)
    np.testing.assert_allclose(tj.linalg.matmul(a, b, transpose_a=True, adjoint_b=True).numpy(),
                               up(a) @ b.T, rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.matrix_transpose(a).numpy(), up(a))
    with pytest.raises(ValueError, match="rank >= 2"):
        tj.linalg.matmul(rand(3), rand(3, 2))
    with pytest.raises(ValueError, match="both set"):
        tj.linalg.matmul(a, a, transpose_a=True, adjoint_a=True)
    x = rand(2, 3, 4)
    flat = x.ravel()
    for ord, want in [("euclidean", np.linalg.norm(flat)), (1, np.abs(flat).sum()),
                      (np.inf, np.abs(flat).max()), (3, np.linalg.norm(flat, 3))]:
        np.testing.assert_allclose(tj.linalg.norm(x, ord).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.norm(x, axis=-1, keepdims=True).numpy(),
                               np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-12)
    for ord, np_ord in [("euclidean", "fro"), ("fro", "fro"), (1, 1), (2, 2), (np.inf, np.inf)]:
        np.testing.assert_allclose(tj.linalg.norm(x, ord, axis=[-2, -1]).numpy(),
                                   np.linalg.norm(x, np_ord, axis=(-2, -1)), rtol=1e-12)
    for ord, axis in [(0, None), (-1, -1), ("fro", -1), (3, (-2, -1)), ("nuc", (-2, -1))]:
        with pytest.raises(ValueError):
            tj.linalg.norm(x, ord, axis)
    assert tj.linalg.norm(np.arange(3)).dtype == np.float32  # tapejit's float-only policy


def test_scipy_solve_triangular():
    a, b = well(4, 4), rand(4, 2)
    for kw in [{}, {"lower": True}, {"trans": "T"}, {"trans": 2, "lower": True},
               {"unit_diagonal": True}]:
        np.testing.assert_allclose(tj.linalg.solve_triangular(a, b, **kw).numpy(),
                                   scipy.linalg.solve_triangular(a, b, **kw), rtol=1e-12)
    np.testing.assert_allclose(tj.linalg.solve_triangular(a, b[:, 0]).numpy(),
                               scipy.linalg.solve_triangular(a, b[:, 0]), rtol=1e-12)
    stack = well(2, 4, 4)
    got = tj.linalg.solve_triangular(stack, b[:, 0], lower=True)
    np.testing.assert_allclose(got.numpy(), [scipy.linalg.solve_triangular(
        stack[i], b[:, 0], lower=True) for i in range(2)], rtol=1e-12)
    with pytest.raises(ValueError, match="infs or NaNs"):
        tj.linalg.solve_triangular(a, np.full(4, np.nan))
    with pytest.raises(ValueError, match="trans"):
        tj.linalg.solve_triangular(a, b, trans=3)
    solved = tj.jit(lambda a, b: tj.linalg.solve_triangular(a, b, trans=1))(a, b)
    np.testing.assert_allclose(solved.numpy(), scipy.linalg.solve_triangular(a, b, trans=1),
                               rtol=1e-12)
