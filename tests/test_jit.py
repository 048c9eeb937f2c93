"""jit: compiled results equal eager ones over the op table and composed programs; tapes,
Variables and transforms work inside; errors are clear."""

import collections

import numpy as np
import pytest

import tapejit as tj
from tests.optable import CASES, one_per_primitive, sample

JIT_PARAMS = [pytest.param(case, case.shapes[min(2, len(case.shapes) - 1)], id=case.id)
              for case in CASES]


def _args(case, shapes, seed=0, dtype=np.float64):
    return [a.astype(dtype) for a in sample(case, shapes, np.random.default_rng(seed))]


def _value_and_grads(case):
    def loss(*xs):
        out = case.fn(*xs)
        return tj.reduce_sum(tj.cast(out, xs[0].dtype) * tj.math.sin(tj.cast(out, xs[0].dtype)))
    return tj.value_and_grad(loss, tuple(range(len(case.shapes[0]))))


@pytest.mark.xdist_group("op_table_kernels")  # the worker that then loads them from disk
@pytest.mark.parametrize("case,shapes", JIT_PARAMS)
def test_jit_forward_and_gradient_match_eager(case, shapes):
    args = _args(case, shapes)
    fn = forward_and_gradients(case)
    (out, *rest), (out_e, *rest_e) = tj.jit(fn)(*args), fn(*map(tj.constant, args))
    np.testing.assert_allclose(np.asarray(out.numpy(), np.float64),
                               np.asarray(out_e.numpy(), np.float64), rtol=1e-12)
    if case.order == 0:
        return
    (value, grads), (value_e, grads_e) = rest[0], rest_e[0]
    np.testing.assert_allclose(value.numpy(), value_e.numpy(), rtol=1e-12)
    for g, ge in zip(grads, grads_e):
        np.testing.assert_allclose(g.numpy(), ge.numpy(), rtol=1e-11, atol=1e-14)


def forward_and_gradients(case):
    """The case's output and, for a differentiable case, the value and gradients of
    `_value_and_grads`: one jitted program (one kernel to compile, not two)."""
    if case.order == 0:
        return lambda *xs: (case.fn(*xs),)
    value_and_grads = _value_and_grads(case)
    return lambda *xs: (case.fn(*xs), value_and_grads(*xs))


def test_jit_grad_of_square_is_a_scalar_of_the_input_dtype():
    f = tj.jit(tj.grad(lambda x: x**2))
    out = f(3.0)
    assert repr(out) == "<tj.Tensor: shape=(), dtype=float32, numpy=6.0>"
    assert f(np.float64(2.0)).dtype == np.float64


def test_same_signature_traces_once():
    calls = []

    @tj.jit
    def f(x):
        calls.append(1)
        return x * 2.0

    for _ in range(3):
        f(np.ones(3))
    assert len(calls) == 1
    info = f.cache_info()
    assert (info.hits, info.misses, info.size) == (2, 1, 1)


def test_new_batch_size_retraces_and_reuses_the_kernel():
    from tapejit.backend.numba_cpu.kernel_cache import default_cache

    f = tj.jit(lambda x: tj.reduce_sum(x * x, 1))
    f(np.ones((4, 3)))
    src_small = f.lower(np.ones((4, 3))).source
    f(np.ones((9, 3)))
    assert f.cache_info().misses == 2
    assert "new shape" in f.cache_info().last_miss
    assert f.lower(np.ones((9, 3))).source == src_small
    assert default_cache().load(src_small).fn is default_cache().load(
        f.lower(np.ones((9, 3))).source).fn


def test_new_dtype_rank_or_static_arg_retraces():
    f = tj.jit(lambda x, n: x * n, static_argnums=(1,))
    f(np.ones(3), 2)
    f(np.ones(3, np.float32), 2)
    assert "dtype" in f.cache_info().last_miss
    f(np.ones((3, 1)), 2)
    assert "shape" in f.cache_info().last_miss
    np.testing.assert_array_equal(f(np.ones(3), 5).numpy(), [5.0, 5.0, 5.0])
    assert "static" in f.cache_info().last_miss


def test_pytree_arguments_and_outputs():
    @tj.jit
    def f(params, x):
        return {"y": params["w"] * x + params["b"][0], "sum": tj.reduce_sum(x)}

    out = f({"w": np.array(2.0), "b": [np.array(1.0)]}, np.arange(3.0))
    np.testing.assert_array_equal(out["y"].numpy(), [1.0, 3.0, 5.0])
    assert float(out["sum"]) == 3.0


