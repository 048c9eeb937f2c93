"""tapejit.numpy's contractions (dot, matmul, tensordot, inner, outer, vdot, einsum) and
tj.tensordot / tj.einsum against NumPy itself: values, shapes and dtypes over scalars, vectors,
matrices, N-d, empty and broadcast operands, contiguous or not, eagerly and under tj.jit;
their gradients against finite differences; bad inputs raise NumPy's kind of error, clearly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tapejit.ops.numpy_policy import result_dtype


def _case(fn, shapes, *args):
    shown = "x".join(str(list(s)).replace(" ", "") for s in shapes)
    return pytest.param(fn, shapes, args, id=f"{fn}-{shown}-{'-'.join(map(str, args))}")


CASES = [
    *(_case("dot", s) for s in [
        ((), ()), ((), (3,)), ((2, 3), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
        ((2, 3), (3, 4)), ((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 4)), ((4, 2, 3), (3,)),
        ((3,), (2, 3, 4)), ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((3,), (2, 3, 0))]),
    *(_case("matmul", s) for s in [
        ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
        ((2, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2)), ((0, 2, 3), (3, 4)), ((2, 0), (0, 3))]),
    _case("tensordot", ((2, 3, 4), (3, 4, 5))),
    *(_case("tensordot", s, axes) for s, axes in [
        (((2, 3), (3, 2)), 1), (((2, 3), (4, 5)), 0), (((), ()), 0), (((2, 3), (3, 2)), -1),
        (((2, 3), (2, 3)), ((0, 1), (0, 1))), (((2, 3, 4), (4, 3)), ((-1, -2), (0, 1))),
        (((2, 3), (3, 2)), (1, 0)), (((2, 3), (3, 2)), [[1], [0]]), (((0, 3), (3, 0)), 1),
        (((2, 3, 4), (4, 2, 3)), ((0, 1, 2), (1, 2, 0))), (((3, 4), (3, 4, 5)), 2)]),
    *(_case("inner", s) for s in [
        ((), (3,)), ((3,), ()), ((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)),
        ((0, 3), (2, 3)), ((2, 0), (3, 0))]),
    *(_case("outer", s) for s in [((), ()), ((3,), (4,)), ((2, 3), (2, 2)), ((0,), (3,))]),
    *(_case("vdot", s) for s in [((), ()), ((3,), (3,)), ((2, 3), (3, 2)), ((0,), (0, 2))]),
    *(_case("einsum", s, subscripts) for subscripts, s in [
        ("ij,jk->ik", ((2, 3), (3, 4))), ("ij,jk", ((2, 3), (3, 4))), ("ii", ((3, 3),)),
        ("ii->i", ((3, 3),)), ("iij->ji", ((3, 3, 2),)), ("iii->i", ((2, 2, 2),)),
        ("ij->", ((2, 3),)), ("ji", ((2, 3),)), ("Ba", ((2, 3),)), ("i,j", ((2,), (3,))),
        ("i,i->i", ((3,), (3,))), ("i,i", ((3,), (1,))), ("ij,ij->ij", ((3, 1), (3, 4))),
        ("...ij,...jk->...ik", ((5, 2, 3), (3, 4))), ("...ij,...jk", ((2, 1, 2, 3), (4, 3, 2))),
        ("i...->...", ((2, 3, 4),)), ("...i,...i", ((2, 3), (4, 1, 3))), ("...,...", ((), (3,))),
        ("i->...i", ((3,),)), ("ij...->j...i", ((2, 3, 4, 5),)), (",i->i", ((), (3,))),
        ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))), ("i,i,i->", ((3,), (3,), (3,))),
        ("ijk,ikl,lj->", ((2, 3, 4), (2, 4, 5), (5, 3))), ("bij,bkj->bik", ((2, 3, 4), (2, 5, 4))),
        ("ijj,ik,k->ij", ((2, 3, 3), (2, 4), (4,))), ("ij,ij->", ((0, 3), (0, 3))),
        ("ij,jk->ik", ((2, 0), (0, 3))), ("ii,i->i", ((3, 3), (1,))), (" i j -> j ", ((2, 3),))]),
]

TF_CASES = [
    *(_case("tensordot", s, axes) for s, axes in [
        (((2, 3), (3, 2)), 1), (((2, 3, 4), (3, 4, 5)), 2), (((2, 3), (4, 5)), 0),
        (((2, 3), (3, 2)), [1, 0]), (((2, 3, 4), (4, 3)), [[-1, 1], [0, -1]]),
        (((2, 3, 4), (4, 3)), np.array([[2, 1], [0, 1]])), (((3, 3), (3, 3)), 2)]),
    *(_case("einsum", s, subscripts) for subscripts, s in [
        ("ij,jk->ik", ((2, 3), (3, 4))), ("ii->i", ((3, 3),)), ("...ij,...jk", ((5, 2, 3), (3, 4))),
        ("bij,bkj->bik", ((2, 3, 4), (2, 5, 4))), ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2)))]),
]

# one dtype per operand, cycled: NumPy promotes mixed operands (int32 with float32 is float64)
DTYPES = {"float64": [np.float64], "float32": [np.float32], "int32": [np.int32],
          "int32+float32": [np.int32, np.float32], "float32+float64": [np.float32, np.float64],
          "bool": [np.bool_]}


def _data(shapes, dtypes, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i, shape in enumerate(shapes):
        dtype = np.dtype(dtypes[i % len(dtypes)])
        if dtype.kind == "f":
            out.append(rng.uniform(-2, 2, shape).astype(dtype))
        elif dtype.kind == "b":
            out.append(rng.random(shape) < 0.5)
        else:
            out.append(rng.integers(-4, 5, shape).astype(dtype))
    return out


def _strided(a: np.ndarray) -> np.ndarray:
    """The same values, every other element of a larger buffer along the last axis."""
    if a.ndim == 0:
        return a
    buffer = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    buffer[..., ::2] = a
    return buffer[..., ::2]


def _transposed(a: np.ndarray) -> np.ndarray:
    """The same values, in Fortran order (a transposed view of a C-ordered array)."""
    return np.ascontiguousarray(a.T).T if a.ndim > 1 else a


LAYOUTS = [lambda a: a, _strided, _transposed]


def _call(module, fn: str, arrays, args):
    if fn == "einsum":
        return module.einsum(args[0], *arrays)
    return getattr(module, fn)(*arrays, *args)


def _assert_matches(got, want, where: str) -> None:
    got, want = np.asarray(got.numpy() if hasattr(got, "numpy") else got), np.asarray(want)
    assert got.shape == want.shape, f"{where}: shape {got.shape} != NumPy's {want.shape}"
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != NumPy's {want.dtype}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=where)
        return
    rtol = 1e-5 if want.dtype == np.float32 else 1e-12
    scale = float(np.max(np.abs(want), initial=1.0))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=where)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("fn,shapes,args", CASES)
def test_eager_matches_numpy(fn, shapes, args, dtype):
    arrays = _data(shapes, DTYPES[dtype])
    want = _call(np, fn, arrays, args)
    for layout in LAYOUTS:
        inputs = [layout(a) for a in arrays]
        _assert_matches(_call(tnp, fn, inputs, args), want, f"{layout.__name__} inputs")
        _assert_matches(_call(tnp, fn, [tj.constant(a) for a in inputs], args), want,
                        f"{layout.__name__} tensors")


# Under jit, a representative subset (each Numba call site costs compile time): scalars,
# vectors, N-d, empty, broadcast batch dims, diagonals, several operands.
JIT_CASES = [c for c in CASES if c.id.split("-")[:2] in [
    ["dot", "[]x[3]"], ["dot", "[2,3]x[2,3,4]"], ["dot", "[3]x[3]"], ["dot", "[0,3]x[3,4]"],
    ["matmul", "[2,1,2,3]x[4,3,2]"], ["matmul", "[3]x[3,4]"], ["tensordot", "[2,3,4]x[3,4,5]"],
    ["tensordot", "[2,3]x[4,5]"], ["tensordot", "[0,3]x[3,0]"], ["tensordot", "[2,3]x[2,3]"],
    ["inner", "[2,2,3]x[3]"], ["outer", "[2,3]x[2,2]"], ["vdot", "[2,3]x[3,2]"],
    ["einsum", "[3,3]"], ["einsum", "[2,1,2,3]x[4,3,2]"], ["einsum", "[2,3,3]x[2,4]x[4]"],
    ["einsum", "[3]x[1]"], ["einsum", "[0,3]x[0,3]"], ["einsum", "[2,3]x[3,4]x[4,2]"]]]


def _ran_a_kernel(jitted, args) -> bool:
    """Whether the signature of `args` runs its Numba kernel (not the interpreter)."""
    entry, _ = jitted._entry(tuple(args))
    return entry.executable.compiled


def _check_in_one_kernel(module, cases, dtype):
    """All cases in one jit function, inputs alternately strided and transposed; the
    kernel must compile (no fallback to the interpreter) and match NumPy."""
    data = [_data(shapes, DTYPES[dtype], seed) for seed, (_, shapes, _) in enumerate(cases)]
    flat = [LAYOUTS[1 + i % 2](a) for i, arrays in enumerate(data) for a in arrays]

    def all_cases(*xs):
        out, at = [], 0
        for fn, shapes, args in cases:
            out.append(_call(module, fn, xs[at:at + len(shapes)], args))
            at += len(shapes)
        return out

    compiled = tj.jit(all_cases)
    got = compiled(*flat)
    assert _ran_a_kernel(compiled, flat)
    for result, arrays, (fn, shapes, args) in zip(got, data, cases):
        want = _call(np, fn, arrays, [a.tolist() if isinstance(a, np.ndarray) else a
                                      for a in args])
        _assert_matches(result, want, f"jit {fn}{shapes}{args}")


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int32+float32"])
def test_jit_matches_numpy(dtype):
    assert len(JIT_CASES) == 20  # the selection above still names existing cases
    _check_in_one_kernel(tnp, [c.values for c in JIT_CASES], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@pytest.mark.parametrize("fn,shapes,args", TF_CASES)
def test_tf_names_match_numpy_eagerly(fn, shapes, args, dtype):
    arrays = _data(shapes, DTYPES[dtype])
    want = _call(np, fn, arrays, [a.tolist() if isinstance(a, np.ndarray) else a
                                  for a in args])
    for layout in LAYOUTS:
        _assert_matches(_call(tj, fn, [layout(a) for a in arrays], args), want, "eager")


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_tf_names_match_numpy_under_jit(dtype):
    _check_in_one_kernel(tj, [c.values for c in TF_CASES], dtype)


def test_mixed_python_numbers_follow_the_numpy_policy():
    """Python numbers are weak; where NumPy would default one to float64 tapejit gives
    float32 (ops/numpy_policy.py), with NumPy's values."""
    ints = np.arange(3, dtype=np.int32)
    for fn, number, got, want in [
            ("dot", 2.5, tnp.dot(ints, 2.5), np.dot(ints, 2.5)),
            ("inner", 2, tnp.inner(2, ints), np.inner(2, ints)),
            ("einsum", 1.5, tnp.einsum("i,", ints, 1.5), np.einsum("i,", ints, 1.5)),
            ("outer", 2, tnp.outer(ints, 2), np.outer(ints, 2)),
            ("tensordot", 0.5, tnp.tensordot(ints, 0.5, 0), np.tensordot(ints, 0.5, 0))]:
        assert got.dtype == result_dtype(ints, number), fn
        assert got.dtype == (np.float32 if isinstance(number, float) else np.int32), fn
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, err_msg=fn)


