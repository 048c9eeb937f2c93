"""The tf.math functions tj.math gained in tapejit/math_more: TF's signatures, values against
NumPy references written from TF's definitions (float32 and float64, signed zeros, NaN, inf,
empty arrays, axes), dtypes, gradients against finite differences and against TF's own
gradient formulas at the special points, and compiled results equal to eager ones (a few
jitted programs, each covering many functions)."""

import inspect

import numpy as np
import pytest

import tapejit as tj

m = tj.math
FLOATS = [np.float32, np.float64]
SPECIAL = [-3.7, -2.5, -1.5, -0.5, -0.3, -0.0, 0.0, 0.3, 0.5, 0.9, 1.0, 1.5, 2.5, 1e4,
           np.nan, np.inf, -np.inf]


def _ulp_close(got, want, ulps: int = 4):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=ulps * np.finfo(got.dtype).eps, atol=0,
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


# --- signatures ----------------------------------------------------------------------------

TF_SIGNATURES = {
    "(x, name=None)": ["sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
                       "floor", "ceil", "round", "rint", "is_nan", "is_inf", "is_finite",
                       "log_sigmoid", "reciprocal_no_nan"],
    "(x, y, name=None)": ["floordiv", "floormod", "mod", "truediv", "divide_no_nan",
                          "multiply_no_nan", "xlogy", "xdivy"],
    "(x, y, name='LogicalXor')": ["logical_xor"],
    "(features, name=None)": ["softsign"],
    "(logits, axis=None, name=None)": ["softmax", "log_softmax"],
    "(input_tensor, axis=None, keepdims=False, name=None)": [
        "reduce_prod", "reduce_all", "reduce_any", "reduce_euclidean_norm"],
    "(x, axis=0, exclusive=False, reverse=False, name=None)": ["cumsum", "cumprod"],
    "(inputs, name=None)": ["add_n"],
    "(x, axis=None, epsilon=1e-12, name=None, dim=None)": ["l2_normalize"],
    "(data, segment_ids, name=None)": ["segment_mean", "segment_max", "segment_min"],
}


@pytest.mark.parametrize("sig,names", TF_SIGNATURES.items())
def test_signatures_are_tfs(sig, names):
    for name in names:
        assert str(inspect.signature(getattr(m, name))) == sig, name
        assert name in m.__all__


def test_signatures_with_dtype_defaults():
    sig = inspect.signature(m.count_nonzero)
    assert list(sig.parameters) == ["input", "axis", "keepdims", "dtype", "name"]
    assert sig.parameters["keepdims"].default is None
    assert np.dtype(sig.parameters["dtype"].default) == np.int64
    sig = inspect.signature(m.top_k)
    assert list(sig.parameters) == ["input", "k", "sorted", "index_type", "name"]
    assert (sig.parameters["k"].default, sig.parameters["sorted"].default) == (1, True)
    assert np.dtype(sig.parameters["index_type"].default) == np.int32
    assert m.mod is m.floormod
    assert m.cumsum([1.0, 2.0], name="s").numpy().tolist() == [1.0, 3.0]


# --- elementwise values --------------------------------------------------------------------

UNARY = {
    "sinh": np.sinh, "cosh": np.cosh, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "floor": np.floor,
    "ceil": np.ceil, "round": np.round, "rint": np.rint, "is_nan": np.isnan, "is_inf": np.isinf,
    "is_finite": np.isfinite, "softsign": lambda x: x / (np.abs(x) + 1),
    "log_sigmoid": lambda x: -np.logaddexp(x.dtype.type(0), -x),
    "reciprocal_no_nan": lambda x: np.where(x == 0, x.dtype.type(0), 1 / x),
}
NOT_EXACT = {"softsign", "log_sigmoid"}  # compositions, within a few ulps of the reference


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values(name, dtype):
    x = np.array(SPECIAL, dtype)
    with np.errstate(all="ignore"):
        want = UNARY[name](x)
    got = getattr(m, name)(tj.constant(x)).numpy()
    _ulp_close(got, want, 4 if name in NOT_EXACT else 0)
    if want.dtype.kind == "f":  # signed zeros too
        numbers = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))
    empty = getattr(m, name)(tj.constant(np.zeros((2, 0), dtype)))
    assert empty.shape == (2, 0) and empty.dtype == want.dtype


