"""tj.math's xlog1py, truncatediv, truncatemod, segment_prod and unsorted_segment_mean/max/
min/prod: TF's signatures, values against NumPy references written from TF's definitions
(float32 and float64, zeros, negatives, NaN, inf, integer dtypes where TF has kernels), TF's
dtype refusals, gradients against finite differences and TF's formulas at the special points,
and one jitted program equal to eager."""

import inspect

import numpy as np
import pytest

import tapejit as tj
from tests.test_tf_math import _ulp_close

m = tj.math
FLOATS = [np.float32, np.float64]
SPECIAL = (-3.0, -1.5, -1.0, -0.0, 0.0, 0.5, 2.0, np.inf, -np.inf, np.nan)


def _same(got, want, ulps=0):
    _ulp_close(got, want, ulps)


def _grid(dtype, values=SPECIAL):
    a, b = np.meshgrid(np.array(values, dtype), np.array(values, dtype), indexing="ij")
    return a.ravel(), b.ravel()


def _grads(fn, *args):
    args = [np.asarray(a, np.float64) for a in args]
    grads = tj.grad(lambda *xs: tj.reduce_sum(fn(*xs)), tuple(range(len(args))))(*args)
    return [g.numpy() for g in grads]


SEGMENT_FNS = ["unsorted_segment_mean", "unsorted_segment_max", "unsorted_segment_min",
               "unsorted_segment_prod"]


def test_signatures_are_tfs():
    for name in ["xlog1py", "truncatediv", "truncatemod"]:
        assert str(inspect.signature(getattr(m, name))) == "(x, y, name=None)", name
    assert str(inspect.signature(m.segment_prod)) == "(data, segment_ids, name=None)"
    for name in SEGMENT_FNS:
        sig = str(inspect.signature(getattr(m, name)))
        assert sig == "(data, segment_ids, num_segments, name=None)", name
    for name in ["xlog1py", "truncatediv", "truncatemod", "segment_prod"] + SEGMENT_FNS:
        assert name in m.__all__ and name in tj.math_more.__all__
    assert m.truncatemod([7.0], [2.0], name="t").numpy().tolist() == [1.0]


# --- xlog1py -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_xlog1py_values(dtype):
    x, y = _grid(dtype)
    with np.errstate(all="ignore"):
        want = np.where(x == 0, dtype(0), x * np.log1p(y))  # TF: 0 where x == 0, else x*log1p
    _same(m.xlog1py(tj.constant(x), tj.constant(y)).numpy(), want)
    assert m.xlog1py([0.0, 0.0, 0.0], [-1.0, np.nan, -np.inf]).numpy().tolist() == [0, 0, 0]
    assert m.xlog1py(np.int32(2), np.int32(1)).dtype == np.float32
    assert m.xlog1py(tj.constant(np.float32(2)), np.float64(1)).dtype == np.float64
    assert m.xlog1py(np.zeros(0, dtype), np.zeros(0, dtype)).shape == (0,)


def test_xlog1py_gradients():
    x, y = np.array([[0.7, -1.3, 2.0]]), np.array([[0.4, 2.5, -0.6]])
    tj.testing.check_grads(m.xlog1py, [x, y], order=2, eps=1e-6, rtol=1e-6)
    # TF's _XLog1pyGrad: (xlog1py(x != 0, y), xdivy(x, y + 1)): 0 where x == 0, whatever y
    xs, ys = [0.0, 0.0, 0.0, 2.0, -3.0], [-1.0, 3.0, np.nan, 1.0, -0.5]
    dx, dy = _grads(m.xlog1py, xs, ys)
    np.testing.assert_array_equal(dx, [0, 0, 0, np.log1p(1.0), np.log1p(-0.5)])
    np.testing.assert_array_equal(dy, [0, 0, 0, 1.0, -6.0])


# --- truncatediv, truncatemod --------------------------------------------------------------

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INTS)
def test_truncatediv_integers(dtype):
    info = np.iinfo(dtype)
    values = [0, 1, 5, 7, 13, info.max] + ([-1, -5, -7, -13, info.min + 1] if info.min else [])
    x, y = _grid(dtype, values)
    y = np.where(y == 0, dtype(3), y)
    want = (np.abs(x.astype(object)) // np.abs(y.astype(object))
            * np.sign(x.astype(object)) * np.sign(y.astype(object))).astype(dtype)  # C's x / y
    _same(m.truncatediv(tj.constant(x), tj.constant(y)).numpy(), want)
    assert m.truncatediv(np.array([7], dtype), np.array([0], dtype)).numpy().tolist() == [0]


