"""tapejit.numpy's index helpers, selection and NumPy 2's array-API names beyond the
conformance table (tests/numpy_table_index.py): gradients against finite differences,
eagerly and under jit; what traced indices do; what must stay eager; NumPy's kind of error
for bad input; and one Numba compile of them all."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tests.test_numpy_conformance import assert_like_numpy


@pytest.fixture
def kernels_as_python():
    """Jit as usual, but run the generated kernels as Python (no Numba compile each)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


# --- gradients ------------------------------------------------------------------------------

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False,
                                                                          False]])
CHOICE = np.array([[0, 2, 1, 1], [2, 0, 0, 1], [1, 1, 2, 0]])
AWAY_FROM_BREAKS = np.array([-1.7, -1.1, -0.3, 0.2, 0.7, 1.4])

GRADIENTS = [
    ("select", lambda a, b: tnp.select([MASK, ~MASK[:, :1]], [a * b, tnp.sin(b)], default=a),
     [(3, 4), (4,)]),
    ("piecewise", lambda x: tnp.piecewise(x, [x < -1.0, x > 0.5],
                                          [lambda v: v * v, tnp.sin, lambda v: 3.0 * v]),
     [AWAY_FROM_BREAKS]),
    ("piecewise_args", lambda x, s: tnp.piecewise(x, x > 0, [lambda v, c: v * c, 1.5], s),
     [AWAY_FROM_BREAKS, ()]),
    ("choose", lambda a, b: tnp.choose(CHOICE, [a, b * b, tnp.sin(a)]), [(3, 4), (3, 1)]),
    ("insert", lambda a, v: tnp.insert(a, [0, 2, 2, -1], v * v, axis=1), [(3, 4), (3, 1)]),
    ("insert_block", lambda a, v: tnp.insert(a * a, 1, v, axis=0), [(3, 4), (2, 4)]),
    ("delete", lambda a: tnp.delete(a * a, [0, 2], axis=1), [(3, 4)]),
    ("compress_extract", lambda a: (tnp.compress([1, 0, 1], a * a, axis=0),
                                    tnp.extract(MASK, tnp.exp(a))), [(3, 4)]),
    ("partition", lambda a: tnp.partition(a, 2, axis=-1) ** 2, [(3, 5)]),
    ("vecdot", lambda a, b: tnp.vecdot(a, b, axis=0, keepdims=True), [(3, 4), (3, 1)]),
    ("matvec", lambda a, b: tnp.matvec(a, b), [(2, 3, 4), (5, 1, 4)]),
    ("vecmat", lambda a, b: tnp.vecmat(a, b), [(2, 1, 3), (3, 4)]),
    ("cumulative_sum", lambda a: tnp.cumulative_sum(a * a, axis=1, include_initial=True),
     [(3, 4)]),
    ("cumulative_prod", lambda a: tnp.cumulative_prod(a, axis=0, include_initial=True),
     [(3, 4)]),
    ("unstack", lambda a: tnp.unstack(a * a, axis=-1), [(3, 4)]),
    ("resize", lambda a: tnp.resize(a, (3, 5)) ** 2, [(2, 3)]),
    ("block", lambda a, b, c: tnp.block([[a, b * b], [c]]) ** 2, [(2, 3), (2, 1), (4,)]),
    ("matrix_transpose", lambda a: tnp.matrix_transpose(a) * a[0, 0, 0], [(2, 3, 4)]),
]