def test_outputs_never_alias_inputs():
    x = np.arange(4.0)
    out = tj.jit(lambda a: tj.reshape(a, (2, 2)))(x)
    x[0] = 100.0
    assert out.numpy()[0, 0] == 0.0


def test_tape_inside_jit_and_variables_are_implicit_inputs():
    w = tj.Variable(np.array([[0.5, -0.2], [0.1, 0.3]], np.float32), name="w")
    b = tj.Variable(np.zeros(2, np.float32), name="b")

    def eager_step(x):
        with tj.GradientTape() as tape:
            loss = tj.reduce_mean((x @ w + b) ** 2)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(dw * 0.1)
        b.assign_sub(db * 0.1)
        return loss

    step = tj.jit(eager_step)

    x = np.array([[1.0, 2.0]], np.float32)
    w0, b0 = w.numpy(), b.numpy()
    losses = [float(step(x)) for _ in range(3)]
    w1, b1 = w.numpy(), b.numpy()
    w.assign(w0)
    b.assign(b0)
    eager = [float(eager_step(x)) for _ in range(3)]
    np.testing.assert_allclose(losses, eager, rtol=1e-6)
    np.testing.assert_allclose(w1, w.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b1, b.numpy(), rtol=1e-6)
    assert step.cache_info().misses == 1


def test_seed_walkthrough_under_jit():
    x0, x1 = tj.Variable(3.0, name="x0"), tj.Variable(3.0, name="x1", trainable=False)

    @tj.jit
    def grads(x2, x3):
        with tj.GradientTape() as tape:
            y = x0**2 + x1**2 + x2**2
        g = tape.gradient(y, [x0, x1, x2, x3],
                          unconnected_gradients=tj.UnconnectedGradients.ZERO)
        return g

    out = grads(tj.constant(3.0), tj.constant(3.0))
    assert [float(v) for v in out] == [6.0, 0.0, 0.0, 0.0]

    @tj.jit
    def persistent(x):
        with tj.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * x
            z = y * y
        return tape.gradient(z, x), tape.gradient(y, x)

    dz, dy = persistent(tj.constant([1.0, 3.0]))
    np.testing.assert_array_equal(dz.numpy(), [4.0, 108.0])
    np.testing.assert_array_equal(dy.numpy(), [2.0, 6.0])


def test_transforms_compose_with_jit():
    f = lambda x: tj.reduce_sum(tj.math.sin(x) * x)
    x = np.array([0.3, 1.2, -0.7])
    for transform in (tj.grad, tj.hessian, lambda g: tj.jacobian(tj.grad(g), mode="fwd")):
        np.testing.assert_allclose(tj.jit(transform(f))(x).numpy(), transform(f)(x).numpy(),
                                   rtol=1e-12)
    primal, tangent = tj.jit(lambda x, v: tj.jvp(f, (x,), (v,)))(x, np.ones(3))
    assert np.isclose(float(tangent), float(tj.reduce_sum(tj.grad(f)(x))))


def test_branching_on_a_traced_value_names_the_line():
    @tj.jit
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(tj.TracerBoolError) as info:
        f(1.0)
    text = str(info.value)
    assert "if x > 0" in text and "tj.where" in text and "static_argnums" in text


def test_shape_error_at_trace_time():
    with pytest.raises(tj.ShapeError, match="matmul"):
        tj.jit(lambda a, b: a @ b)(np.ones((3, 4)), np.ones((5, 6)))


def test_unsupported_argument_type():
    with pytest.raises(TypeError, match="static_argnums"):
        tj.jit(lambda a: a)("text")


def test_disable_jit_runs_eagerly():
    seen = []
    f = tj.jit(lambda x: seen.append(type(x)) or x * 2)
    tj.config.update("disable_jit", True)
    try:
        f(np.ones(2))
    finally:
        tj.config.update("disable_jit", False)
    assert seen == [np.ndarray]


def test_lower_shows_every_stage():
    f = tj.jit(tj.grad(lambda x: tj.reduce_sum(tj.math.tanh(x) * x)))
    lowered = f.lower(np.ones(3))
    text = str(lowered)
    assert "fused" in str(lowered.fused) and "def entry" in lowered.source
    assert "# " in lowered.source and len(lowered.backward) == 1
    for title in ("traced program", "backward program 0", "optimized", "kernel source"):
        assert title in text


def test_debug_output(capsys):
    tj.config.update("debug", 4)
    try:
        tj.jit(lambda x: x + 1.0)(np.ones(2))
    finally:
        tj.config.update("debug", 0)
    out = capsys.readouterr().out
    assert "tracing" in out and "first call" in out and "def entry" in out