def test_einsum_dtype_and_the_interleaved_form():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.ones((3, 4), np.float32)
    for kwargs in [{}, {"dtype": np.float64}, {"dtype": np.int64, "casting": "same_kind"}]:
        if "casting" in kwargs:
            got, want = tnp.einsum("ij->i", a, **kwargs), np.einsum("ij->i", a, **kwargs)
        else:
            got, want = tnp.einsum("ij,jk", a, b, **kwargs), np.einsum("ij,jk", a, b, **kwargs)
        _assert_matches(got, want, str(kwargs))
    for args in [(a, [0, 1], b, [1, 2], [0, 2]), (a, [0, 1], b, [1, 2]),
                 (a, [Ellipsis, 27]), (a, [0, 26], [26, 0])]:
        _assert_matches(tnp.einsum(*args), np.einsum(*args), str(args[1:]))


def test_reported_cases():
    """The wrong numbers this work fixed: N-d dot, a scalar in dot, full contractions under
    jit (square and not)."""
    rng = np.random.default_rng(1)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 2, 3))
    _assert_matches(tnp.dot(a, b), np.dot(a, b), "dot(a, b)")
    _assert_matches(tnp.dot(c, b), np.dot(c, b), "dot(c, b)")
    _assert_matches(tnp.dot(2.0, b), np.dot(2.0, b), "dot(2.0, b)")
    full = tj.jit(lambda x, y: tj.tensordot(x, y, 2))
    for shape in [(3, 3), (2, 3), (4, 1)]:
        x, y = rng.normal(size=shape), rng.normal(size=shape)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback to the interpreter
            _assert_matches(full(x, y), np.tensordot(x, y, 2), f"jit full contraction {shape}")
        assert _ran_a_kernel(full, (x, y))