def test_round_is_half_to_even_and_keeps_integers():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], np.float32)
    assert m.round(x).numpy().tolist() == [-2, -2, -0, 0, 2, 2, 4, 0]
    ints = np.array([-3, 7], np.int32)
    assert m.round(ints).dtype == np.int32 and m.round(ints).numpy().tolist() == [-3, 7]
    assert m.round(np.array([5], np.uint8)).dtype == np.uint8


def test_float_functions_of_integers_are_float32():
    ints = np.array([0, 1, 2], np.int32)
    for name in ["sinh", "atan", "floor", "ceil", "rint", "softsign", "log_sigmoid",
                 "reciprocal_no_nan", "is_nan"]:
        out = getattr(m, name)(ints)
        want = np.float32 if name != "is_nan" else np.bool_
        assert out.dtype == want, name
    assert m.is_finite(ints).numpy().all() and not m.is_inf(ints).numpy().any()
    assert m.softmax([1, 2]).dtype == np.float32


def _grid(dtype, values=(-3.0, -1.5, -0.0, 0.0, 0.5, 2.0, np.inf, -np.inf, np.nan)):
    a, b = np.meshgrid(np.array(values, dtype), np.array(values, dtype), indexing="ij")
    return a.ravel(), b.ravel()


def _tf_floormod(x, y):
    """TF's kernel for floats: fmod, moved by y where the signs differ."""
    r = np.fmod(x, y)
    return np.where((r != 0) & ((y < 0) != (r < 0)), r + y, r)


BINARY = {
    "floordiv": lambda x, y: np.floor(x / y),
    "floormod": _tf_floormod,
    "truediv": lambda x, y: x / y,
    "divide_no_nan": lambda x, y: np.where(y == 0, x.dtype.type(0), x / y),
    "multiply_no_nan": lambda x, y: np.where(y == 0, x.dtype.type(0), x * y),
    "xlogy": lambda x, y: np.where(x == 0, x.dtype.type(0), x * np.log(y)),
    "xdivy": lambda x, y: np.where(x == 0, x.dtype.type(0), x / y),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_on_special_pairs(name, dtype):
    x, y = _grid(dtype)
    with np.errstate(all="ignore"):
        want = BINARY[name](x, y)
    got = getattr(m, name)(tj.constant(x), tj.constant(y)).numpy()
    _ulp_close(got, want, 0)
    if name in ("floormod", "divide_no_nan", "multiply_no_nan", "truediv"):
        zeros = want == 0
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))
    assert getattr(m, name)(np.zeros(0, dtype), np.zeros(0, dtype)).shape == (0,)


def test_floor_division_and_remainder_signs():
    x, y = [5.0, -5.0, 5.0, -5.0, 5.5], [3.0, 3.0, -3.0, -3.0, 2.0]
    assert m.floormod(x, y).numpy().tolist() == [2, 1, -1, -2, 1.5]
    assert m.floordiv(x, y).numpy().tolist() == [1, -2, -2, 1, 2]
    xi, yi = np.array([5, -5, 5, -5, 7], np.int32), np.array([3, 3, -3, -3, 7], np.int32)
    assert m.floormod(xi, yi).numpy().tolist() == [2, 1, -1, -2, 0]
    assert m.floordiv(xi, yi).numpy().tolist() == [1, -2, -2, 1, 1]
    assert m.floormod(xi, yi).dtype == np.int32 and m.floordiv(xi, yi).dtype == np.int32
    # TF's float floordiv is floor(x / y): 1 // 0.1 is 10 there (NumPy says 9)
    assert float(m.floordiv(1.0, 0.1)) == 10.0
    assert float(m.floordiv(np.float64(1.0), np.float64(0.1))) == 10.0


def test_truediv_dtypes_are_tfs():
    for dtype, want in [(np.int8, np.float32), (np.uint8, np.float32), (np.int16, np.float32),
                        (np.uint16, np.float32), (np.int32, np.float64),
                        (np.int64, np.float64), (np.uint32, np.float64),
                        (np.float16, np.float16), (np.float32, np.float32)]:
        out = m.truediv(np.array([1, 3], dtype), np.array([2, 4], dtype))
        assert out.dtype == want, dtype
        np.testing.assert_array_equal(out.numpy(), np.array([0.5, 0.75], want))
    assert m.truediv(1, 2).dtype == np.float64 and float(m.truediv(1, 2)) == 0.5


