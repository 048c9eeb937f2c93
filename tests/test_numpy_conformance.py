"""tapejit.numpy against NumPy itself: every function of tests/numpy_table.py over scalars,
empty arrays, broadcasting pairs and non-contiguous inputs in float32, float64, int32 and
bool (where NumPy takes them), values and result dtypes, eagerly and under tj.jit; then the
Tensor methods and operators, the documented dtype policy, and clear errors. Gradients of
the primitives are in the op table (tests/optable_numpy.py); compositions that capture
constant arrays are checked here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tests.numpy_table import BOOL, F16, F32, F64, I32, TABLE
from tests.optable import SPECIAL_VALUES, EveryOther, Transposed

RTOL = {np.dtype(F16): 2e-3, np.dtype(F32): 2e-5, np.dtype(F64): 1e-12}


def _draw(spec, dtype, domain, rng) -> np.ndarray:
    if isinstance(spec, Transposed):
        return _draw(spec.shape[::-1], dtype, domain, rng).T
    if isinstance(spec, EveryOther):
        return _draw((spec.n,), dtype, domain, rng)[::2]
    lo, hi = domain
    if dtype == BOOL:
        return np.asarray(rng.random(spec) < 0.5)
    if np.dtype(dtype).kind == "i":
        return np.asarray(rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, spec), dtype)
    return np.asarray(rng.uniform(lo, hi, spec), dtype)


def _calls(entry, dtype, seed=0):
    """(args, kwargs) for every shape spec and kwargs of the entry."""
    rng = np.random.default_rng(seed)
    for shapes in entry.shapes:
        args = [_draw(s, dtype, entry.domain, rng) for s in shapes]
        for kwargs in entry.kwargs:
            yield args, kwargs


def _special_args(entry, dtype):
    n = len(entry.shapes[0])
    grids = np.meshgrid(*[SPECIAL_VALUES.astype(dtype)] * n, indexing="ij")
    return [g.ravel() for g in grids]


def assert_like_numpy(got, want, what: str) -> None:
    """Same structure, shapes, dtypes and values (floats within the dtype's rounding)."""
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (what, got)
        for i, (g, w) in enumerate(zip(got, want)):
            assert_like_numpy(g, w, f"{what}[{i}]")
        return
    assert isinstance(got, tj.Tensor), f"{what}: got {type(got).__name__}, not a tensor"
    value, want = np.asarray(got.numpy()), np.asarray(want)
    assert value.shape == want.shape, f"{what}: shape {value.shape}, NumPy {want.shape}"
    assert value.dtype == want.dtype, f"{what}: dtype {value.dtype}, NumPy {want.dtype}"
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(value, want, err_msg=what)
        return
    finite = np.abs(want[np.isfinite(want)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    rtol = RTOL[want.dtype]
    np.testing.assert_allclose(value, want, rtol=rtol, atol=rtol * scale, equal_nan=True,
                               err_msg=what)


def _numpy(entry, args, kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's mean of an empty slice
        return entry.ref(*[np.array(a) for a in args], **kwargs)


def _describe(entry, args, kwargs) -> str:
    shapes = [a.shape if a.flags.c_contiguous else f"{a.shape} strided" for a in args]
    return f"{entry.name}{tuple(shapes)} {args[0].dtype} {kwargs or ''}"


PARAMS = [pytest.param(e, d, id=f"{e.id}-{np.dtype(d).name}") for e in TABLE for d in e.dtypes]


@pytest.mark.parametrize("entry,dtype", PARAMS)
def test_eager_matches_numpy(entry, dtype):
    for args, kwargs in _calls(entry, dtype):
        want = _numpy(entry, args, kwargs)
        with np.errstate(all="ignore"):
            got = entry.tnp(*args, **kwargs)
        assert_like_numpy(got, want, _describe(entry, args, kwargs))


@pytest.fixture
def kernels_as_python():
    """tj.jit traces, optimizes, fuses and generates kernels as usual, then runs the kernel
    source as Python: every function is checked under jit without a Numba compile each
    (test_jit_kernels_compile_with_numba compiles them)."""
    tj.config.update("disable_jit", "kernels")
    yield
    tj.config.update("disable_jit", False)


def _dtypes_of(value) -> set:
    if isinstance(value, (tuple, list)):
        return set().union(*map(_dtypes_of, value)) if value else set()
    return {np.asarray(value).dtype}


def _call_jitted(fn, args, want, what: str):
    """fn(*args), where the Numba backend may give up only on float16 (it has no float16
    arithmetic: such kernels run in the interpreter, with a warning)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        got = fn(*args)
    fallbacks = [str(w.message) for w in caught if "Numba kernel failed" in str(w.message)]
    if fallbacks and np.dtype(F16) not in _dtypes_of(want):
        raise AssertionError(f"{what}: the Numba kernel failed: {fallbacks[0]}")
    return got


JIT_PARAMS = [p for p in PARAMS if p.values[0].jit]


@pytest.mark.parametrize("entry,dtype", JIT_PARAMS)
def test_jit_matches_numpy(entry, dtype, kernels_as_python):
    for args, kwargs in _calls(entry, dtype, seed=1):
        want = _numpy(entry, args, kwargs)
        what = "jit " + _describe(entry, args, kwargs)
        fn = tj.jit(lambda *xs, kwargs=kwargs: entry.tnp(*xs, **kwargs))
        assert_like_numpy(_call_jitted(fn, args, want, what), want, what)


SPECIAL = [p for p in PARAMS if p.values[0].special and p.values[1] in (F32, F64)]


@pytest.mark.parametrize("entry,dtype", SPECIAL)
def test_special_values_match_numpy(entry, dtype):
    """NaN, +-inf, +-0 and extremes, in every combination for functions of two arguments."""
    args = _special_args(entry, dtype)
    for kwargs in entry.kwargs:
        with np.errstate(all="ignore"):
            got = entry.tnp(*args, **kwargs)
        assert_like_numpy(got, _numpy(entry, args, kwargs), _describe(entry, args, kwargs))


def test_the_table_covers_every_function_tapejit_numpy_exports():
    """Each public function of tapejit.numpy is in the table, or named here with where it
    is checked."""
    elsewhere = {
        # checked in tests/test_tensor.py and by the op table through tj's own functions
        "abs", "absolute", "add", "arctan2", "atan2", "cos", "divide", "dot", "exp", "expm1",
        "inner", "log", "log1p", "logaddexp", "matmul", "maximum", "minimum", "multiply",
        "negative", "outer", "pow", "power", "sin", "sqrt", "square", "subtract", "tan",
        "tanh", "tensordot", "true_divide", "vdot",
        # below in this file
        "arange", "array", "asarray", "empty", "empty_like", "eye", "full", "full_like",
        "geomspace", "identity", "linspace", "logspace", "ones", "ones_like", "tri", "zeros",
        "zeros_like", "broadcast_shapes", "concat", "shape", "ndim", "size", "asin", "acos",
        "atan", "asinh", "acosh", "atanh", "amax", "amin",
        # NumPy's dtype helpers, re-exported
        "dtype", "finfo", "iinfo", "promote_types",
        # tests/test_indexing.py
        "argmax", "argmin", "take", "take_along_axis", "put_along_axis",
        # tests/test_numpy_contractions.py
        "einsum",
        # tests/test_special_points.py
        "logaddexp2",
    }
    tested = {e.name for e in TABLE}
    functions = {n for n in tnp.__all__ if callable(getattr(tnp, n))
                 and not isinstance(getattr(tnp, n), type)}
    missing = {n for n in functions - elsewhere if not any(t == n or t.startswith(n + "_")
                                                              for t in tested)}
    assert not missing, f"tapejit.numpy functions not in the conformance table: {missing}"


# --- compiled with Numba ------------------------------------------------------------------

UNARY_UFUNCS = ["arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arctanh", "exp2",
                "log2", "log10", "cbrt", "floor", "ceil", "trunc", "rint", "fix", "sign",
                "signbit", "isnan", "isinf", "isfinite", "deg2rad", "sinc", "nan_to_num",
                "fabs", "logical_not"]
BINARY_UFUNCS = ["hypot", "fmod", "mod", "floor_divide", "fmax", "fmin", "copysign",
                 "float_power", "logical_xor", "greater", "not_equal"]


@pytest.mark.parametrize("dtype", [F32, F64, I32])
def test_jit_kernels_compile_with_numba(dtype):
    """The elementwise functions in one fused Numba kernel per dtype (no interpreter
    fallback), over non-contiguous and broadcast inputs, against NumPy."""
    rng = np.random.default_rng(5)
    x = _draw(Transposed((5, 4)), dtype, (-0.9, 0.9) if dtype != I32 else (-3, 3), rng)
    y = _draw((4,), dtype, (0.5, 2.0) if dtype != I32 else (-3, 3), rng)
    unary = [n for n in UNARY_UFUNCS if dtype != I32 or n not in ("arctanh", "log2", "log10")]

    def everything(a, b):
        return ([getattr(tnp, n)(a) for n in unary] + [getattr(tnp, n)(a, b) for n in
                                                      BINARY_UFUNCS])

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(everything)(x, y)
    assert "runs in the NumPy interpreter" not in tj.jit(everything).lower(x, y).source
    with np.errstate(all="ignore"):
        want = [getattr(np, n)(x) for n in unary] + [getattr(np, n)(x, y) for n in
                                                     BINARY_UFUNCS]
    for name, g, w in zip(unary + BINARY_UFUNCS, got, want):
        assert_like_numpy(g, w, f"numba {name} {np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", [F32, I32])
def test_array_level_functions_compile_with_numba(dtype):
    """Scans, sorts and order statistics in one Numba kernel, against NumPy."""
    x = _draw(Transposed((4, 5)), dtype, (-3, 3), np.random.default_rng(6))

    def arrays(a):
        return (tnp.cumsum(a, 0), tnp.cumprod(a, -1), tnp.sort(a, 0), tnp.argsort(a, -1),
                tnp.median(a, axis=1), tnp.prod(a, axis=0), tnp.diff(a), tnp.roll(a, 2, 1))

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(arrays)(x)
    want = (np.cumsum(x, 0), np.cumprod(x, -1), np.sort(x, 0), np.argsort(x, -1, kind="stable"),
            np.median(x, axis=1), np.prod(x, axis=0), np.diff(x), np.roll(x, 2, 1))
    assert_like_numpy(list(got), list(want), f"numba arrays {np.dtype(dtype).name}")


# --- methods and operators ------------------------------------------------------------------

METHOD_CALLS = [
    ("sum", (), {}), ("sum", (0,), {"keepdims": True}), ("mean", (), {"axis": 1}),
    ("max", (1,), {}), ("min", (), {}), ("prod", (), {"axis": 0}), ("std", (), {"ddof": 1}),
    ("var", (0,), {}), ("all", (), {}), ("any", (1,), {}), ("cumsum", (1,), {}),
    ("cumprod", (), {}), ("argsort", (), {"kind": "stable"}), ("reshape", (4, 3), {}),
    ("reshape", ((2, 6),), {}), ("reshape", (-1,), {}), ("transpose", (), {}),
    ("transpose", (1, 0), {}), ("transpose", ((1, 0),), {}), ("ravel", (), {}),
    ("flatten", (), {}), ("squeeze", (), {}), ("swapaxes", (0, 1), {}),
    ("repeat", (2,), {"axis": 0}), ("diagonal", (1,), {}), ("trace", (), {}),
    ("clip", (-1, 1), {}), ("round", (1,), {}), ("copy", (), {}), ("astype", (np.int8,), {}),
    ("conj", (), {}), ("conjugate", (), {}), ("take", ([2, 0],), {"axis": 1}),
    ("take", ([5, -1],), {}), ("argpartition", (1,), {"axis": 0}),
    ("compress", ([True, False, True],), {"axis": 0}), ("compress", ([False, True],), {}),
]


@pytest.mark.parametrize("name,args,kwargs", METHOD_CALLS, ids=lambda v: str(v))
def test_tensor_methods_match_ndarray_methods(name, args, kwargs):
    a = np.random.default_rng(2).normal(size=(3, 4))
    want = getattr(a, name)(*args, **kwargs)
    assert_like_numpy(getattr(tnp.asarray(a), name)(*args, **kwargs), want, name)
    jitted = tj.jit(lambda x: getattr(x, name)(*args, **kwargs))
    assert_like_numpy(jitted(a), want, f"jit {name}")


def test_tensor_methods_of_numpy_2_and_sorted_data_match_ndarrays():
    a = np.random.default_rng(3).normal(size=(2, 3, 4))
    t = tnp.asarray(a)
    for name in ("real", "imag", "mT"):
        assert_like_numpy(getattr(t, name), getattr(a, name), name)
    flat = np.sort(a.ravel())
    assert_like_numpy(tnp.asarray(flat).searchsorted(a[0], side="right"),
                      flat.searchsorted(a[0], side="right"), "searchsorted")
    index = np.array([[0, 1], [1, 0]])
    assert_like_numpy(tnp.asarray(index).choose([a[0, :2, :2], a[1, :2, :2]]),
                      index.choose([a[0, :2, :2], a[1, :2, :2]]), "choose")


@pytest.mark.parametrize("name", ["sort", "partition", "fill", "put", "resize"])
def test_in_place_ndarray_methods_are_refused_with_the_functional_form(name):
    with pytest.raises(TypeError, match=f"immutable: ndarray.{name} changes the array in place"):
        getattr(tnp.asarray(np.ones(3)), name)(1)


def test_tensor_properties_and_conversions():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = tnp.asarray(a)
    assert x.nbytes == a.nbytes and x.itemsize == 4 and x.ndim == 2 and x.size == 12
    assert x.item(5) == a.item(5) and isinstance(x[1, 2].item(), float)
    assert x.tolist() == a.tolist()
    assert x.dot(x.T).numpy().tolist() == a.dot(a.T).tolist()
    assert tuple(x.nonzero()[1].numpy()) == tuple(a.nonzero()[1])
    with pytest.raises(tj.TracerArrayError, match="item"):
        tj.jit(lambda v: v.item())(a)
    with pytest.raises(TypeError, match="immutable"):
        x.sort()


def test_argmax_methods_come_with_the_gather_family():
    x = tnp.asarray(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    if hasattr(tnp, "argmax"):
        assert x.argmax(1).numpy().tolist() == [1, 0] and x.argmin().numpy() == 4
    else:
        with pytest.raises(NotImplementedError, match="argmax"):
            x.argmax()


PAIRS = [(7, 3), (-7, 3), (7, -3), (-7, -3), (0, 3), (7, 0), (-7, 0), (0, 0)]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_mod_and_floordiv_operators_are_pythons(dtype):
    """% and // follow Python (NumPy) for every sign, and give NumPy's result (0 for
    integers, NaN or inf for floats) when dividing by zero."""
    a = np.array([p[0] for p in PAIRS] + [1], dtype)
    b = np.array([p[1] for p in PAIRS] + ([1] if dtype in (np.int32, np.int64) else [0.1]),
                 dtype)
    x, y = tj.constant(a), tj.constant(b)
    with np.errstate(all="ignore"):
        for got, want in [(x % y, a % b), (x // y, a // b), (divmod(x, y)[0], a // b),
                          (divmod(x, y)[1], a % b), (7 % y, 7 % b), (x // 2, a // 2)]:
            assert got.dtype == dtype
            np.testing.assert_array_equal(got.numpy(), want)
            assert np.array_equal(np.signbit(got.numpy()), np.signbit(want))
    jitted = tj.jit(lambda u, v: (u % v, u // v))(a, b)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(jitted[0].numpy(), a % b)
        np.testing.assert_array_equal(jitted[1].numpy(), a // b)


def test_operators_keep_the_tf_policy():
    """Operators promote as tj does (int32 % 2.5 is float32); booleans are rejected."""
    assert (tj.constant([5, 7]) % 2.5).dtype == np.float32
    assert (tj.constant([5, 7]) // 2).dtype == np.int32
    assert (tj.constant(np.array([5.0], np.float16)) % 2).dtype == np.float16
    with pytest.raises(tj.DTypeError, match="mod"):
        tj.constant([True]) % tj.constant([True])


def test_python_rounding_builtins_give_tensors():
    x = tj.constant(np.array([-2.5, -0.5, 0.5, 1.5, 2.675]))
    assert round(x).numpy().tolist() == np.round(x.numpy()).tolist()
    assert round(x, 2).numpy().tolist() == np.round(x.numpy(), 2).tolist()
    import math
    assert math.floor(x).numpy().tolist() == np.floor(x.numpy()).tolist()
    assert math.ceil(x).numpy().tolist() == np.ceil(x.numpy()).tolist()
    assert math.trunc(x).numpy().tolist() == np.trunc(x.numpy()).tolist()


# --- dtype policy, creation, errors ---------------------------------------------------------

def test_scalar_types_are_numpys():
    x = tnp.asarray(np.ones(2, np.float32))
    assert x.dtype.type is tnp.float32 and tnp.float64 is np.float64 and tnp.bool is np.bool_
    assert tnp.zeros(2, tnp.int16).dtype.type is tnp.int16


@pytest.mark.parametrize("call", [
    lambda: tnp.sin(1j), lambda: tnp.asarray([1.0, 2j]), lambda: tnp.add(np.ones(2), 1j),
    lambda: tnp.zeros(2, dtype=complex), lambda: tnp.asarray(np.ones(2, np.complex64)),
    lambda: tnp.sum(np.ones(2, np.complex128)), lambda: tnp.astype(np.ones(2), "complex64"),
])
def test_complex_numbers_are_a_clear_dtype_error(call):
    with pytest.raises(tj.DTypeError, match="complex") as info:
        call()
    assert "fix" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda o: tnp.sum(np.ones(3), out=o), lambda o: tnp.floor(np.ones(3), o),
    lambda o: tnp.hypot(np.ones(3), np.ones(3), out=o), lambda o: tnp.cumsum(np.ones(3), out=o),
    lambda o: tnp.clip(np.ones(3), 0, 1, out=o), lambda o: tnp.round(np.ones(3), out=o),
    lambda o: tnp.var(np.ones(3), out=o), lambda o: tnp.concatenate([np.ones(3)], out=o),
])
def test_out_arguments_are_rejected_clearly(call):
    with pytest.raises(TypeError, match="out= is not supported") as info:
        call(np.empty(3))
    assert "fix" in str(info.value)


def test_data_dependent_shapes_are_eager_only():
    cond = np.array([[True, False], [False, True]])
    rows, cols = tnp.where(cond)
    assert rows.numpy().tolist() == [0, 1] and cols.numpy().tolist() == [0, 1]
    for fn in (tnp.where, tnp.nonzero, tnp.argwhere, tnp.flatnonzero):
        with pytest.raises(tj.TracerArrayError, match="three-argument") as info:
            tj.jit(fn)(cond)
        assert "fix" in str(info.value)


def test_numpy_errors_for_invalid_reductions_and_shapes():
    with pytest.raises(ValueError, match="zero-size array"):
        tnp.max(np.ones((0, 3)), axis=0)
    with pytest.raises(ValueError, match="equal division"):
        tnp.split(np.ones(5), 2)
    with pytest.raises(ValueError, match="cannot select an axis to squeeze"):
        tnp.squeeze(np.ones((2, 3)), 0)
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        tnp.average(np.ones(2), weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="both or neither"):
        tnp.where(np.ones(2) > 0, 1.0)


def test_python_numbers_follow_the_documented_policy():
    """Weak Python numbers take the array's dtype when its kind holds them (as NumPy); where
    NumPy would default to float64/int64, tapejit.numpy gives float32/int32."""
    f32, i32 = np.ones(3, np.float32), np.ones(3, np.int32)
    assert tnp.add(f32, 2.5).dtype == np.float32 == np.add(f32, 2.5).dtype
    assert tnp.mod(i32, 2).dtype == np.int32 == np.mod(i32, 2).dtype
    assert tnp.add(i32, 2.5).dtype == np.float32 != np.add(i32, 2.5).dtype
    assert tnp.hypot(3, 4).dtype == np.float64 and tnp.hypot(3.0, 4.0).dtype == np.float32
    assert tnp.asarray([1.0, 2.0]).dtype == np.float32 and tnp.asarray([1, 2]).dtype == np.int32
    assert tnp.zeros(3).dtype == np.float64 and tnp.eye(2).dtype == np.float64


CREATION = [
    (lambda m: m.eye(3, 4, 1), None), (lambda m: m.eye(3, dtype=np.int32, k=-1), None),
    (lambda m: m.identity(3), None), (lambda m: m.tri(3, 2, 0, np.float32), None),
    (lambda m: m.zeros((2, 3), np.int8), None), (lambda m: m.ones(3), None),
    (lambda m: m.full((2, 2), np.float32(7)), None),
    (lambda m: m.full((2, 3), np.array([1, 2, 3], np.int32)), None),
    (lambda m: m.zeros_like(np.ones((2, 3), np.int32), shape=(4,)), None),
    (lambda m: m.full_like(np.ones(3, np.float32), 2.5), None),
    (lambda m: m.empty((2, 3)).shape, "shape"), (lambda m: m.empty_like(np.ones(3)).shape, "shape"),
    (lambda m: m.arange(np.int32(5)), None),
    (lambda m: m.linspace(np.float64(0), np.float64(1), 5), None),
    (lambda m: m.linspace(np.int32(0), np.int32(9), 4), None),
    (lambda m: m.linspace(np.zeros(2), np.ones(2), 3, axis=1), None),
    (lambda m: m.logspace(np.float64(0), np.float64(2), 3), None),
    (lambda m: m.logspace(np.float64(0), np.float64(3), 4, base=np.float64(2), endpoint=False),
     None),
    (lambda m: m.geomspace(np.float64(1), np.float64(1000), 4), None),
    (lambda m: m.geomspace(np.float64(-1), np.float64(-16), 5), None),
    (lambda m: m.geomspace(np.array([1.0, 2.0]), np.array([8.0, 32.0]), 3, axis=-1), None),
    (lambda m: m.broadcast_shapes((3, 1), (4,)), "shape"),
    (lambda m: (m.shape(np.ones((2, 3))), m.ndim(np.ones((2, 3))), m.size(np.ones((2, 3)), 0)),
     "shape"),
]


@pytest.mark.parametrize("call,kind", CREATION)
def test_creation_and_shape_queries_match_numpy(call, kind):
    got, want = call(tnp), call(np)
    if kind == "shape":
        assert got == want
    else:
        assert_like_numpy(got, want, "creation")


def test_asin_style_names_are_numpy_2_aliases():
    for short, long in [("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"),
                        ("asinh", "arcsinh"), ("acosh", "arccosh"), ("atanh", "arctanh"),
                        ("amax", "max"), ("amin", "min"), ("concat", "concatenate")]:
        assert getattr(tnp, short) is getattr(tnp, long)


# --- gradients of compositions that capture constant arrays ----------------------------

GRADIENTS = [
    ("tril_triu", lambda x: tnp.tril(x, -1) * 2.0 + tnp.triu(x, 1), [(3, 4)]),
    ("logspace", lambda a, b: tnp.logspace(a, b, 5, base=2.0), [(), ()]),
    ("geomspace", lambda a, b: tnp.geomspace(a * a + 1.0, b * b + 2.0, 4), [(2,), (2,)]),
    ("linspace", lambda a, b: tnp.linspace(a, b, 4, endpoint=False, axis=-1), [(3,), (3,)]),
    ("diff_prepend", lambda x: tnp.diff(x, axis=0, prepend=0.5), [(3, 2)]),
    ("trace", lambda x: tnp.trace(x, -1), [(4, 3)]),
    ("quantile", lambda x: tnp.percentile(x, [10.0, 75.0], axis=-1, keepdims=True), [(2, 5)]),
    ("average_returned", lambda x: tnp.average(x, axis=0, returned=True)[0], [(3, 2)]),
    ("nan_to_num", lambda x: tnp.nan_to_num(tnp.log(x)), [(5,)]),
    ("meshgrid", lambda a, b: tnp.meshgrid(a, b)[0] * tnp.meshgrid(a, b)[1], [(2,), (3,)]),
    ("round_decimals", lambda x: tnp.round(x, 2) + x, [(4,)]),
    ("full", lambda x: tnp.full((2, 3), x) * x, [()]),
    ("prod", lambda x: tnp.prod(x, axis=(0, 2)), [(2, 3, 2)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_of_compositions_match_finite_differences(name, fn, shapes):
    rng = np.random.default_rng(4)
    args = [rng.uniform(0.5, 2.0, s) for s in shapes]
    tj.testing.check_grads(fn, args, order=2)
    tj.testing.check_grads(tj.jit(fn), args, order=1, modes=("rev",))
