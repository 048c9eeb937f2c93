"""The utilities group of tapejit.numpy beyond the conformance table: gradients of the set
routines' values and of histogram weights (finite differences), histograms eagerly and under
jit against NumPy on values lying on the edges, NumPy's errors, the documented differences
(Python numbers in result_type, no data to check under jit), the in-place refusals, the
re-exported scalar types, and one real Numba compile."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp


@pytest.fixture
def kernels_as_python():
    """tj.jit generates kernels as usual and runs their source as Python (no Numba compile;
    test_histograms_compile_with_numba compiles them)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _same(got, want, what: str = "") -> None:
    """Same shapes, dtypes and values (bit for bit, NaN equal to NaN)."""
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        value, w = np.asarray(g.numpy()), np.asarray(w)
        assert value.shape == w.shape and value.dtype == w.dtype, (what, value, w)
        np.testing.assert_array_equal(value, w, err_msg=what)


# --- set routines -----------------------------------------------------------------------

DISJOINT = (np.array([[0.3, 2.5, -1.25], [4.0, 0.7, 7.5]]), np.array([1.5, -2.0, 9.0, 1.75]))


def _central_differences(loss, args, eps=1e-6):
    """d loss / d args by central differences, one element at a time (eagerly: the set
    routines cannot be traced, as tj.testing.check_grads does)."""
    grads = []
    for k, arg in enumerate(args):
        grad = np.zeros_like(arg)
        for i in np.ndindex(arg.shape):
            shifted = [[a.copy() for a in args] for _ in (0, 1)]
            shifted[0][k][i] += eps
            shifted[1][k][i] -= eps
            grad[i] = (float(loss(*shifted[0])) - float(loss(*shifted[1]))) / (2 * eps)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("name", ["union1d", "setdiff1d", "setxor1d", "intersect1d"])
def test_set_routine_values_have_finite_difference_gradients(name):
    ar1, ar2 = DISJOINT
    if name == "intersect1d":  # ar2's shared element moves with ar1's in the differences
        ar2 = np.concatenate([ar2, ar1[0, :1]])
        weights = np.array([3.0])
        def loss(a, b):
            return tnp.sum(tnp.intersect1d(a, tnp.where(b == ar1[0, 0], a[0, 0], b)) ** 2
                           * weights)
    else:
        weights = np.linspace(1.0, 2.0, getattr(np, name)(ar1, ar2).size)
        def loss(a, b):
            return tnp.sum(getattr(tnp, name)(a, b) ** 2 * weights)
    got = tj.grad(loss, argnums=(0, 1))(ar1, ar2)
    want = _central_differences(loss, [ar1, ar2])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name,kwargs", [("intersect1d", {}), ("union1d", {}),
                                         ("setxor1d", {}), ("setdiff1d", {}),
                                         ("setdiff1d", dict(assume_unique=True))])
def test_a_shared_values_gradient_reaches_its_first_occurrence_in_ar1(name, kwargs):
    """Values present in both arrays (or repeated) are taken from ar1's first copy."""
    ar1 = np.array([8.0, 3.0, 1.0, 5.0] if kwargs else [3.0, 1.0, 3.0, 5.0, 1.0, 8.0])
    ar2 = np.array([1.0, 2.0, 3.0, 3.0])
    values = getattr(np, name)(ar1, ar2, **kwargs)
    weights = np.arange(1.0, values.size + 1.0)
    grads = tj.grad(lambda a, b: tnp.sum(getattr(tnp, name)(a, b, **kwargs) * weights),
                    argnums=(0, 1))(ar1, ar2)
    joined = np.concatenate([ar1, ar2])
    want = np.zeros(joined.size)
    np.add.at(want, [np.flatnonzero(joined == v)[0] for v in values], weights)
    np.testing.assert_array_equal(np.concatenate([grads[0].numpy(), grads[1].numpy()]), want)


def test_intersect1d_indices_are_numpys_and_the_values_gathered_from_them():
    ar1, ar2 = np.array([[4, 1], [4, 9]], np.int32), np.array([9, 4, 4, 2], np.int32)
    got = tnp.intersect1d(tnp.asarray(ar1), ar2, return_indices=True)
    _same(got, np.intersect1d(ar1, ar2, return_indices=True))


@pytest.mark.parametrize("name", ["intersect1d", "union1d", "setdiff1d", "setxor1d"])
def test_set_routines_refuse_tracing_with_a_fix(name):
    with pytest.raises(tj.TracerArrayError, match="cannot be compiled") as info:
        tj.jit(getattr(tnp, name))(np.array([1.0, 2.0]), np.array([2.0]))
    assert "fix" in str(info.value)