def test_mixed_dtypes_promote_as_tj_math_add_does():
    a, b = tj.constant(np.array([5, -5], np.int32)), tj.constant(np.array([3.0, 3.0]))
    for fn in [m.floordiv, m.floormod, m.truediv, m.divide_no_nan, m.multiply_no_nan,
               m.xlogy, m.xdivy]:
        assert fn(a, b).dtype == m.add(a, b).dtype == np.float64, fn.__name__
    assert m.floormod(tj.constant(np.float32(7.0)), 2).dtype == np.float32


def test_booleans_are_refused_where_tf_refuses_them():
    b = np.array([True, False])
    for fn in [lambda: m.floordiv(b, b), lambda: m.floormod(b, b), lambda: m.truediv(b, b),
               lambda: m.cumsum(b), lambda: m.cumprod(b), lambda: m.reduce_prod(b),
               lambda: m.round(b), lambda: m.reduce_euclidean_norm(b), lambda: m.top_k(b),
               lambda: m.segment_mean(b, [0, 0]), lambda: m.add(b, b)]:
        with pytest.raises(tj.DTypeError):
            fn()


def test_no_nan_functions_at_their_special_points():
    x = np.array([np.nan, np.inf, -np.inf, -3.0, 0.0], np.float32)
    np.testing.assert_array_equal(m.divide_no_nan(x, np.float32(0)).numpy(), np.zeros(5))
    got = m.multiply_no_nan(x, np.zeros(5, np.float32)).numpy()
    np.testing.assert_array_equal(got, np.zeros(5))
    assert not np.signbit(got).any()  # TF gives +0, also for x < 0
    np.testing.assert_array_equal(m.xlogy(np.float32(0), x).numpy(), np.zeros(5))
    np.testing.assert_array_equal(m.xdivy(np.float32(0), x).numpy(), np.zeros(5))
    assert m.reciprocal_no_nan(np.float32(0)).numpy() == 0.0
    assert np.isnan(m.xlogy(np.float32(np.nan), np.float32(1.0)).numpy())


def test_logical_xor():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(m.logical_xor(a, b).numpy(), np.logical_xor(a, b))
    np.testing.assert_array_equal(m.logical_xor(a[:, None], b).numpy(),
                                  np.logical_xor(a[:, None], b))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_and_log_softmax(axis, dtype):
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.5, -np.inf]], dtype)
    ax = -1 if axis is None else axis
    with np.errstate(all="ignore"):
        shifted = x - x.max(ax, keepdims=True)
        e = np.exp(shifted)
        want_sm = e / e.sum(ax, keepdims=True)
        want_lsm = shifted - np.log(e.sum(ax, keepdims=True))
    _ulp_close(m.softmax(tj.constant(x), axis).numpy(), want_sm, 8)
    _ulp_close(m.log_softmax(tj.constant(x), axis).numpy(), want_lsm, 8)
    # an all -inf row is NaN, as in TF's kernel
    assert np.isnan(m.log_softmax(np.full((1, 2), -np.inf, dtype)).numpy()).all()


# --- reductions, scans, sums ---------------------------------------------------------------

AXES = [None, 0, 1, -1, (0, 1), [-1]]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_reductions_against_numpy(axis, keepdims):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    rng = np.random.default_rng(0)
    for dtype in FLOATS:
        for x in [rng.standard_normal((2, 3)).astype(dtype), np.zeros((0, 3), dtype),
                  np.array([[np.nan, 1, 2], [0, np.inf, -1]], dtype)]:
            got = m.reduce_prod(tj.constant(x), axis, keepdims).numpy()
            _ulp_close(got, np.prod(x, np_axis, keepdims=keepdims), 4)
            norm = m.reduce_euclidean_norm(tj.constant(x), axis, keepdims).numpy()
            _ulp_close(norm, np.sqrt(np.sum(x * x, np_axis, keepdims=keepdims)), 4)
            count = m.count_nonzero(tj.constant(x), axis, keepdims).numpy()
            _ulp_close(count, np.count_nonzero(x, np_axis, keepdims=keepdims).astype(np.int64))
    bools = np.array([[True, False, True], [True, True, True]])
    for b in [bools, np.zeros((0, 3), bool)]:
        _ulp_close(m.reduce_all(b, axis, keepdims).numpy(), np.all(b, np_axis, keepdims=keepdims))
        _ulp_close(m.reduce_any(b, axis, keepdims).numpy(), np.any(b, np_axis, keepdims=keepdims))
    ints = np.array([[1, 2, 3], [-4, 5, 6]], np.int32)
    _ulp_close(m.reduce_prod(ints, axis, keepdims).numpy(),
               np.prod(ints, np_axis, keepdims=keepdims, dtype=np.int32))