def test_truncatediv_and_truncatemod_signs():
    x, y = np.array([7, -7, 7, -7, 6], np.int32), np.array([5, 5, -5, -5, 3], np.int32)
    assert m.truncatediv(x, y).numpy().tolist() == [1, -1, -1, 1, 2]
    assert m.truncatemod(x, y).numpy().tolist() == [2, -2, 2, -2, 0]
    assert m.truncatediv(x, y).dtype == m.truncatemod(x, y).dtype == np.int32
    xf, yf = [7.5, -7.5, 7.5, -7.5], [2.0, 2.0, -2.0, -2.0]
    assert m.truncatemod(xf, yf).numpy().tolist() == [1.5, -1.5, 1.5, -1.5]
    x64 = np.array([-(2**62) - 3], np.int64)
    assert m.truncatemod(x64, np.int64(2**31)).numpy().tolist() == [-3]
    assert m.truncatediv(x64, np.int64(2)).numpy().tolist() == [-(2**61) - 1]


@pytest.mark.parametrize("dtype", FLOATS)
def test_truncatemod_floats_are_fmod(dtype):
    x, y = _grid(dtype, SPECIAL + (5.5, -5.5))
    with np.errstate(all="ignore"):
        want = np.fmod(x, y)  # TF's float kernel: std::fmod
    got = m.truncatemod(tj.constant(x), tj.constant(y)).numpy()
    _same(got, want)
    zeros = want == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


def test_tf_dtype_refusals():
    b = np.array([True, False])
    with pytest.raises(tj.DTypeError, match="integers only"):
        m.truncatediv(np.array([1.5], np.float32), np.array([2.0], np.float32))
    with pytest.raises(tj.DTypeError):
        m.truncatediv(np.array([7], np.int32), 2.0)  # promotes to a float: refused
    for dtype in [np.int8, np.int16, np.uint8, np.uint16, np.uint32, np.uint64]:
        with pytest.raises(tj.DTypeError, match="int32, int64 or float"):
            m.truncatemod(np.array([7], dtype), np.array([2], dtype))
    for fn in [lambda: m.truncatediv(b, b), lambda: m.truncatemod(b, b),
               lambda: m.segment_prod(b, [0, 0])] + [
            lambda name=name: getattr(m, name)(b, [0, 1], 2) for name in SEGMENT_FNS]:
        with pytest.raises(tj.DTypeError):
            fn()


def test_truncatemod_gradient_and_truncatediv_has_none():
    x, y = np.array([[5.3, -5.3, 2.2]]), np.array([[3.0, 3.0, -1.5]])
    tj.testing.check_grads(m.truncatemod, [x, y], order=2, eps=1e-6, rtol=1e-6)
    dx, dy = _grads(m.truncatemod, x, y)
    np.testing.assert_array_equal(dx, np.ones_like(x))
    np.testing.assert_array_equal(dy, -np.trunc(x / y))


# --- segments ------------------------------------------------------------------------------

def _unsorted_reference(data, ids, n, reduce, empty):
    """TF's kernels: rows with id s reduced; an empty segment gets `empty`; ids < 0 dropped."""
    rest = data.shape[ids.ndim:]
    data, ids = data.reshape((-1,) + rest), ids.reshape(-1)
    rows = [reduce(data[ids == s], axis=0) if np.any(ids == s) else np.full(rest, empty)
            for s in range(n)]
    return np.array(rows).reshape((n,) + rest)


def _limits(dtype):
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    return info.min, info.max  # numeric_limits<T>::lowest() and max()


