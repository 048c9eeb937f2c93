"""tj.math against TensorFlow's own definitions where it shares an op with other namespaces:
maximum/minimum's gradient at ties (TF's _MaximumMinimumGrad: all of it to x where x >= y,
resp. x <= y), divide as TF's truediv (int32/int64 -> float64), sign's zero gradient (TF's
_SignGrad, not None), and TF's signatures (argument names and `name=None`) for every public
tj.math function. tj.numpy keeps the NumPy/JAX behaviour (ties split)."""

import inspect

import numpy as np
import pytest

import tapejit as tj

m = tj.math
FLOATS = [np.float32, np.float64]

# pairs covering ties (equal, signed zeros, infinities), strict orders and NaN on each side
X = [1.0, 2.0, 3.0, 0.0, -0.0, -0.0, np.inf, -np.inf, np.nan, 5.0, np.nan, -2.0]
Y = [1.0, 3.0, 2.0, -0.0, 0.0, -0.0, np.inf, -np.inf, 1.0, np.nan, np.nan, -2.0]
W = [0.5, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]  # upstream gradient


def _tf_grads(x, y, w, selector):
    """TF's _MaximumMinimumGrad: xmask = selector(x, y); (where(xmask, g, 0),
    where(xmask, 0, g)); where x is NaN, tapejit gives it to x (the value's side)."""
    xmask = selector(x, y) | np.isnan(x)
    return np.where(xmask, w, 0).astype(x.dtype), np.where(xmask, 0, w).astype(x.dtype)


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


CASES = [(m.maximum, tj.numpy.maximum, np.greater_equal),
         (m.minimum, tj.numpy.minimum, np.less_equal)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("tf_fn, np_fn, selector", CASES)
def test_maximum_minimum_values_are_tfs(tf_fn, np_fn, selector, dtype):
    """TF's value: x where selector(x, y) (so x on ties: its signed zero, where NumPy takes
    y's), NaN where either side is NaN."""
    x, y = np.array(X, dtype), np.array(Y, dtype)
    got = tf_fn(x, y)
    want = np.where(selector(x, y) | np.isnan(x), x, y)
    assert got.dtype == dtype
    np.testing.assert_array_equal(_bits(got), _bits(want))
    same = ~((x == 0) & (y == 0))
    np.testing.assert_array_equal(_bits(np.asarray(got)[same]),
                                  _bits(np.asarray(np_fn(x, y))[same]))
    ints = tf_fn(np.array([1, 5, 3], np.int32), np.array([2, 5, 1], np.int32))
    np.testing.assert_array_equal(ints, np_fn(np.array([1, 5, 3]), np.array([2, 5, 1])))
    assert ints.dtype == np.int32


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("tf_fn, np_fn, selector", CASES)
def test_maximum_minimum_tape_gradient_is_tfs(tf_fn, np_fn, selector, dtype):
    x, y, w = np.array(X, dtype), np.array(Y, dtype), np.array(W, dtype)
    xv, yv = tj.Variable(x), tj.Variable(y)
    with tj.GradientTape() as tape:
        loss = m.reduce_sum(tf_fn(xv, yv) * w)
    gx, gy = tape.gradient(loss, [xv, yv])
    want_x, want_y = _tf_grads(x, y, w, selector)
    assert gx.dtype == gy.dtype == dtype
    np.testing.assert_array_equal(gx, want_x)
    np.testing.assert_array_equal(gy, want_y)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("tf_fn, np_fn, selector", CASES)
def test_maximum_minimum_grad_is_tfs_and_numpy_still_splits_ties(tf_fn, np_fn, selector,
                                                                 dtype):
    x, y, w = np.array(X, dtype), np.array(Y, dtype), np.array(W, dtype)
    gx, gy = tj.grad(lambda a, b: tj.reduce_sum(tf_fn(a, b) * w), (0, 1))(x, y)
    want_x, want_y = _tf_grads(x, y, w, selector)
    np.testing.assert_array_equal(gx, want_x)
    np.testing.assert_array_equal(gy, want_y)
    # tj.numpy's maximum/minimum keep JAX's rule: a tie's gradient is split in half
    nx, ny = tj.grad(lambda a, b: tj.reduce_sum(np_fn(a, b) * w), (0, 1))(x, y)
    assert nx[0] == ny[0] == w[0] / 2


@pytest.mark.parametrize("dtype", FLOATS)
def test_maximum_broadcast_scalar_tie_and_second_order(dtype):
    # relu-like: a tie with the scalar 0 gives x the whole gradient, as TF's relu-by-maximum
    x = np.array([-1.0, 0.0, 2.0], dtype)
    g = tj.grad(lambda a: tj.reduce_sum(m.maximum(a, 0.0)))(x)
    np.testing.assert_array_equal(g, np.array([0.0, 1.0, 1.0], dtype))
    g = tj.grad(lambda a: tj.reduce_sum(m.minimum(0.0, a)))(x)  # x here is m.minimum's y
    np.testing.assert_array_equal(g, np.array([1.0, 0.0, 0.0], dtype))
    hess = tj.grad(lambda a: tj.reduce_sum(tj.grad(
        lambda b: tj.reduce_sum(m.maximum(b, 0.0) ** 2))(a)))(x)
    np.testing.assert_array_equal(hess, np.array([0.0, 2.0, 2.0], dtype))


@pytest.mark.parametrize("src, want", [(np.int8, np.float32), (np.uint8, np.float32),
                                       (np.int16, np.float32), (np.uint16, np.float32),
                                       (np.int32, np.float64), (np.int64, np.float64),
                                       (np.float32, np.float32), (np.float64, np.float64)])
def test_divide_is_tfs_truediv(src, want):
    x, y = np.array([7, 1, 9], src), np.array([2, 3, 4], src)
    got = m.divide(x, y)
    assert got.dtype == want
    np.testing.assert_array_equal(got, (x.astype(want) / y.astype(want)))
    assert m.divide(x, y, name="div").dtype == want
    assert m.divide(x=x, y=y).dtype == want


def test_divide_gradient_and_no_bool():
    g = tj.grad(lambda a: tj.reduce_sum(m.divide(a, 4.0)))(np.array([1.0, 2.0], np.float32))
    np.testing.assert_array_equal(g, np.array([0.25, 0.25], np.float32))
    with pytest.raises(TypeError):  # TF's _TRUEDIV_TABLE has no bool
        m.divide(np.array([True]), np.array([True]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_sign_tape_gradient_is_zeros_not_none(dtype):
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.inf, -np.inf, np.nan], dtype)
    xv = tj.Variable(x)
    with tj.GradientTape() as tape:
        s = m.sign(xv)
        loss = m.reduce_sum(s * np.arange(7, dtype=dtype))
    g = tape.gradient(loss, xv)
    assert g is not None and g.dtype == dtype
    np.testing.assert_array_equal(g, np.zeros(7, dtype))
    np.testing.assert_array_equal(_bits(s), _bits(np.sign(x)))
    np.testing.assert_array_equal(tj.grad(lambda a: tj.reduce_sum(m.sign(a)))(x),
                                  np.zeros(7, dtype))
    ints = m.sign(np.array([-3, 0, 4], np.int32))
    assert ints.dtype == np.int32
    np.testing.assert_array_equal(ints, [-1, 0, 1])


def test_jit_equals_eager():
    x, y = np.array(X, np.float32), np.array(Y, np.float32)
    w = np.array(W, np.float32)

    def fn(a, b):
        def loss(a, b):
            return tj.reduce_sum((m.maximum(a, b) + m.minimum(a, b) + m.sign(a)) * w)
        ga, gb = tj.grad(loss, (0, 1))(a, b)
        return m.maximum(a, b), m.minimum(a, b), m.sign(a), ga, gb

    eager, jitted = fn(x, y), tj.jit(fn)(x, y)
    for e, j in zip(eager, jitted):
        np.testing.assert_array_equal(_bits(j), _bits(e))
    gx = _tf_grads(x, y, w, np.greater_equal)[0] + _tf_grads(x, y, w, np.less_equal)[0]
    np.testing.assert_array_equal(eager[3], gx)
    ints = tj.jit(lambda a, b: m.divide(a, b))(np.array([3, 4], np.int32),
                                               np.array([2, 8], np.int32))
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints, [1.5, 0.5])