def test_reduction_dtypes_are_tfs():
    x = np.array([[1, 2, 3], [1, 1, 1]], np.int32)
    norm = m.reduce_euclidean_norm(x)  # TF's doc example: sqrt(17) in int32 is 4
    assert norm.dtype == np.int32 and int(norm) == 4
    assert m.reduce_euclidean_norm(x, 1).numpy().tolist() == [3, 1]
    assert m.reduce_prod(x).dtype == np.int32 and int(m.reduce_prod(x)) == 6
    assert m.count_nonzero(x, dtype=np.int32).dtype == np.int32
    assert int(m.count_nonzero([0.0, -0.0, np.nan, 2.0])) == 2
    assert int(m.count_nonzero([True, False, True])) == 2
    assert m.reduce_all([1.0, 2.0]).numpy() and not m.reduce_any([0, 0]).numpy()


def _scan_reference(op, x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    out = op(x, axis, dtype=x.dtype)
    if exclusive:
        identity = np.full_like(np.take(out, [0], axis), 1 if op is np.cumprod else 0)
        out = np.concatenate([identity, np.delete(out, -1, axis)], axis)
    return np.flip(out, axis) if reverse else out


@pytest.mark.parametrize("exclusive,reverse", [(False, False), (True, False), (False, True),
                                               (True, True)])
def test_cumsum_and_cumprod(exclusive, reverse):
    rng = np.random.default_rng(1)
    for x in [rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3)).astype(np.float32),
              np.array([[1, -2, 3], [4, 5, -6]], np.int32), np.zeros((0, 3)),
              np.array([[np.nan, 1, 2], [np.inf, 0, -1]])]:
        for axis in [0, 1, -1, -2]:
            for name, op in [("cumsum", np.cumsum), ("cumprod", np.cumprod)]:
                got = getattr(m, name)(tj.constant(x), axis, exclusive, reverse).numpy()
                if x.size == 0 and exclusive:
                    assert got.shape == x.shape
                    continue
                _ulp_close(got, _scan_reference(op, x, axis, exclusive, reverse), 4)
    assert m.cumsum([1, 2, 3]).numpy().tolist() == [1, 3, 6]  # axis=0 by default
    with pytest.raises(ValueError):
        m.cumsum(np.float32(1.0))
    with pytest.raises(ValueError):
        m.cumsum(np.ones((2, 3)), axis=2)


def test_add_n():
    a, b, c = (np.arange(6.0).reshape(2, 3) * k for k in (1, 2, 3))
    np.testing.assert_array_equal(m.add_n([a, tj.constant(b), c]).numpy(), a + b + c)
    assert m.add_n([np.float32(2.0)]).dtype == np.float32
    assert isinstance(m.add_n([1.0, 2.0]), tj.Tensor) and float(m.add_n([1.0, 2.0])) == 3.0
    assert m.add_n([np.zeros((0, 2))] * 3).shape == (0, 2)
    with pytest.raises(ValueError, match="different shapes"):
        m.add_n([a, np.ones(3)])
    with pytest.raises(ValueError, match="at least one"):
        m.add_n([])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_l2_normalize(axis, dtype):
    x = np.array([[3.0, 0.0, -4.0], [0.0, 0.0, 0.0]], dtype)
    want = x / np.sqrt(np.maximum(np.sum(x * x, axis, keepdims=True), dtype(1e-12)))
    _ulp_close(m.l2_normalize(tj.constant(x), axis).numpy(), want, 4)
    _ulp_close(m.l2_normalize(tj.constant(x), dim=axis).numpy(), want, 4)
    big_eps = x / np.sqrt(np.maximum(np.sum(x * x, axis, keepdims=True), dtype(100.0)))
    _ulp_close(m.l2_normalize(tj.constant(x), axis, epsilon=100.0).numpy(), big_eps, 4)


def test_l2_normalize_axis_and_dim_together_is_an_error():
    with pytest.raises(ValueError, match="both"):
        m.l2_normalize([1.0], axis=0, dim=0)


# --- segments and top_k --------------------------------------------------------------------

def _segment_reference(data, ids, reduce, empty=0):
    count = ids[-1] + 1 if len(ids) else 0
    rows = [reduce(data[ids == s], axis=0) if np.any(ids == s) else
            np.full(data.shape[1:], empty, data.dtype) for s in range(count)]
    return np.array(rows, data.dtype).reshape((count,) + data.shape[1:])