# --- histograms -------------------------------------------------------------------------

def _on_edges(dtype, bins, bounds=None):
    """Random data and values lying exactly on NumPy's edges (and beyond the range)."""
    data = np.random.default_rng(7).normal(0, 3, 40).astype(dtype)
    edges = np.histogram_bin_edges(data, bins, bounds).astype(dtype)
    outside = np.array([] if bounds is None else [bounds[0] - 1, bounds[1] + 1])
    return np.concatenate([data, edges, outside.astype(dtype)]).astype(dtype)


HISTOGRAM_CASES = [
    (np.float32, dict(bins=7)), (np.float64, dict(bins=13)), (np.int32, dict(bins=5)),
    (np.float32, dict(bins=9, range=(-2.0, 2.0))), (np.float64, dict(bins=3, range=(-1, 4))),
    (np.float32, dict(bins=6, range=(np.float64(-0.1), np.float64(2.3)))),
    (np.int64, dict(bins=4, range=(-3, 3))), (np.uint8, dict(bins=10)),
    (np.int8, dict(bins=3, range=(-200, 300))),
]


@pytest.mark.parametrize("dtype,kwargs", HISTOGRAM_CASES)
def test_histogram_bins_values_on_edges_as_numpy_eagerly_and_under_jit(dtype, kwargs,
                                                                       kernels_as_python):
    data = _on_edges(dtype, kwargs["bins"], kwargs.get("range"))
    want = np.histogram(data, **kwargs)
    _same(tnp.histogram(data, **kwargs), want, "eager")
    _same(tj.jit(lambda x: tnp.histogram(x, **kwargs))(data), want, "jit")
    weights = np.linspace(-1.0, 1.0, data.size).astype(np.float32)
    want = np.histogram(data, weights=weights, **kwargs)
    _same(tj.jit(lambda x, w: tnp.histogram(x, weights=w, **kwargs))(data, weights), want)


@pytest.mark.parametrize("data", [np.array([7, 7, 7], np.int32), np.array([2.5, 2.5]),
                                  np.array([-128, 127], np.int8),
                                  np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max]),
                                  np.array([-2**62, 2**62 + 5, 3])])
def test_histogram_of_one_value_or_extreme_integers_is_numpys(data, kernels_as_python):
    _same(tnp.histogram(data, bins=4), np.histogram(data, bins=4), "eager")
    _same(tj.jit(lambda x: tnp.histogram(x, bins=4))(data), np.histogram(data, bins=4), "jit")


def test_histogram_weights_have_finite_difference_gradients(kernels_as_python):
    x = np.array([0.1, 0.5, 0.7, 0.2, 0.9, 1.0, -4.0])
    w = np.array([0.5, 1.0, 2.0, -1.0, 0.25, 3.0, 8.0])
    for kwargs in (dict(bins=3), dict(bins=4, range=(0.0, 1.0), density=True),
                   dict(bins=np.array([0.0, 0.3, 1.0])),
                   dict(bins=np.array([-5.0, 0.0, 0.6, 1.0]), density=True)):
        fn = lambda v, kwargs=kwargs: tnp.histogram(x, weights=v, **kwargs)[0]  # noqa: E731
        tj.testing.check_grads(fn, [w], order=2)
        tj.testing.check_grads(tj.jit(fn), [w], order=1, modes=("rev",))


def test_histogramdd_and_2d_weights_have_finite_difference_gradients(kernels_as_python):
    points = np.random.default_rng(5).normal(size=(7, 2))
    w = np.linspace(-1.0, 2.0, 7)
    for fn in (lambda v: tnp.histogramdd(points, (2, np.array([-1.0, 0.0, 3.0])), weights=v,
                                         density=True)[0],
               lambda v: tnp.histogram2d(points[:, 0], points[:, 1], 3, weights=v)[0]):
        tj.testing.check_grads(fn, [w], order=2)
        tj.testing.check_grads(tj.jit(fn), [w], order=1, modes=("rev",))


HISTOGRAMDD_ERRORS = [
    dict(bins=0), dict(bins=2.5), dict(bins=[2, 3, 4]), dict(range=[(0, 1)]),
    dict(bins=[np.array([2.0, 1.0]), 2]), dict(bins=[np.ones((2, 2)), 2]),
    dict(weights=np.ones(3)), dict(range=[(1, 0), None]),
]


@pytest.mark.parametrize("kwargs", HISTOGRAMDD_ERRORS, ids=str)
def test_histogramdd_raises_numpys_errors(kwargs):
    sample = np.random.default_rng(1).normal(size=(5, 2))
    with pytest.raises(Exception) as numpy_error:
        np.histogramdd(sample, **kwargs)
    with pytest.raises(numpy_error.type) as info:
        tnp.histogramdd(sample, **kwargs)
    assert "fix" in str(info.value)


