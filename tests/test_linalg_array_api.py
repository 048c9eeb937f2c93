"""NumPy 2's array-API functions of numpy.linalg and cond, tensorinv, tensorsolve: values
against NumPy's (eagerly and under jit, float32/float64/int32, stacks), gradients against
finite differences, NumPy's errors."""

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp

L = tnp.linalg
RNG = np.random.default_rng(20261205)
STACK = RNG.normal(size=(2, 3, 3)) + 2 * np.eye(3)
SINGULAR = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]])
ORDS = [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]

CALLS = [
    *[(f"cond_{p}", lambda m, x, p=p: m.linalg.cond(x, p), STACK) for p in ORDS],
    ("cond_rectangular", lambda m, x: m.linalg.cond(x), RNG.normal(size=(2, 3, 5))),
    *[(f"cond_singular_{p}", lambda m, x, p=p: m.linalg.cond(x, p), SINGULAR)
      for p in (None, 1, "fro", -np.inf, -1)],
    ("cond_nan", lambda m, x: m.linalg.cond(x, 1), np.array([[1.0, np.nan], [0.0, 1.0]])),
    *[(f"vector_norm_{o}", lambda m, x, o=o: m.linalg.vector_norm(x, ord=o), STACK)
      for o in (2, 1, 0, 3, 0.5, -1, np.inf, -np.inf)],
    ("vector_norm_axes", lambda m, x: m.linalg.vector_norm(x, axis=(0, 2), ord=3,
                                                           keepdims=True), STACK),
    ("vector_norm_keepdims", lambda m, x: m.linalg.vector_norm(x, keepdims=True), STACK),
    ("vector_norm_axis", lambda m, x: m.linalg.vector_norm(x, axis=-2), STACK),
    *[(f"matrix_norm_{o}", lambda m, x, o=o: m.linalg.matrix_norm(x, ord=o), STACK)
      for o in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)],
    ("matrix_norm_keepdims", lambda m, x: m.linalg.matrix_norm(x, keepdims=True), STACK),
    ("diagonal", lambda m, x: m.linalg.diagonal(x, offset=1), RNG.normal(size=(2, 3, 4))),
    ("trace", lambda m, x: m.linalg.trace(x, offset=-1), RNG.normal(size=(2, 4, 3))),
    ("matrix_transpose", lambda m, x: m.linalg.matrix_transpose(x), RNG.normal(size=(2, 3, 4))),
    ("cross", lambda m, x: m.linalg.cross(x[:, :3], x[:, 1:]), RNG.normal(size=(2, 4))),
    ("cross_axis", lambda m, x: m.linalg.cross(x, x[::-1], axis=0), RNG.normal(size=(3, 2))),
    ("outer", lambda m, x: m.linalg.outer(x[0], x[1]), RNG.normal(size=(2, 4))),
    ("tensordot", lambda m, x: m.linalg.tensordot(x, x, axes=((0, 1), (0, 1))), STACK),
    ("tensorinv", lambda m, x: m.linalg.tensorinv(x, ind=1), RNG.normal(size=(6, 2, 3))),
    ("tensorinv_2", lambda m, x: m.linalg.tensorinv(x), RNG.normal(size=(2, 3, 6))),
    ("tensorsolve", lambda m, x: m.linalg.tensorsolve(x, x[:, 0, 0]), RNG.normal(size=(6, 2, 3))),
    ("tensorsolve_axes", lambda m, x: m.linalg.tensorsolve(x, x[0, :, 0], axes=(0,)),
     RNG.normal(size=(2, 6, 3))),
]
DTYPES = [np.float64, np.float32, np.int32]


def _cast(x, dtype):
    if dtype == np.int32:
        return np.round(np.nan_to_num(x) * 3).astype(np.int32)
    return x.astype(dtype)


@pytest.fixture
def kernels_as_python():
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _assert_like(got, want, what):
    got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype)
    rtol = 2e-4 if want.dtype == np.float32 else 1e-9
    big = np.abs(want) > 1e12  # a singular matrix's huge ratio: its digits are rounding noise
    np.testing.assert_allclose(np.where(big, 1.0, got), np.where(big, 1.0, want), rtol=rtol,
                               atol=rtol, err_msg=what)
    assert np.array_equal(big, np.abs(got) > 1e12), what