@pytest.mark.parametrize("dtype", FLOATS + [np.int32])
def test_segment_reductions(dtype):
    data = np.array([[1, -2], [4, 3], [-5, 6], [7, 8], [-9, 0]], dtype)
    ids = np.array([0, 0, 1, 3, 3])  # segment 2 is empty: 0, as in TF
    for name, reduce in [("segment_mean", np.mean), ("segment_max", np.max),
                         ("segment_min", np.min)]:
        got = getattr(m, name)(tj.constant(data), ids).numpy()
        want = _segment_reference(data, ids, reduce)
        if dtype == np.int32 and name == "segment_mean":  # TF's integer mean: toward zero
            want = _segment_reference(data, ids, lambda v, axis: np.trunc(np.mean(v, axis)))
        _ulp_close(got, want, 2)
    assert m.segment_mean(np.array([[-5], [2]], np.int32), [0, 0]).numpy().item() == -1
    assert m.segment_max(np.zeros((0, 2), dtype), np.zeros(0, np.int32)).shape == (0, 2)
    floats = np.array([1.0, np.nan, -np.inf, 2.0])
    np.testing.assert_array_equal(m.segment_max(floats, [0, 0, 1, 1]).numpy(), [np.nan, 2.0])
    np.testing.assert_array_equal(m.segment_min(floats, [0, 0, 1, 1]).numpy(),
                                  [np.nan, -np.inf])


def test_segment_id_errors():
    data = np.ones((3, 2))
    for ids, kind in [([1, 0, 0], ValueError), ([-1, 0, 0], ValueError), ([0, 0], ValueError),
                      ([0.0, 1.0, 1.0], IndexError)]:
        for fn in [m.segment_mean, m.segment_max, m.segment_min]:
            with pytest.raises(kind):
                fn(data, ids)
    with pytest.raises(tj.TracerArrayError):
        tj.jit(m.segment_max)(data, np.array([0, 0, 1]))


def _top_k_reference(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: the lower index first
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def test_top_k():
    x = np.array([[1.0, 3.0, 3.0, -2.0, 0.0], [5.0, -0.0, 0.0, 5.0, 5.0]])
    for dtype in FLOATS + [np.int32]:
        xs = x.astype(dtype)
        for k in [0, 1, 3, 5]:
            values, indices = m.top_k(tj.constant(xs), k)
            want_v, want_i = _top_k_reference(xs, k)
            _ulp_close(values.numpy(), want_v)
            _ulp_close(indices.numpy(), want_i)
    out = m.top_k(x[0], k=2, index_type=np.int64)
    assert out.indices.dtype == np.int64 and out.indices.numpy().tolist() == [1, 2]
    assert out.values is out[0] and type(out).__name__ == "TopKV2"
    assert m.top_k(np.zeros((3, 0)), 0).values.shape == (3, 0)
    with pytest.raises(ValueError):
        m.top_k(x, 6)
    with pytest.raises(ValueError):
        m.top_k(np.float32(1.0))


# --- gradients -----------------------------------------------------------------------------

RNG = np.random.default_rng(7)
UNIT = RNG.uniform(-0.9, 0.9, (2, 3))
ABOVE_ONE = RNG.uniform(1.2, 3.0, (2, 3))
POSITIVE = RNG.uniform(0.5, 2.0, (2, 3))
WIDE = RNG.uniform(-3.0, 3.0, (2, 3))
NONZERO = np.where(np.abs(WIDE) < 0.3, 0.7, WIDE)

GRADIENT_CASES = [
    ("sinh", m.sinh, [WIDE]), ("cosh", m.cosh, [WIDE]), ("asin", m.asin, [UNIT]),
    ("acos", m.acos, [UNIT]), ("atan", m.atan, [WIDE]), ("asinh", m.asinh, [WIDE]),
    ("acosh", m.acosh, [ABOVE_ONE]), ("atanh", m.atanh, [UNIT]),
    ("softsign", m.softsign, [WIDE]), ("log_sigmoid", m.log_sigmoid, [WIDE]),
    ("softmax", m.softmax, [WIDE]), ("softmax0", lambda x: m.softmax(x, 0), [WIDE]),
    ("log_softmax", m.log_softmax, [WIDE]),
    ("reciprocal_no_nan", m.reciprocal_no_nan, [NONZERO]),
    ("truediv", m.truediv, [WIDE, NONZERO]), ("divide_no_nan", m.divide_no_nan, [WIDE, NONZERO]),
    ("multiply_no_nan", m.multiply_no_nan, [WIDE, NONZERO]),
    ("xlogy", m.xlogy, [NONZERO, POSITIVE]), ("xdivy", m.xdivy, [NONZERO, NONZERO]),
    ("floormod", m.floormod, [np.array([[5.3, -5.3, 2.2]]), np.array([[3.0, 3.0, -1.5]])]),
    ("reduce_prod", m.reduce_prod, [WIDE]),
    ("reduce_prod_axis", lambda x: m.reduce_prod(x, -1, keepdims=True), [WIDE]),
    ("reduce_prod_zero", lambda x: m.reduce_prod(x, 0), [np.array([[0.0, 2.0], [3.0, 0.0]])]),
    ("reduce_euclidean_norm", lambda x: m.reduce_euclidean_norm(x, 1), [WIDE]),
    ("cumsum", lambda x: m.cumsum(x, 1, exclusive=True, reverse=True), [WIDE]),
    ("cumprod", lambda x: m.cumprod(x, -1), [WIDE]),
    ("cumprod_exclusive", lambda x: m.cumprod(x, 0, True, True), [WIDE]),
    ("cumprod_zeros", lambda x: m.cumprod(x, 1, reverse=True),
     [np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -1.0]])]),
    ("l2_normalize", lambda x: m.l2_normalize(x, -1), [WIDE]),
    ("l2_normalize_all", m.l2_normalize, [WIDE]),
    ("add_n", lambda a, b: m.add_n([a, b, a]), [WIDE, UNIT]),
    ("segment_mean", lambda x: m.segment_mean(x, [0, 0, 2]), [WIDE.T]),
    ("segment_max", lambda x: m.segment_max(x, [0, 1, 1]), [WIDE.T]),
    ("segment_min", lambda x: m.segment_min(x, [0, 0, 0]), [WIDE.T]),
    ("top_k", lambda x: m.top_k(x, 2).values, [WIDE]),
]