def test_histogram_edges_follow_the_data_range_in_gradients():
    """The edges are linspace(min(a), max(a)): their gradient reaches the extremes."""
    a = np.array([0.5, 3.0, -1.0, 2.0])
    tj.testing.check_grads(lambda v: tnp.histogram_bin_edges(v, bins=3), [a], order=1)


def test_non_finite_data_raise_eagerly_and_give_nan_edges_under_jit(kernels_as_python):
    data = np.array([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="autodetected range"):
        np.histogram(data)
    with pytest.raises(ValueError, match="autodetected range"):
        tnp.histogram(data)
    counts, edges = tj.jit(lambda x: tnp.histogram(x, bins=3))(np.array([1.0, np.inf, 2.0]))
    assert np.isnan(edges.numpy()).all() and not counts.numpy().any()
    _same(tj.jit(lambda x: tnp.histogram(x, range=(0, 3)))(data), np.histogram(data, range=(0, 3)))


def test_bool_data_are_counted_as_uint8_with_numpys_warning():
    data = np.array([True, False, True])
    with pytest.warns(RuntimeWarning, match="Converting input from bool"):
        got = tnp.histogram(data, bins=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(got, np.histogram(data, bins=2))


HISTOGRAM_ERRORS = [
    dict(bins=0), dict(bins=2.5), dict(bins=[[0.0, 1.0]]), dict(bins=[2.0, 1.0]),
    dict(range=(2.0, 1.0)), dict(range=(0.0, np.inf)), dict(weights=np.ones(2)),
    dict(bins="auto", weights=np.ones(4)), dict(bins="nonsense"),
    dict(bins=3, range=(1e8, 1e8 + 1e-8)),
]


@pytest.mark.parametrize("kwargs", HISTOGRAM_ERRORS, ids=str)
def test_histogram_raises_numpys_errors(kwargs):
    data = np.array([1.0, 2.0, 3.0, 5.0], np.float32)
    with pytest.raises(Exception) as numpy_error:
        np.histogram(data, **kwargs)
    with pytest.raises(numpy_error.type) as info:
        tnp.histogram(data, **kwargs)
    assert "fix" in str(info.value)


@pytest.mark.parametrize("call", [lambda x: tnp.histogram(x, bins="auto"),
                                  lambda x: tnp.histogram(x, bins=tnp.sum(x > 0)),
                                  lambda x: tnp.histogram(x, range=(tnp.min(x), 2.0))])
def test_what_needs_the_data_refuses_tracing_with_a_fix(call):
    with pytest.raises(tj.TracerArrayError) as info:
        tj.jit(call)(np.array([1.0, 2.0]))
    assert "fix" in str(info.value)


def test_boolean_weights_with_edges_raise_as_in_numpy():
    data, weights, bins = np.array([0.5, 1.5]), np.array([True, False]), np.array([0., 1., 2.])
    with pytest.raises(TypeError):
        np.histogram(data, bins, weights=weights)
    with pytest.raises(TypeError, match="bool"):
        tnp.histogram(data, bins, weights=weights)


def test_histograms_compile_with_numba():
    """Equal bins with weights, given edges and density in one Numba program."""
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=20), rng.uniform(size=20).astype(np.float32)
    edges = np.array([-2.0, -0.5, 0.0, 0.25, 2.0])

    def histograms(a, v):
        return (*tnp.histogram(a, 6, weights=v), tnp.histogram(a, edges, density=True)[0])

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(histograms)(x, w)
    assert "runs in the NumPy interpreter" not in tj.jit(histograms).lower(x, w).source
    want = (*np.histogram(x, 6, weights=w), np.histogram(x, edges, density=True)[0])
    for g, v in zip(got, want):
        assert g.dtype == v.dtype
        np.testing.assert_allclose(g.numpy(), v, rtol=1e-6)


# --- conversions and dtype utilities ----------------------------------------------------

@pytest.mark.parametrize("data", [np.array([1.0, np.nan]), np.array([np.inf], np.float32)])
def test_asarray_chkfinite_raises_eagerly_and_passes_values_under_jit(data):
    with pytest.raises(ValueError, match="infs or NaNs"):
        np.asarray_chkfinite(data)
    with pytest.raises(ValueError, match="infs or NaNs"):
        tnp.asarray_chkfinite(tnp.asarray(data))
    got = tj.jit(tnp.asarray_chkfinite)(data)
    np.testing.assert_array_equal(got.numpy(), data)


@pytest.mark.parametrize("call,error", [
    (lambda m: m.require(np.ones(2), requirements="CF"), ValueError),
    (lambda m: m.require(np.ones(2), requirements=["C", "nonsense"]), KeyError),
    (lambda m: m.asanyarray([1.0], device="gpu"), ValueError),
    (lambda m: m.result_type(), ValueError),
    (lambda m: m.can_cast(1.0, np.float32), TypeError),
    (lambda m: m.common_type(m.asarray(np.array([True]))), TypeError),
    (lambda m: m.issubdtype(m.asarray(np.ones(2)), np.floating), TypeError),
    (lambda m: m.isdtype(m.asarray(np.ones(2)), "real floating"), TypeError),
])
def test_conversions_and_dtype_utilities_raise_numpys_errors(call, error):
    with pytest.raises(error):
        call(np)
    with pytest.raises(error):
        call(tnp)


def test_require_refuses_a_writeable_tensor():
    with pytest.raises(TypeError, match="immutable") as info:
        tnp.require(np.ones(2), requirements=["C", "W"])
    assert "fix" in str(info.value)


@pytest.mark.parametrize("other", [1.0, 2, True, [1.5, 2.0, 0.5], np.float64(1), "f2"])
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.float16, np.float32, np.bool_])
def test_result_type_is_the_dtype_tapejit_numpy_gives(dtype, other):
    """NumPy's answer for arrays and dtypes; with Python numbers, tapejit's (arguments.py):
    the dtype tnp.add gives."""
    x = tnp.asarray(np.ones(3, dtype))
    got = tnp.result_type(x, other)
    if isinstance(other, (np.generic, str)):
        assert got == np.result_type(np.ones(3, dtype), other)
    if not isinstance(other, str):
        assert got == tnp.add(x, other).dtype