def _grad_cases():
    return [
        ("dot", lambda a, b: tnp.dot(a, b), [(2, 3), (2, 3, 4)]),
        ("dot scalar", lambda a, b: tnp.dot(a, b), [(), (2, 3)]),
        ("matmul", lambda a, b: tnp.matmul(a, b), [(2, 1, 2, 3), (4, 3, 2)]),
        ("tensordot", lambda a, b: tnp.tensordot(a, b, ((0, -1), (2, 0))), [(2, 3, 4), (4, 5, 2)]),
        ("tensordot full", lambda a, b: tnp.tensordot(a, b, 2), [(2, 3), (2, 3)]),
        ("inner", lambda a, b: tnp.inner(a, b), [(2, 2, 3), (4, 3)]),
        ("outer", lambda a, b: tnp.outer(a, b), [(2, 3), (2, 2)]),
        ("vdot", lambda a, b: tnp.vdot(a, b), [(2, 3), (3, 2)]),
        ("einsum diagonal", lambda a: tnp.einsum("iij->ji", a), [(3, 3, 2)]),
        ("einsum triple diagonal", lambda a: tnp.einsum("iii", a), [(2, 2, 2)]),
        ("einsum ellipsis", lambda a, b: tnp.einsum("...ij,...jk", a, b), [(2, 1, 2, 3),
                                                                          (4, 3, 2)]),
        ("einsum broadcast label", lambda a, b: tnp.einsum("ij,ij->j", a, b), [(3, 1), (3, 4)]),
        ("einsum three operands", lambda a, b, c: tnp.einsum("ijj,ik,k->ij", a, b, c),
         [(2, 3, 3), (2, 4), (4,)]),
        ("einsum chain", lambda a, b, c: tnp.einsum("ij,jk,kl->", a, b, c),
         [(2, 3), (3, 4), (4, 2)]),
        ("tj.tensordot", lambda a, b: tj.tensordot(a, b, [[-1, 0], [0, -1]]),
         [(2, 3, 4), (4, 2)]),
        ("tj.einsum", lambda a, b: tj.einsum("bij,bkj->bik", a, b), [(2, 3, 4), (2, 5, 4)]),
    ]