@pytest.mark.parametrize("name,fn,args", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_match_finite_differences(name, fn, args):
    order = 1 if name.startswith(("segment_m", "top_k", "reduce_prod_zero")) else 2
    tj.testing.check_grads(fn, args, order=order, eps=1e-6, rtol=1e-6)


def _grads(fn, *args):
    """The gradient of sum(fn(*args)) with respect to every argument, in float64."""
    args = [np.asarray(a, np.float64) for a in args]
    grads = tj.grad(lambda *xs: tj.reduce_sum(fn(*xs)), tuple(range(len(args))))(*args)
    return [g.numpy() for g in grads]


def test_gradients_at_tfs_special_points():
    x, y = np.array([0.0, 2.0, -3.0, 1.5]), np.array([0.0, 0.0, 4.0, 0.5])
    # divide_no_nan: div_no_nan(g, y) and g * div_no_nan(div_no_nan(-x, y), y): 0 at y == 0
    dx, dy = _grads(m.divide_no_nan, x, y)
    np.testing.assert_array_equal(dx, [0, 0, 0.25, 2.0])
    np.testing.assert_array_equal(dy, [0, 0, 3 / 16, -6.0])
    (dr,) = _grads(m.reciprocal_no_nan, y)
    np.testing.assert_array_equal(dr, [0, 0, -1 / 16, -4.0])
    # xlogy: (xlogy(x != 0, y), xdivy(x, y)): 0 where x == 0, whatever y is
    dx, dy = _grads(m.xlogy, [0.0, 0.0, 2.0], [0.0, 3.0, 4.0])
    np.testing.assert_array_equal(dx, [0, 0, np.log(4.0)])
    np.testing.assert_array_equal(dy, [0, 0, 0.5])
    # xdivy: (xdivy(x != 0, y), xdivy(-x, y**2))
    dx, dy = _grads(m.xdivy, [0.0, 0.0, 2.0], [0.0, 3.0, 4.0])
    np.testing.assert_array_equal(dx, [0, 0, 0.25])
    np.testing.assert_array_equal(dy, [0, 0, -0.125])
    # multiply_no_nan: (mul_no_nan(g, y), mul_no_nan(x, g)): dx 0 where y == 0, dy = x
    dx, dy = _grads(m.multiply_no_nan, [3.0, -2.0, 5.0], [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(dx, [0, 0, 2.0])
    np.testing.assert_array_equal(dy, [3.0, -2.0, 5.0])
    # floormod: (1, -floor(x / y))
    fx, fy = np.array([5.3, -5.3, 5.3, -5.3]), np.array([3.0, 3.0, -3.0, -3.0])
    dx, dy = _grads(m.floormod, fx, fy)
    np.testing.assert_array_equal(dx, np.ones(4))
    np.testing.assert_array_equal(dy, -np.floor(fx / fy))
    # reduce_euclidean_norm: x / (norm / g), NaN at a zero norm, as TF
    (dn,) = _grads(lambda v: m.reduce_euclidean_norm(v, 1), [[0.0, 0.0], [3.0, 4.0]])
    assert np.isnan(dn[0]).all()
    np.testing.assert_allclose(dn[1], [0.6, 0.8], rtol=1e-15)
    # l2_normalize: below epsilon the norm is the constant sqrt(epsilon)
    (dl,) = _grads(m.l2_normalize, [0.0, 0.0])
    np.testing.assert_allclose(dl, [1e6, 1e6], rtol=1e-12)
    (dl,) = _grads(lambda v: m.l2_normalize(v, epsilon=25.0), [3.0, 4.0])  # sum == epsilon
    np.testing.assert_allclose(dl, (1 - np.array([3.0, 4.0]) * 7 / 25) / 5, rtol=1e-12)
    # segment_max / segment_min / top_k: ties share the gradient (segment) or go to the
    # lower index (top_k)
    (ds,) = _grads(lambda v: m.segment_max(v, [0, 0, 0, 1]), [2.0, 2.0, 1.0, 3.0])
    np.testing.assert_array_equal(ds, [0.5, 0.5, 0, 1])
    (dt,) = _grads(lambda v: m.top_k(v, 2).values, [1.0, 3.0, 3.0, 3.0])
    np.testing.assert_array_equal(dt, [0, 1, 1, 0])


def test_cumprod_gradient_is_exact_at_zeros():
    """TF's cumprod gradient divides by x (NaN/0 at zeros); tapejit's is the exact one."""
    x = np.array([2.0, 0.0, 3.0, 4.0])
    (g,) = _grads(m.cumprod, x)
    # d/dx_i of sum_j prod_{k<=j} x_k
    want = [sum(np.prod(np.delete(x[:j + 1], i)) for j in range(i, 4)) for i in range(4)]
    np.testing.assert_array_equal(g, want)


def test_tf_non_differentiable_functions_give_none():
    x = tj.Variable([1.5, -2.5])
    with tj.GradientTape(persistent=True) as tape:
        outs = [m.floor(x), m.ceil(x), m.round(x), m.rint(x), m.floordiv(x, 2.0),
                tj.cast(m.is_nan(x), tj.float32)]
    for out in outs:
        assert tape.gradient(out, x) is None


# --- jit equals eager ----------------------------------------------------------------------

def _check_jit_equals_eager(fn, *args, ulps: int = 4):
    eager = fn(*[tj.constant(a) for a in args])
    jitted = tj.jit(fn)(*args)
    for key in eager:
        got, want = jitted[key].numpy(), eager[key].numpy()
        _ulp_close(got, want, ulps)
        if want.dtype.kind == "f":
            zeros = want == 0
            np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]), key)