def test_checker_names_the_first_diverging_equation(monkeypatch):
    from tapejit.backend.numba_cpu.scalar_code import SCALAR_CODE
    from tapejit.checking import JitMismatchError
    from tapejit.primitives.base import unary
    from tapejit.primitives.jvp import defjvp
    from tapejit.trace import bind

    wrong = unary("double", lambda x: x * 2, defjvp(lambda t, x, out: t * 2))
    monkeypatch.setitem(SCALAR_CODE, "double", lambda c, x: f"({x} * {c.const(3)})")  # x3

    def f(x):
        y = x + 1.0
        z = bind(wrong, y)
        return tj.reduce_sum(z * z)

    with pytest.raises(JitMismatchError) as info:
        tj.jit(f, check=True)(np.arange(4.0))
    text = str(info.value)
    assert "double" in text and "z = bind(wrong, y)" in text
    assert float(tj.jit(f)(np.arange(4.0))) != float(f(tj.constant(np.arange(4.0))))


def test_a_jitted_training_step_with_an_optimizer():
    layer = tj.layers.Dense(3, activation="tanh")
    opt = tj.optimizers.SGD(0.1)
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    layer(x)

    @tj.jit
    def step(x):
        with tj.GradientTape() as tape:
            loss = tj.reduce_mean(layer(x) ** 2)
        grads = tape.gradient(loss, layer.trainable_variables)
        opt.apply_gradients(zip(grads, layer.trainable_variables))
        return loss

    losses = [float(step(x)) for _ in range(5)]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]
    assert int(opt.iterations.numpy()) == 5 and step.cache_info().misses == 1


def test_disable_jit_kernels_runs_the_generated_source_as_python():
    f = tj.jit(tj.grad(lambda x: tj.reduce_sum(x * x * 3.0)))
    expected = f(np.arange(3.0)).numpy()
    tj.config.update("disable_jit", "kernels")
    try:
        entry = next(iter(f._cache.values()))
        import unittest.mock as mock

        with mock.patch.object(entry.executable.kernel.fn, "py_func",
                               wraps=entry.executable.kernel.fn.py_func) as py:
            np.testing.assert_array_equal(f(np.arange(3.0)).numpy(), expected)
        assert py.called
    finally:
        tj.config.update("disable_jit", False)


@pytest.mark.parametrize("case,shapes", one_per_primitive(JIT_PARAMS))
def test_float32_jit_is_as_accurate_as_eager(case, shapes):
    """Compiled float32 results are within a few ulps of the exact (float64) answer, or no
    farther from it than eager NumPy is (sums accumulate differently)."""
    args = _args(case, shapes, seed=1, dtype=np.float32)
    got = np.asarray(tj.jit(case.fn)(*args).numpy())
    want = np.asarray(case.fn(*map(tj.constant, args)).numpy())
    assert got.dtype == want.dtype
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    exact = np.asarray(case.fn(*[tj.constant(a.astype(np.float64)) for a in args]).numpy())
    same = (got == exact) | (np.isnan(got) & np.isnan(exact))
    with np.errstate(invalid="ignore"):
        ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
        err_jit = np.abs(got.astype(np.float64) - exact)
        err_eager = np.abs(want.astype(np.float64) - exact)
        assert np.all(same | (err_jit <= np.maximum(4 * ulp, 2 * err_eager) + 1e-30))


def test_a_long_scalar_chain_compiles_in_linear_time():
    """Hundreds of scalar ops and their backward in one kernel (kept straight-line, so
    Numba's SSA pass stays fast); 10,000 ops trace, differentiate and optimize without
    recursion."""
    from tapejit.lowering import lower_programs

    def chain(x, n):
        for _ in range(n):
            x = tj.math.sin(x) * 1.0001 + 0.001
        return x

    f = tj.jit(tj.grad(lambda x: chain(x, 60)))
    np.testing.assert_allclose(float(f(0.5)), float(tj.grad(lambda x: chain(x, 60))(0.5)),
                               rtol=1e-5)
    lower_programs(tj.grad(lambda x: chain(x, 10_000)), (0.5,))


def test_keyword_arguments_dynamic_and_static():
    @tj.jit(static_argnames=("power",))
    def f(x, scale=1.0, power=2):
        return tj.reduce_sum(x**power) * scale

    x = np.arange(3.0)
    assert float(f(x, scale=2.0)) == 10.0
    assert float(f(x, scale=3.0)) == 15.0
    assert float(f(x, power=3, scale=1.0)) == 9.0
    assert float(f(x)) == 5.0