def _args(shapes, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [s if isinstance(s, np.ndarray) else rng.uniform(0.5, 2.0, s) for s in shapes]


@pytest.mark.parametrize("name,fn,shapes", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences(name, fn, shapes):
    tj.testing.check_grads(fn, _args(shapes, 3), order=2)


@pytest.mark.parametrize("name,fn,shapes", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_jit_gradients_match_eager(name, fn, shapes, kernels_as_python):
    args = _args(shapes, 4)
    tj.testing.check_grads(tj.jit(fn), args, order=1, modes=("rev",))
    eager = tj.grad(lambda *xs: tnp.sum(tj.tree.leaves(fn(*xs))[0]))(*args)
    jitted = tj.jit(tj.grad(lambda *xs: tnp.sum(tj.tree.leaves(fn(*xs))[0])))(*args)
    np.testing.assert_allclose(jitted.numpy(), eager.numpy(), rtol=1e-12)


# --- traced indices, known indices, eager-only functions ------------------------------------

def test_index_helpers_give_known_indices_even_under_jit(kernels_as_python):
    """Their values depend on shapes only: inside jit they are known tensors, so indexing
    with them is checked while tracing, as NumPy checks it."""
    seen = []

    def lower(x):
        rows, cols = tnp.tril_indices_from(x)
        seen.append((type(rows), type(tnp.ix_([0, 1])[0])))
        return x[rows, cols]

    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(tj.jit(lower)(x).numpy(), x[np.tril_indices_from(x)])
    assert seen == [(tj.Tensor, tj.Tensor)]
    with pytest.raises(IndexError, match="out of bounds"):
        tj.jit(lambda v: v[tnp.diag_indices(4)])(x)


def test_traced_out_of_range_indices_are_clamped_as_gathers_clamp(kernels_as_python):
    rows, cols = np.array([-2, 0, 1, 5]), np.array([1, 7, -1, 2])
    got = tj.jit(lambda i, j: tnp.ravel_multi_index((i, j), (3, 4)))(rows, cols)
    np.testing.assert_array_equal(got.numpy(), np.ravel_multi_index((rows, cols), (3, 4),
                                                                    mode="clip"))
    with pytest.raises(ValueError, match="invalid entry"):
        tnp.ravel_multi_index((rows, cols), (3, 4))
    flat = np.array([-3, 4, 12, 30])
    got = tj.jit(lambda i: tnp.unravel_index(i, (3, 4)))(flat)
    for g, w in zip(got, np.unravel_index(np.clip(flat, 0, 11), (3, 4))):
        np.testing.assert_array_equal(g.numpy(), w)
    choice = np.array([-1, 0, 3, 1])
    got = tj.jit(lambda c: tnp.choose(c, [np.zeros(4), np.ones(4)]))(choice)
    np.testing.assert_array_equal(got.numpy(), np.choose(choice, [np.zeros(4), np.ones(4)],
                                                         mode="clip"))


def test_traced_indices_stay_traced_and_index_under_jit(kernels_as_python):
    x = np.arange(20.0).reshape(4, 5)
    i, j = np.array([3, 0]), np.array([1, 4, 2])
    got = tj.jit(lambda v, a, b: v[tnp.ix_(a, b)])(x, i, j)
    np.testing.assert_array_equal(got.numpy(), x[np.ix_(i, j)])
    flat = np.array([7, 0, 19])
    got = tj.jit(lambda v, f: v[tnp.unravel_index(f, v.shape)])(x, flat)
    np.testing.assert_array_equal(got.numpy(), x[np.unravel_index(flat, x.shape)])


@pytest.mark.parametrize("call", [
    lambda c, a: tnp.compress(c, a), lambda c, a: tnp.extract(c, a),
    lambda c, a: tnp.trim_zeros(a), lambda c, a: tnp.ix_(c),
    lambda c, a: tnp.insert(a, tnp.astype(c, np.int32), 0.0),
    lambda c, a: tnp.delete(a, c),
], ids=["compress", "extract", "trim_zeros", "ix_", "insert", "delete"])
def test_data_dependent_shapes_are_eager_only(call):
    condition, a = np.array([True, False, True]), np.array([0.0, 2.0, 0.0])
    assert isinstance(call(condition, a), (tj.Tensor, tuple))
    with pytest.raises(tj.TracerArrayError) as info:
        tj.jit(call)(condition, a)
    assert "fix" in str(info.value)


def test_known_conditions_work_under_jit(kernels_as_python):
    a = np.arange(6.0).reshape(2, 3)
    keep = np.array([True, False, True])

    def fn(x):
        return (tnp.compress(keep, x, axis=1), tnp.extract(keep[None] & (a > 1), x),
                tnp.trim_zeros(np.array([0.0, 1.0, 0.0])) * x[0, 0])

    for g, w in zip(tj.jit(fn)(a), (np.compress(keep, a, axis=1), np.extract(keep & (a > 1), a),
                                    np.array([1.0]) * a[0, 0])):
        assert_like_numpy(g, w, "compress/extract/trim_zeros under jit")


def test_piecewise_keeps_each_value_only_where_its_condition_holds():
    """Functions see all of x, so log yields NaN where x <= 0; those values are dropped,
    as NumPy, which calls log on x[x > 0] only, never computes them."""
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    with np.errstate(all="ignore"):
        got = tnp.piecewise(x, [x > 0], [tnp.log, -1.0])
    assert_like_numpy(got, np.piecewise(x, [x > 0], [np.log, -1.0]), "piecewise log")


def test_partition_places_kth_like_numpy_with_ties():
    a = np.random.default_rng(0).integers(-2, 3, (4, 9)).astype(np.float64)
    for kth in (0, 4, -1, [1, 6]):
        got, want = tnp.partition(a, kth, axis=1).numpy(), np.partition(a, kth, axis=1)
        for k in np.atleast_1d(kth) % a.shape[1]:
            np.testing.assert_array_equal(got[:, k], want[:, k])
            assert np.all(got[:, :k] <= got[:, k:k + 1]) and np.all(got[:, k:] >= got[:, k:k + 1])
        order = tnp.argpartition(a, kth, axis=1).numpy()
        np.testing.assert_array_equal(np.take_along_axis(a, order, 1), got)


def test_python_numbers_follow_the_dtype_policy():
    """Weak Python numbers take the arrays' dtype (as NumPy); alone they give float32/int32
    where NumPy gives float64/int64 (tapejit's policy)."""
    b, f32 = np.array([True, False]), np.ones(2, np.float32)
    assert tnp.select([b], [f32], 2.5).dtype == np.select([b], [f32], 2.5).dtype == np.float32
    assert tnp.choose([0, 1], [f32, 2.5]).dtype == np.float32
    assert tnp.select([b], [1.5]).dtype == np.float32 != np.select([b], [1.5]).dtype
    assert tnp.insert(np.arange(3, dtype=np.int32), 1, 2.7).numpy().tolist() == [0, 2, 1, 2]


# --- errors ---------------------------------------------------------------------------------

F, I, B = np.arange(3.0, dtype=np.float32), np.arange(3, dtype=np.int32), np.array([1, 0, 1], bool)
A, X = np.arange(6.0).reshape(3, 2), np.arange(24.0).reshape(2, 3, 4)

BAD = {
    "select_lengths": lambda m: m.select([B], [F, F]),
    "select_empty": lambda m: m.select([], []),
    "select_not_bool": lambda m: m.select([I], [F]),
    "piecewise_functions": lambda m: m.piecewise(F, [F < 1], [1, 2, 3]),
    "piecewise_mask": lambda m: m.piecewise(F, [B[:2]], [9]),
    "choose_entry": lambda m: m.choose([0, 1, 3], [F, I, 5]),
    "choose_float": lambda m: m.choose([0.0, 1.0], [F, I]),
    "choose_mode": lambda m: m.choose([0, 1, 1], [F, F], mode="bad"),
    "choose_empty": lambda m: m.choose([0, 1], []),
    "compress_2d": lambda m: m.compress([[True]], A),
    "compress_long": lambda m: m.compress([True, False, False, False, True], A, axis=0),
    "extract_long": lambda m: m.extract(np.ones(20), A),
    "partition_kth": lambda m: m.partition(F, 3),
    "partition_negative_kth": lambda m: m.partition(F, -4),
    "partition_float_kth": lambda m: m.partition(F, 1.0),
    "partition_bool_kth": lambda m: m.partition(F, True),
    "partition_kind": lambda m: m.partition(F, 1, kind="quick"),
    "argpartition_kth": lambda m: m.argpartition(F, [0, 5]),
    "insert_index": lambda m: m.insert(F, 4, 1),
    "insert_list_index": lambda m: m.insert(F, [-4], 1),
    "insert_2d_obj": lambda m: m.insert(A, [[1]], 9),
    "insert_values": lambda m: m.insert(A, 1, [1, 2, 3], axis=0),
    "insert_float_obj": lambda m: m.insert(A, 1.0, 9),
    "insert_axis": lambda m: m.insert(A, 1, 9, axis=2),
    "delete_index": lambda m: m.delete(F, 3),
    "delete_mask": lambda m: m.delete(F, [True, False]),
    "delete_float": lambda m: m.delete(A, [1.0]),
    "delete_bool_scalar": lambda m: m.delete(A, True),
    "tril_indices_from": lambda m: m.tril_indices_from(np.ones(3)),
    "triu_indices_from": lambda m: m.triu_indices_from(np.ones((2, 3, 4))),
    "diag_indices_from": lambda m: m.diag_indices_from(np.ones((3, 2))),
    "diag_indices_from_1d": lambda m: m.diag_indices_from(np.ones(3)),
    "indices_int": lambda m: m.indices(3),
    "ix_2d": lambda m: m.ix_(np.ones((2, 2), int)),
    "unravel_range": lambda m: m.unravel_index(6, (2, 3)),
    "unravel_negative": lambda m: m.unravel_index(-1, (2, 3)),
    "unravel_float": lambda m: m.unravel_index(1.0, (2, 3)),
    "unravel_order": lambda m: m.unravel_index(0, (2, 3), order="X"),
    "ravel_range": lambda m: m.ravel_multi_index(([0, 1], [3, 0]), (2, 3)),
    "ravel_mode": lambda m: m.ravel_multi_index(([1], [2]), (2, 3), mode="bad"),
    "ravel_modes": lambda m: m.ravel_multi_index(([1], [2]), (2, 3), mode=("clip",)),
    "ravel_length": lambda m: m.ravel_multi_index(([1],), (2, 3)),
    "ravel_float": lambda m: m.ravel_multi_index(([1.0], [2]), (2, 3)),
    "ravel_empty_wrap": lambda m: m.ravel_multi_index(([0],), (0,), mode="wrap"),
    "matrix_transpose": lambda m: m.matrix_transpose(F),
    "vecdot_core": lambda m: m.vecdot(X, np.ones(2)),
    "vecdot_scalars": lambda m: m.vecdot(1.0, 2.0),
    "vecdot_axis_and_axes": lambda m: m.vecdot(X, X, axes=[(1,), (1,)], axis=1),
    "vecdot_axes_tuple": lambda m: m.vecdot(X, X, axes=((1,), (1,))),
    "vecdot_axes_count": lambda m: m.vecdot(X, X, axes=[(1, 2), (0,)]),
    "vecdot_axes_range": lambda m: m.vecdot(X, X, axes=[(5,), (0,)]),
    "vecdot_dtype": lambda m: m.vecdot(F, F, dtype=np.int32),
    "matvec_core": lambda m: m.matvec(X, np.ones(3)),
    "matvec_1d": lambda m: m.matvec(F, F),
    "matvec_axis": lambda m: m.matvec(A, np.ones(2), axis=0),
    "matvec_keepdims": lambda m: m.matvec(A, np.ones(2), keepdims=True),
    "matvec_axes_missing_output": lambda m: m.matvec(A, np.ones(2), axes=[(0, 1), (0,)]),
    "vecmat_core": lambda m: m.vecmat(np.ones(2), A),
    "cumulative_sum_axis": lambda m: m.cumulative_sum(A),
    "cumulative_prod_axes": lambda m: m.cumulative_prod(X, axis=(0, 1)),
    "cumulative_sum_range": lambda m: m.cumulative_sum(A, axis=2),
    "unstack_0d": lambda m: m.unstack(np.float32(1)),
    "resize_negative": lambda m: m.resize(F, (-1,)),
    "resize_float": lambda m: m.resize(F, (2.0,)),
    "trim_zeros_trim": lambda m: m.trim_zeros(F, "x"),
    "trim_zeros_axis": lambda m: m.trim_zeros(F, axis=1),
    "block_empty": lambda m: m.block([]),
    "block_empty_inner": lambda m: m.block([[1], []]),
    "block_depths": lambda m: m.block([[1, 2], 3]),
    "block_tuple": lambda m: m.block(()),
    "block_shapes": lambda m: m.block([[A, A], [A]]),
    "isin_table": lambda m: m.isin(F, [1], kind="table"),
    "isin_kind": lambda m: m.isin(I, [1], kind="bad"),
}


def _numpy_error(call) -> type:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            call(np)
        except Exception as e:  # noqa: BLE001 (any error NumPy raises is the reference)
            return type(e)
    raise AssertionError("NumPy accepted it")


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_raises_numpys_kind_of_error(name):
    expected = _numpy_error(BAD[name])
    if expected.__name__ in ("AxisError", "UFuncTypeError"):
        expected = ValueError if expected.__name__ == "AxisError" else TypeError
    with pytest.raises(expected) as info:
        BAD[name](tnp)
    message = str(info.value)
    assert "fix:" in message and message.split(":")[0].isidentifier(), message


@pytest.mark.parametrize("call", [
    lambda: tnp.choose([0, 1], [F[:2], F[:2]], out=np.empty(2)),
    lambda: tnp.compress([True], F, out=np.empty(1)),
    lambda: tnp.cumulative_sum(F, out=np.empty(3)),
    lambda: tnp.vecdot(F, F, np.empty(())),
    lambda: tnp.matvec(A, np.ones(2), out=np.empty(3)),
])
def test_out_is_rejected(call):
    with pytest.raises(TypeError, match="out= is not supported"):
        call()


# --- compiled with Numba --------------------------------------------------------------------

def test_index_functions_compile_with_numba():
    """Selections, insertions, contractions, scans and index arithmetic in one compiled
    function, without falling back to the interpreter, against NumPy."""
    rng = np.random.default_rng(7)
    x, v = rng.uniform(-2, 2, (3, 4)).T.copy().T, rng.uniform(-2, 2, 4)
    rows, cols = np.array([0, 2, 1]), np.array([3, 0, 1])

    def everything(m, a, b, i, j):
        return (m.select([a > 0, a < -1], [a, b], 0.5), m.vecdot(a, b), m.matvec(a, b),
                m.cumulative_sum(a, axis=1, include_initial=True),
                m.insert(a, [1, 1, 4], b[:3], axis=1), m.delete(a, [0, 2], axis=1),
                m.choose(m.astype(a > 0, np.int32), [a, b]), m.partition(a, 2, axis=1)[:, 2],
                m.isin(a, b), m.ravel_multi_index((i, j), (3, 4)),
                m.unravel_index(i * 4 + j, (3, 4)))

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        compiled = tj.jit(lambda *xs: everything(tnp, *xs))
        got = compiled(x, v, rows, cols)
    assert "runs in the NumPy interpreter" not in compiled.lower(x, v, rows, cols).source
    want = everything(np, x, v, rows, cols)
    assert_like_numpy(list(got), list(want), "numba index functions")