def test_result_type_of_python_floats_and_integers_is_float32_as_tapejit_computes():
    integers = tnp.asarray(np.ones(2, np.int32))
    assert tnp.result_type(integers, 1.0) == np.float32 != np.result_type(np.int32, 1.0)
    assert tnp.result_type(1.0) == np.float32 and tnp.result_type(1) == np.int32


def test_min_scalar_type_of_a_traced_0d_tensor_refuses_with_a_fix():
    assert tnp.min_scalar_type(tnp.asarray(np.float64(3.0))) == np.float16
    with pytest.raises(tj.TracerArrayError, match="min_scalar_type") as info:
        tj.jit(lambda x: tnp.zeros((), tnp.min_scalar_type(x)))(np.float64(3.0))
    assert "fix" in str(info.value)


def test_numpys_real_scalar_types_are_exported():
    """Every scalar type NumPy has, abstract or C-named, except those of kinds tapejit does
    not compute on (complex, strings, objects, dates, extended precision)."""
    unsupported = (np.complexfloating, np.flexible, np.object_, np.datetime64,
                   np.timedelta64, np.longdouble)
    names = [n for n in dir(np) if isinstance(getattr(np, n), type)
             and issubclass(getattr(np, n), np.generic)
             and not issubclass(getattr(np, n), unsupported)]
    assert {"floating", "integer", "double", "intc", "longlong", "half", "uint"} <= set(names)
    for name in names:
        assert getattr(tnp, name) is getattr(np, name), name
    assert isinstance(tnp.asarray(np.ones(2, np.float32)).dtype.type(1), tnp.floating)


# --- in-place functions -----------------------------------------------------------------

IN_PLACE_CALLS = [
    ("fill_diagonal", lambda a: tnp.fill_diagonal(a, 0.0), "diag_indices"),
    ("put", lambda a: tnp.put(a, [0, 2], [1.0, 2.0]), ".at["),
    ("putmask", lambda a: tnp.putmask(a, a > 1, 0.0), "tnp.where"),
    ("place", lambda a: tnp.place(a, a > 1, [0.0]), ".at[mask]"),
    ("copyto", lambda a: tnp.copyto(a, 1.0), "tnp.where"),
]


@pytest.mark.parametrize("name,call,fix", IN_PLACE_CALLS, ids=[c[0] for c in IN_PLACE_CALLS])
@pytest.mark.parametrize("array", [np.arange(9.0).reshape(3, 3), tnp.ones((3, 3))],
                         ids=["ndarray", "tensor"])
def test_in_place_functions_are_refused_naming_the_functional_form(name, call, fix, array):
    with pytest.raises(TypeError, match=f"immutable: np.{name} changes") as info:
        call(array)
    assert fix in str(info.value).split("fix:")[1]