def test_the_fast_path_keeps_each_scalar_kind_apart():
    f = tj.jit(lambda x: x * 2.0 + 1.0)
    for _ in range(3):  # the first calls compile, the later ones take the fast path
        results = [f(3.0), f(np.float64(3.0)), f(np.array(3.0, np.float32)), f(True), f(7)]
    dtypes = [r.dtype for r in results]
    assert dtypes == [np.float32, np.float64, np.float32, np.float32, np.float32]
    assert [float(r) for r in results] == [7.0, 7.0, 7.0, 3.0, 15.0]
    assert f.cache_info().misses == 4  # f32 from a float and from an array share a signature


def test_the_fast_path_returns_structured_outputs_as_the_first_call_did():
    """value_and_grad's pair, a tuple of gradients, a dict with a None: after the first call
    the lean path answers, with the same structure, types, dtypes and values."""
    def f(w, x, n):
        loss = tj.reduce_sum(tj.math.tanh(w * x)) * n
        return {"loss": loss, "parts": (w * x, None), "double": [2.0 * loss]}

    step = tj.jit(tj.value_and_grad(lambda w, x: tj.reduce_sum(w * x * x), argnums=(0, 1)))
    outputs = tj.jit(f)
    w, x = np.arange(3.0, dtype=np.float32), np.full(3, 0.5, np.float32)
    for fn, args in ((step, (w, x)), (outputs, (w, x, 3.0))):
        first = fn(*args)
        later = [fn(*args) for _ in range(2)]
        assert fn._fast, "the later calls took the general path"
        flat, tree_def = tj.tree.flatten(first)
        for again in later:
            flat_again, tree_again = tj.tree.flatten(again)
            assert tree_again == tree_def
            for a, b in zip(flat, flat_again):
                assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(a.numpy(), b.numpy())


Pair = collections.namedtuple("Pair", "a b")


def test_treedefs_hash_by_structure_and_survive_pickling():
    """Treedefs key jit's signatures: equal structures hash alike, others (almost always)
    apart, and a pickled one is rebuilt, not carried with its old hash."""
    import pickle

    pair = Pair
    value = {"w": [1.0, (2.0, None)], "p": pair(3.0, [4.0])}
    _, first = tj.tree.flatten(value)
    _, again = tj.tree.flatten({"p": pair(5.0, [6.0]), "w": [7.0, (8.0, None)]})
    _, other = tj.tree.flatten({"w": [1.0, (2.0, 0.0)], "p": pair(3.0, [4.0])})
    assert first == again and hash(first) == hash(again)
    assert first != other and hash(first) != hash(other)
    copied = pickle.loads(pickle.dumps(first))
    assert copied == first and {first: 1}[copied] == 1
    assert tj.tree.unflatten(copied, list(range(4))) == {"p": pair(0, [1]), "w": [2, (3, None)]}


def test_the_fast_path_takes_lists_dicts_and_tuples_of_leaves():
    """Parameters in a list, a dict or a namedtuple, with Python numbers among them: after
    the first call the lean path answers, reading the leaves anew each call, with the first
    call's types; another structure or a Variable takes the general path."""
    def loss(params, x, scale):
        w, b = params["w"], params["b"]
        return tj.reduce_sum((x * w[0] + w[1] * b.a + b.b) * scale)

    step = tj.jit(tj.value_and_grad(loss))
    x = np.linspace(-1.0, 1.0, 4).astype(np.float32)
    params = {"w": [np.ones(4, np.float32), np.full(4, 2.0, np.float32)], "b": Pair(0.5, 1.5)}
    first = step(params, x, 3.0)
    params["w"][0] = np.full(4, -1.0, np.float32)  # same structure, new values
    second, third = step(params, x, 3.0), step(params, x, 3.0)
    assert len(step._fast) == 1 and step.cache_info().misses == 1
    want = loss(params, x, 3.0)
    for got in (second, third):
        assert got[0].dtype == first[0].dtype == np.float32
        np.testing.assert_array_equal(got[0].numpy(), want.numpy())
        assert tj.tree.flatten(got[1])[1] == tj.tree.flatten(first[1])[1]
        np.testing.assert_array_equal(got[1]["w"][0].numpy(), x * 3.0)
        np.testing.assert_array_equal(got[1]["w"][1].numpy(), np.full(4, 1.5, np.float32))
    step({**params, "unused": 0.0}, x, 3.0)  # another structure: another signature
    assert step.cache_info().misses == 2
    shared = tj.Variable(np.ones(4, np.float32))
    f = tj.jit(lambda ws, x: tj.reduce_sum(ws[0] * x))
    for _ in range(3):
        assert float(f([shared], x)) == float(np.sum(x))
    assert not f._fast