@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.int64])
def test_unsorted_segment_values(dtype):
    data = np.array([[1, -2], [4, 0], [-5, 6], [7, 8], [-9, 3], [2, 2]], dtype)
    ids = np.array([3, 0, 3, -1, 0, 3])  # segments 1 and 4 empty, row 3 dropped
    low, high = _limits(dtype)
    cases = {"unsorted_segment_max": (np.max, low), "unsorted_segment_min": (np.min, high),
             "unsorted_segment_prod": (np.prod, 1)}
    for name, (reduce, empty) in cases.items():
        got = getattr(m, name)(tj.constant(data), ids, 5).numpy()
        _same(got, _unsorted_reference(data, ids, 5, reduce, empty).astype(dtype), 2)
    mean_dtype = np.float64 if dtype in (np.int32, np.int64) else dtype  # TF's sum / N: truediv
    got = m.unsorted_segment_mean(tj.constant(data), ids, 5).numpy()
    want = _unsorted_reference(data.astype(mean_dtype), ids, 5, np.mean, 0).astype(mean_dtype)
    _same(got, want, 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_unsorted_segment_special_values_and_shapes(dtype):
    data = np.array([np.inf, -np.inf, 0.0, -0.0, np.nan, 3.0], dtype)
    ids = np.array([0, 0, 1, 1, 2, 2])
    got = m.unsorted_segment_max(data, ids, 4).numpy()
    _same(got, np.array([np.inf, 0.0, np.nan, np.finfo(dtype).min], dtype))
    got = m.unsorted_segment_min(data, ids, 4).numpy()
    _same(got, np.array([-np.inf, 0.0, np.nan, np.finfo(dtype).max], dtype))
    want = np.array([-np.inf, -0.0, np.nan, 1], dtype)
    _same(m.unsorted_segment_prod(data, ids, 4).numpy(), want)
    _same(m.unsorted_segment_mean(data, ids, 4).numpy(), np.array([np.nan, 0, np.nan, 0], dtype))
    all_neg_inf = m.unsorted_segment_max(np.array([-np.inf], dtype), [0], 1).numpy()
    assert all_neg_inf.tolist() == [-np.inf]  # a real -inf stays: only empty segments fill
    # ids of shape a prefix of data's (rank 2), num_segments 0, and empty data
    data3 = np.arange(12, dtype=dtype).reshape(2, 3, 2)
    ids2 = np.array([[1, 0, 1], [-1, 2, 0]])
    for name, reduce, empty in [("unsorted_segment_prod", np.prod, 1),
                                ("unsorted_segment_max", np.max, np.finfo(dtype).min),
                                ("unsorted_segment_mean", np.mean, 0)]:
        got = getattr(m, name)(data3, ids2, 3).numpy()
        _same(got, _unsorted_reference(data3, ids2, 3, reduce, empty).astype(dtype), 2)
    assert m.unsorted_segment_max(data3, -np.ones((2, 3), np.int32), 0).shape == (0, 2)
    assert m.unsorted_segment_prod(np.zeros((0, 2), dtype), np.zeros(0, np.int32), 2).shape \
        == (2, 2)


@pytest.mark.parametrize("dtype", FLOATS + [np.int32])
def test_segment_prod(dtype):
    data = np.array([[1, -2], [4, 3], [-5, 6], [7, 0], [-9, 2]], dtype)
    ids = np.array([0, 0, 1, 3, 3])  # segment 2 is empty: 1, as in TF
    want = _unsorted_reference(data, ids, 4, np.prod, 1).astype(dtype)
    _same(m.segment_prod(tj.constant(data), ids).numpy(), want)
    assert m.segment_prod(np.zeros((0, 2), dtype), np.zeros(0, np.int32)).shape == (0, 2)
    floats = np.array([np.inf, 0.0, np.nan, 2.0], np.float64)
    _same(m.segment_prod(floats, [0, 0, 1, 1]).numpy(), np.array([np.nan, np.nan]))


def test_segment_id_errors():
    data = np.ones((3, 2))
    for ids, kind in [([1, 0, 0], ValueError), ([-1, 0, 0], ValueError), ([0, 0], ValueError),
                      ([0.0, 1.0, 1.0], IndexError)]:
        with pytest.raises(kind):
            m.segment_prod(data, ids)
    for name in SEGMENT_FNS:
        fn = getattr(m, name)
        with pytest.raises(ValueError, match=r"not in \[0, 2\)"):
            fn(data, [0, 2, 1], 2)
        with pytest.raises(tj.ShapeError):
            fn(data, [0, 1], 2)
        with pytest.raises(ValueError):
            fn(data, [0, 1, 1], -1)
        with pytest.raises(IndexError):
            fn(data, [0.0, 1.0, 1.0], 2)
        with pytest.raises(tj.TracerArrayError):
            tj.jit(lambda d, i, fn=fn: fn(d, i, 2))(data, np.array([0, 0, 1]))
    with pytest.raises(tj.TracerArrayError):
        tj.jit(m.segment_prod)(data, np.array([0, 0, 1]))


WIDE = np.array([[0.7, -1.3, 2.1], [1.9, 0.4, -0.6]])
SEGMENT_GRADIENTS = [
    ("segment_prod", lambda x: m.segment_prod(x, [0, 0, 2])),
    ("unsorted_segment_mean", lambda x: m.unsorted_segment_mean(x, [2, -1, 2], 4)),
    ("unsorted_segment_max", lambda x: m.unsorted_segment_max(x, [1, 0, 1], 3)),
    ("unsorted_segment_min", lambda x: m.unsorted_segment_min(x, [1, 1, 1], 2)),
    ("unsorted_segment_prod", lambda x: m.unsorted_segment_prod(x, [1, 0, 1], 3)),
]


@pytest.mark.parametrize("name,fn", SEGMENT_GRADIENTS, ids=[c[0] for c in SEGMENT_GRADIENTS])
def test_segment_gradients_match_finite_differences(name, fn):
    order = 1 if name.endswith(("max", "min")) else 2
    tj.testing.check_grads(fn, [WIDE.T.copy()], order=order, eps=1e-6, rtol=1e-6)


def test_segment_gradients_at_tfs_special_points():
    # prod (TF's _SegmentProdGrad / _UnsortedSegmentProdGrad): no zero: prod / x; one zero:
    # the product of the others at the zero, 0 elsewhere; two zeros: 0
    x = [2.0, 3.0, 0.0, 5.0, 0.0, 0.0, 4.0]
    (g,) = _grads(lambda v: m.segment_prod(v, [0, 0, 1, 1, 2, 2, 2]), x)
    np.testing.assert_array_equal(g, [3.0, 2.0, 5.0, 0.0, 0.0, 0.0, 0.0])
    (g,) = _grads(lambda v: m.unsorted_segment_prod(v, [2, 2, 0, 0, 1, 1, -1], 4), x)
    np.testing.assert_array_equal(g, [3.0, 2.0, 5.0, 0.0, 0.0, 0.0, 0.0])
    # max / min (TF's _UnsortedSegmentMinOrMaxGrad): ties share; dropped rows and empty
    # segments get none
    (g,) = _grads(lambda v: m.unsorted_segment_max(v, [0, 0, 0, 1, -1], 3),
                  [2.0, 2.0, 1.0, 3.0, 9.0])
    np.testing.assert_array_equal(g, [0.5, 0.5, 0, 1, 0])
    (g,) = _grads(lambda v: m.unsorted_segment_min(v, [1, 1, 0], 3), [-1.0, -1.0, 4.0])
    np.testing.assert_array_equal(g, [0.5, 0.5, 1])
    # mean: 1 / count, 0 for dropped rows
    (g,) = _grads(lambda v: m.unsorted_segment_mean(v, [0, 0, 0, 1, -1], 3),
                  [1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(g, [1 / 3, 1 / 3, 1 / 3, 1, 0], rtol=1e-15)


# --- jit equals eager ----------------------------------------------------------------------

def test_jit_equals_eager():
    x = np.array([[-2.5, -0.0, 0.0, 1.5, np.inf], [2.5, 7.0, np.nan, -1.0, 0.5]])
    y = np.array([[2.0, -1.0, 3.0, -0.5, 1.0], [-2.0, 0.0, 1.0, 4.0, -np.inf]])
    ints = np.array([[-7, 7, 9, -9, 0], [5, -5, 4, -3, 1]], np.int32)

    def fn(x, y, ints):
        data = x[:, :4]
        return dict(xlog1py=m.xlog1py(x, y), tmod=m.truncatemod(x, y),
                    tmod_int=m.truncatemod(ints, ints[::-1] + 10),
                    tdiv=m.truncatediv(ints, ints[::-1] + 10),
                    seg_prod=m.segment_prod(y, [0, 0]),
                    mean=m.unsorted_segment_mean(data, [1, -1], 3),
                    max=m.unsorted_segment_max(data, [1, 1], 3),
                    min=m.unsorted_segment_min(ints, [0, 2], 4),
                    prod=m.unsorted_segment_prod(y, [0, 0], 2),
                    dx=tj.grad(lambda a: tj.reduce_sum(m.xlog1py(a, m.abs(y)))
                               + tj.reduce_sum(m.unsorted_segment_prod(a, [1, 1], 2))
                               + tj.reduce_sum(m.segment_prod(a[:, :4], [0, 0])))(x))

    eager = fn(*[tj.constant(a) for a in (x, y, ints)])
    jitted = tj.jit(fn)(x, y, ints)
    for key in eager:
        got, want = jitted[key].numpy(), eager[key].numpy()
        _same(got, want, 4)
        if want.dtype.kind == "f":
            zeros = want == 0
            np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]), key)


# --- TensorFlow itself, when it is installed -----------------------------------------------

def test_against_tensorflow_when_installed():
    tf = pytest.importorskip("tensorflow")
    x = np.array([[-2.5, -0.5, 0.0, 0.3], [2.5, 1.5, np.nan, np.inf]], np.float32)
    y = np.array([[3.0, -2.0, 0.0, -1.0], [-3.0, 0.7, 1.0, 2.0]], np.float32)
    for name in ["xlog1py", "truncatemod"]:
        _same(getattr(m, name)(x, y).numpy(), getattr(tf.math, name)(x, y).numpy(), 8)
    ints, d = np.array([-7, 7, -7, 7], np.int32), np.array([5, 5, -5, -5], np.int32)
    _same(m.truncatediv(ints, d).numpy(), tf.math.truncatediv(ints, d).numpy())
    ids = np.array([3, 0, -1, 3])
    for name in SEGMENT_FNS:
        want = getattr(tf.math, name)(x.T, ids, 5).numpy()
        _same(getattr(m, name)(x.T, ids, 5).numpy(), want, 8)