def test_jit_equals_eager_elementwise():
    x = np.array([[-2.5, -0.5, -0.0, 0.3, 0.9, 1.5],
                  [2.5, 1e4, np.nan, np.inf, -np.inf, 0.5]], np.float32)
    y = np.array([[3.0, -0.0, 2.0, 0.0, -1.5, np.inf],
                  [-3.0, 0.7, 1.0, 2.0, 0.0, np.nan]], np.float32)
    b = np.array([[True, False, True, False, True, False]] * 2)

    def fn(x, y, b):
        out = {name: getattr(m, name)(x) for name in UNARY}
        out.update({name: getattr(m, name)(x, y) for name in BINARY})
        out.update(softmax=m.softmax(x, 0), log_softmax=m.log_softmax(y),
                   logical_xor=m.logical_xor(b, x > 0))
        return out

    _check_jit_equals_eager(fn, x, y, b)


def test_jit_equals_eager_reductions_scans_segments():
    x = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -1.0]])
    ints = np.array([[1, -2, 3], [4, 5, -6]], np.int32)
    truth = np.array([[True, False, True], [True, True, True]])

    def fn(x, ints, truth):
        top = m.top_k(x, 2)
        return dict(prod=m.reduce_prod(x, 1), prod_int=m.reduce_prod(ints, 0, keepdims=True),
                    all=m.reduce_all(truth, 1), any=m.reduce_any(truth),
                    norm=m.reduce_euclidean_norm(x, -1), norm_int=m.reduce_euclidean_norm(ints),
                    count=m.count_nonzero(x, 0), cumsum=m.cumsum(x, 1, True, True),
                    cumsum_int=m.cumsum(ints), cumprod=m.cumprod(x, -1, reverse=True),
                    cumprod_ex=m.cumprod(x, 0, exclusive=True),
                    add_n=m.add_n([x, x, x]), l2=m.l2_normalize(x, 1),
                    seg_mean=m.segment_mean(x, [0, 2]), seg_max=m.segment_max(x, [0, 0]),
                    seg_min=m.segment_min(ints, [1, 1]), seg_int=m.segment_mean(ints, [0, 0]),
                    top_values=top.values, top_indices=top.indices)

    _check_jit_equals_eager(fn, x, ints, truth)