@pytest.mark.parametrize("name,fn,shapes", [pytest.param(*c, id=c[0]) for c in _grad_cases()])
def test_gradients_match_finite_differences(name, fn, shapes):
    """Forward and reverse mode, to order 2, in float64."""
    tj.testing.check_grads(fn, _data(shapes, [np.float64], seed=4), order=2)


def _loss_gradients(fn, arrays):
    return tj.grad(lambda *xs: tj.reduce_sum(tj.math.sin(fn(*xs))),
                   tuple(range(len(arrays))))(*arrays)


# the op table (tests/optable_contractions.py) checks the others under jit
NOT_IN_THE_OP_TABLE = {"dot scalar", "outer", "einsum triple diagonal", "einsum broadcast label",
                       "tj.tensordot", "tj.einsum"}


def test_gradients_under_jit_match_eager():
    """The gradient cases the op table lacks, in one kernel, against eager gradients."""
    cases = [c for c in _grad_cases() if c[0] in NOT_IN_THE_OP_TABLE]
    assert len(cases) == len(NOT_IN_THE_OP_TABLE)
    data = [_data(shapes, [np.float64], seed=4) for _, _, shapes in cases]

    def all_gradients(*flat):
        out, at = [], 0
        for (_, fn, shapes) in cases:
            out.append(_loss_gradients(fn, flat[at:at + len(shapes)]))
            at += len(shapes)
        return out

    flat = [a for arrays in data for a in arrays]
    compiled = tj.jit(all_gradients)
    got = compiled(*flat)
    assert _ran_a_kernel(compiled, flat)
    for jitted, arrays, (name, fn, _) in zip(got, data, cases):
        for j, e in zip(jitted, _loss_gradients(fn, arrays)):
            np.testing.assert_allclose(j.numpy(), e.numpy(), rtol=1e-12, atol=1e-12,
                                       err_msg=name)


def _ones(*shape, dtype=np.float64):
    return np.ones(shape, dtype)