# --- signatures ----------------------------------------------------------------------------

TF_SIGNATURES = {
    "(x, name=None)": ["abs", "cos", "erf", "erfc", "exp", "expm1", "log", "log1p",
                       "logical_not", "negative", "reciprocal", "rsqrt", "sigmoid", "sign",
                       "sin", "sqrt", "square", "tan", "tanh"],
    "(x, y, name=None)": ["add", "divide", "equal", "greater", "greater_equal", "less",
                          "less_equal", "logical_and", "logical_or", "maximum", "minimum",
                          "multiply", "not_equal", "pow", "squared_difference", "subtract"],
    "(y, x, name=None)": ["atan2"],
    "(features, name=None)": ["softplus"],
    "(input_tensor, axis=None, keepdims=False, name=None)": [
        "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_std",
        "reduce_sum", "reduce_variance"],
    "(input, axis=None, output_type=<class 'numpy.int64'>, name=None)": ["argmax", "argmin"],
    "(data, segment_ids, name=None)": ["segment_sum"],
    "(data, segment_ids, num_segments, name=None)": ["unsorted_segment_sum"],
}


@pytest.mark.parametrize("sig, names", TF_SIGNATURES.items())
def test_signatures_are_tfs(sig, names):
    for name in names:
        fn = getattr(m, name)
        assert str(inspect.signature(fn)) == sig, name
        assert fn.__name__ == name and fn.__doc__


def test_every_public_function_takes_name():
    for name in m.__all__:
        assert "name" in inspect.signature(getattr(m, name)).parameters, name


def test_keyword_and_positional_calls():
    x = np.array([[1.0, 2.0], [3.0, 5.0]], np.float32)
    np.testing.assert_array_equal(m.reduce_sum(input_tensor=x, axis=1, keepdims=True,
                                               name="s"), [[3.0], [8.0]])
    np.testing.assert_array_equal(m.reduce_sum(x, 0, True), [[4.0, 7.0]])
    np.testing.assert_allclose(m.reduce_logsumexp(input_tensor=x, axis=0, name="l"),
                               np.log(np.exp(x).sum(0)), rtol=1e-6)
    np.testing.assert_allclose(m.reduce_std(x, 1, name="s"), x.std(1), rtol=1e-6)
    np.testing.assert_allclose(m.reduce_variance(x, name="v"), x.var(), rtol=1e-6)
    np.testing.assert_array_equal(m.abs(x=-x, name="a"), x)
    np.testing.assert_array_equal(m.add(x=x, y=1.0, name="a"), x + 1)
    np.testing.assert_array_equal(m.pow(x, y=2, name="p"), x ** 2)
    np.testing.assert_allclose(m.erf(x, name="e"), m.erf(x), rtol=0)
    np.testing.assert_allclose(m.atan2(y=x, x=1.0, name="t"), np.arctan2(x, 1.0), rtol=1e-6)
    np.testing.assert_allclose(m.softplus(features=x, name="s"), np.log1p(np.exp(x)),
                               rtol=1e-6)
    np.testing.assert_array_equal(m.squared_difference(x, 1.0, name="d"), (x - 1) ** 2)
    assert int(m.argmax(x, axis=0, name="a")[1]) == 1