def test_jit_equals_eager_gradients():
    x = np.array([0.0, 2.0, -3.0, 1.5])
    y = np.array([0.0, 0.0, 4.0, 0.5])

    def loss(x, y):
        return (m.reduce_sum(m.divide_no_nan(x, y) + m.xlogy(x, m.abs(y)) + m.xdivy(x, y)
                             + m.multiply_no_nan(x, y) + m.floormod(x, y + 2.5)
                             + m.cumprod(x) + m.l2_normalize(x) * y)
                + m.reduce_prod(x) + m.reduce_euclidean_norm(y)
                + m.reduce_sum(m.top_k(x, 2).values * m.softmax(y[:2])))

    def both(x, y):
        dx, dy = tj.grad(loss, (0, 1))(x, y)
        return {"dx": dx, "dy": dy}

    _check_jit_equals_eager(both, x, y, ulps=8)


# --- TensorFlow itself, when it is installed -----------------------------------------------

def test_against_tensorflow_when_installed():
    tf = pytest.importorskip("tensorflow")
    x = np.array([[-2.5, -0.5, 0.0, 0.3], [2.5, 1.5, np.nan, np.inf]], np.float32)
    y = np.array([[3.0, -2.0, 0.0, 0.0], [-3.0, 0.7, 1.0, 2.0]], np.float32)
    for name in ["sinh", "atan", "floor", "round", "rint", "is_nan", "is_finite", "softsign",
                 "log_sigmoid", "reciprocal_no_nan", "softmax", "log_softmax"]:
        _ulp_close(getattr(m, name)(x).numpy(), getattr(tf.math, name)(x).numpy(), 8)
    for name in ["floordiv", "floormod", "truediv", "divide_no_nan", "multiply_no_nan",
                 "xlogy", "xdivy"]:
        _ulp_close(getattr(m, name)(x, y).numpy(), getattr(tf.math, name)(x, y).numpy(), 8)
    for name in ["reduce_prod", "reduce_euclidean_norm", "count_nonzero"]:
        _ulp_close(getattr(m, name)(y, 1).numpy(), getattr(tf.math, name)(y, 1).numpy(), 8)
    for kw in [{}, {"exclusive": True}, {"reverse": True, "exclusive": True}]:
        _ulp_close(m.cumsum(y, 1, **kw).numpy(), tf.math.cumsum(y, 1, **kw).numpy())
    values, indices = tf.math.top_k(y, 3)
    _ulp_close(m.top_k(y, 3).values.numpy(), values.numpy())
    _ulp_close(m.top_k(y, 3).indices.numpy(), indices.numpy())
    for name, fn in [("divide_no_nan", tf.math.divide_no_nan), ("xlogy", tf.math.xlogy),
                     ("xdivy", tf.math.xdivy), ("multiply_no_nan", tf.math.multiply_no_nan)]:
        a, b = tf.Variable(np.float64(x[0])), tf.Variable(np.float64(y[0]))
        with tf.GradientTape() as tape:
            out = tf.reduce_sum(fn(a, b))
        want = [g.numpy() for g in tape.gradient(out, [a, b])]
        got = _grads(getattr(m, name), x[0], y[0])
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, equal_nan=True, err_msg=name)