VALUES = [pytest.param(name, call, x, dtype, id=f"{name}-{np.dtype(dtype).name}")
          for name, call, x in CALLS for dtype in DTYPES
          if dtype != np.int32 or not name.startswith(("tensor", "cond_singular", "cond_nan"))]
"""Integers for every call but those whose rounded matrices would be singular or NaN."""


@pytest.mark.parametrize("name,call,x,dtype", VALUES)
def test_values_match_numpy_eagerly_and_under_jit(name, call, x, dtype, kernels_as_python):
    x = _cast(x, dtype)
    with np.errstate(all="ignore"):
        want = np.asarray(call(np, x))
    _assert_like(call(tnp, x), want, f"{name} {np.dtype(dtype).name}")
    _assert_like(tj.jit(lambda v: call(tnp, v))(x), want, f"jit {name}")


GRADIENTS = [
    ("cond_1", lambda x: L.cond(x, 1), [(3, 3)]),
    ("cond_2", lambda x: L.cond(x), [(2, 3, 3)]),
    ("cond_fro", lambda x: L.cond(x, "fro"), [(3, 3)]),
    ("vector_norm", lambda x: L.vector_norm(x, axis=(0, 2), ord=3), [(2, 3, 2)]),
    ("matrix_norm", lambda x: L.matrix_norm(x, ord="nuc"), [(2, 3, 2)]),
    ("tensorinv", lambda x: L.tensorinv(x, ind=1), [(6, 2, 3)]),
    ("tensorsolve", lambda a, b: L.tensorsolve(a, b), [(6, 2, 3), (6,)]),
    ("cross_outer", lambda a, b: L.outer(L.cross(a, b), b), [(3,), (3,)]),
    ("trace_diagonal", lambda x: L.trace(x, offset=1) * L.diagonal(x)[..., 0], [(2, 3, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences(name, fn, shapes, kernels_as_python):
    rng = np.random.default_rng(7)
    args = [rng.uniform(0.5, 2.0, s) + (2 * np.eye(s[-1]) if len(s) >= 2 and s[-1] == s[-2]
                                        else 0) for s in shapes]
    tj.testing.check_grads(fn, args, order=1)
    tj.testing.check_grads(tj.jit(fn), args, order=1, modes=("rev",))


def test_a_singular_matrix_gives_inf_under_a_compiled_kernel_too():
    """Eagerly LU's zero pivot is found first; in a kernel the inverse is NaN: both inf."""
    got = tj.jit(lambda x: (L.cond(x, 1), L.cond(x, "fro")))(SINGULAR)
    for g, p in zip(got, (1, "fro")):
        np.testing.assert_allclose(g.numpy(), np.linalg.cond(SINGULAR, p))


@pytest.mark.parametrize("call,error,words", [
    (lambda: L.cross(np.ones(2), np.ones(2)), ValueError, "3-dimensional vectors"),
    (lambda: L.outer(np.ones((2, 2)), np.ones(2)), ValueError, "one-dimensional"),
    (lambda: L.matrix_transpose(np.ones(3)), ValueError, "at least 2-dimensional"),
    (lambda: L.cond(np.ones((0, 0))), np.linalg.LinAlgError, "empty"),
    (lambda: L.cond(np.ones((2, 3)), 1), np.linalg.LinAlgError, "square"),
    (lambda: L.vector_norm(np.ones(3), ord="fro"), ValueError, "'fro'"),
    (lambda: L.tensorinv(np.ones((2, 3))), np.linalg.LinAlgError, "square"),
    (lambda: L.tensorsolve(np.ones((2, 3)), np.ones(2)), np.linalg.LinAlgError, "square"),
    (lambda: L.eig(np.eye(2)), TypeError, "eigh"),
    (lambda: L.eigvals(np.eye(2)), TypeError, "complex"),
])
def test_numpys_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()