# (name, call(module)): each raises in NumPy; tapejit must raise the same kind of error
BAD = [
    ("dot sizes", lambda m: m.dot(_ones(2, 3), _ones(4, 5))),
    ("dot N-d sizes", lambda m: m.dot(_ones(2, 3), _ones(2, 4, 5))),
    ("dot vectors", lambda m: m.dot(_ones(2), _ones(3))),
    ("matmul sizes", lambda m: m.matmul(_ones(2, 3), _ones(4, 5))),
    ("matmul scalar", lambda m: m.matmul(_ones(), _ones(3))),
    ("matmul batch", lambda m: m.matmul(_ones(2, 2, 3), _ones(3, 3, 4))),
    ("matmul vectors", lambda m: m.matmul(_ones(2), _ones(3))),
    ("tensordot axes > ndim", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), 3)),
    ("tensordot counts", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), ((0, 1), (0,)))),
    ("tensordot sizes", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), ((0,), (0,)))),
    ("tensordot duplicate", lambda m: m.tensordot(_ones(2, 2), _ones(2, 2), ((0, 0), (0, 1)))),
    ("tensordot out of range", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), ((5,), (0,)))),
    ("tensordot one entry", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), (1,))),
    ("tensordot three entries", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), (1, 0, 1))),
    ("tensordot float axes", lambda m: m.tensordot(_ones(2, 3), _ones(3, 2), 1.0)),
    ("inner sizes", lambda m: m.inner(_ones(2, 3), _ones(2, 4))),
    ("vdot sizes", lambda m: m.vdot(_ones(2, 3), _ones(3, 3))),
    ("einsum sizes", lambda m: m.einsum("ij,jk", _ones(2, 3), _ones(4, 5))),
    ("einsum more operands", lambda m: m.einsum("ij,jk", _ones(2, 3))),
    ("einsum fewer operands", lambda m: m.einsum("i", _ones(2), _ones(2))),
    ("einsum too many subscripts", lambda m: m.einsum("ijk", _ones(2, 3))),
    ("einsum too few subscripts", lambda m: m.einsum("i", _ones(2, 3))),
    ("einsum output twice", lambda m: m.einsum("ij->ii", _ones(2, 3))),
    ("einsum output unknown", lambda m: m.einsum("ij->k", _ones(2, 3))),
    ("einsum not a letter", lambda m: m.einsum("i1", _ones(2, 3))),
    ("einsum diagonal sizes", lambda m: m.einsum("ii", _ones(2, 3))),
    ("einsum stray dot", lambda m: m.einsum("..i", _ones(3))),
    ("einsum two ellipses", lambda m: m.einsum("...i...", _ones(3))),
    ("einsum two arrows", lambda m: m.einsum("ij->j->i", _ones(2, 3))),
    ("einsum output lacks ...", lambda m: m.einsum("...i->i", _ones(2, 3))),
    ("einsum ... do not broadcast", lambda m: m.einsum("...i,...i", _ones(2, 3), _ones(4, 3))),
    ("einsum sublist range", lambda m: m.einsum(_ones(3), [60])),
    ("einsum no operands", lambda m: m.einsum("ij")),
    ("einsum unsafe dtype", lambda m: m.einsum("ij->i", _ones(2, 3), dtype=np.float32)),
]


@pytest.mark.parametrize("name,call", [pytest.param(*b, id=b[0]) for b in BAD])
def test_bad_input_raises_a_clear_error_like_numpy(name, call):
    with pytest.raises(Exception) as numpy_error:
        call(np)
    with pytest.raises(type(numpy_error.value)) as ours:
        call(tnp)
    text = str(ours.value)
    op = name.split()[0]
    assert text.startswith(f"{op}:") and "fix:" in text, text
    assert "test_numpy_contractions.py" in text, "the error names the user's line"


@pytest.mark.parametrize("call", [
    lambda: tj.tensordot(_ones(2, 3), _ones(3, 2), -1),
    lambda: tj.tensordot(_ones(2, 3), _ones(3, 2), 3),
    lambda: tj.tensordot(_ones(2, 3), _ones(3, 2), [[0, 1], [0]]),
    lambda: tj.tensordot(_ones(2, 3), _ones(3, 2), [[0], [0]]),
    lambda: tj.tensordot(_ones(2, 3), _ones(3, 2), [1, 0, 1]),
    lambda: tj.einsum("ij,jk->ik", _ones(2, 3), _ones(4, 5)),
    lambda: tj.einsum("ij->i", _ones(2, 3), dtype=np.float32),
])
def test_tf_names_raise_clear_errors(call):
    """TF raises ValueError for bad shapes or axes (TypeError for unknown arguments)."""
    with pytest.raises((tj.ShapeError, TypeError)) as info:
        call()
    assert "fix:" in str(info.value)


def test_errors_under_jit_are_raised_while_tracing():
    bad = tj.jit(lambda a, b: tnp.einsum("ij,jk", a, b))
    with pytest.raises(tj.ShapeError, match="einsum: 'j' has size 3 in operand 0"):
        bad(_ones(2, 3), _ones(4, 5))
