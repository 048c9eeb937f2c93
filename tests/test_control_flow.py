"""Structured control flow: tj.lax.scan/fori_loop/while_loop/cond/switch/map and TF's
tj.cond/while_loop/foldl/foldr/scan, eagerly (Python control flow under tapes), under jit
(one staged equation), and differentiated (against finite differences and eager)."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.lax import scan_as

f64 = np.float64


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(np.asarray(f(tj.constant(x + e)))) - float(np.asarray(f(tj.constant(x - e))))
                ) / (2 * eps)
    return g


def _rnn_loss(w, xs):
    def step(h, x):
        h = tj.math.tanh(h * w + x)
        return h, tj.reduce_sum(h * h)
    h, ys = tj.lax.scan(step, tj.zeros_like(w), xs)
    return tj.reduce_sum(h) + tj.reduce_sum(ys)


def _np_rnn_loss(w, xs):
    h, total = np.zeros_like(w), 0.0
    for x in xs:
        h = np.tanh(h * w + x)
        total += np.sum(h * h)
    return np.sum(h) + total


W = np.array([0.5, -0.2, 0.8])
XS = np.linspace(-1, 1, 12).reshape(4, 3)


def test_scan_eager_jit_and_numpy_agree_with_their_gradients():
    eager = _rnn_loss(tj.constant(W), tj.constant(XS))
    jitted = tj.jit(_rnn_loss)(W, XS)
    np.testing.assert_allclose(eager.numpy(), _np_rnn_loss(W, XS), rtol=1e-13)
    np.testing.assert_allclose(jitted.numpy(), eager.numpy(), rtol=1e-13)
    expected = _fd_grad(lambda w: _rnn_loss(w, tj.constant(XS)), W)
    np.testing.assert_allclose(tj.grad(_rnn_loss)(tj.constant(W), tj.constant(XS)).numpy(),
                               expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tj.jit(tj.grad(_rnn_loss))(W, XS).numpy(), expected,
                               rtol=1e-6, atol=1e-9)


def test_scan_traces_one_equation_whatever_the_length():
    for n in (3, 40):
        program = tj.make_ir(_rnn_loss)(W, np.ones((n, 3)))
        assert [e.prim.name for e in program.eqns].count("scan") == 1
        assert len(program.eqns) < 10


def test_a_new_trip_count_reuses_the_kernel():
    f = tj.jit(lambda x, n: tj.lax.fori_loop(0, n, lambda i, v: v * 0.5 + 1.0, x),
               static_argnums=(1,))
    assert f(np.ones(3), 5).numpy()[0] == 1.96875  # 1, 1.5, 1.75, 1.875, 1.9375, 1.96875
    text = lambda n: f.lower(np.ones(3), n).source  # noqa: E731
    assert text(5) == text(500)


def test_eager_scan_under_a_tape_records_every_step():
    w = tj.constant(W)
    with tj.GradientTape() as tape:
        tape.watch(w)
        loss = _rnn_loss(w, tj.constant(XS))
    assert "scan" not in str(tape.lower(loss, [w]).forward)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(),
                               _fd_grad(lambda v: _rnn_loss(v, tj.constant(XS)), W), rtol=1e-6)


def test_a_tape_inside_jit_differentiates_a_staged_scan():
    @tj.jit
    def step(w, xs):
        with tj.GradientTape() as tape:
            tape.watch(w)
            loss = _rnn_loss(w, xs)
        return loss, tape.gradient(loss, w)

    loss, grad = step(W, XS)
    np.testing.assert_allclose(grad.numpy(), tj.grad(_rnn_loss)(tj.constant(W),
                                                                tj.constant(XS)).numpy(),
                               rtol=1e-12)


def test_pytrees_reverse_and_no_xs():
    def step(carry, x):
        a, b = carry["a"], carry["b"]
        return {"a": a + x["u"], "b": b * 2.0}, (a, [x["v"]])
    init = {"a": tj.constant(0.0, tj.float64), "b": tj.constant(1.0, tj.float64)}
    xs = {"u": tj.constant(np.arange(4.0)), "v": tj.constant(np.ones((4, 2)))}
    for run in (lambda: tj.lax.scan(step, init, xs, reverse=True),
                lambda: tj.jit(lambda i, x: tj.lax.scan(step, i, x, reverse=True))(init, xs)):
        carry, (a_seen, [v]) = run()
        assert float(carry["a"]) == 6.0 and float(carry["b"]) == 16.0
        np.testing.assert_array_equal(a_seen.numpy(), [6.0, 5.0, 3.0, 0.0])
        assert v.shape == (4, 2)
    final, ys = tj.jit(lambda c: tj.lax.scan(lambda c, _: (c + 1.0, None), c, None,
                                             length=3))(np.float64(0))
    assert float(final) == 3.0 and ys is None


def test_map_and_zero_length_scan():
    out = tj.jit(lambda xs: tj.lax.map(lambda x: x * x, xs))(np.arange(3.0))
    np.testing.assert_array_equal(out.numpy(), [0.0, 1.0, 4.0])
    carry, ys = scan_as(False, lambda c, x: (c + x, c * x), tj.constant(1.0, tj.float64),
                        tj.constant(np.zeros((0,))), None, False)
    assert float(carry) == 1.0 and ys.shape == (0,)


def test_scan_errors_name_the_problem():
    with pytest.raises(ValueError, match="different leading axis sizes: 2, 3"):
        tj.lax.scan(lambda c, x: (c, x), 0.0, [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="no values to scan over"):
        tj.lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(TypeError, match="component 0 has type f64"):
        tj.jit(lambda x: tj.lax.scan(lambda c, v: (tj.cast(c, tj.float64), v),
                                     tj.constant(np.float32(0)), x))(np.ones(3))
    with pytest.raises(TypeError, match="pair"):
        tj.lax.scan(lambda c, x: c, 0.0, np.ones(2))


def _branchy(x):
    return tj.lax.cond(tj.reduce_sum(x) > 0, lambda a: tj.reduce_sum(a * a),
                       lambda a: tj.reduce_sum(tj.math.exp(a)), x)


@pytest.mark.parametrize("x", [np.array([0.5, -0.2]), np.array([-0.5, -0.2])])
def test_cond_takes_the_right_branch_with_its_gradient(x):
    want = np.sum(x * x) if x.sum() > 0 else np.sum(np.exp(x))
    assert float(_branchy(tj.constant(x))) == pytest.approx(want)
    assert float(tj.jit(_branchy)(x)) == pytest.approx(want)
    expected = _fd_grad(_branchy, x)
    np.testing.assert_allclose(tj.jit(tj.grad(_branchy))(x).numpy(), expected, rtol=1e-6)
    program = tj.make_ir(_branchy)(x)
    assert [e.prim.name for e in program.eqns].count("cond") == 1


def test_switch_clamps_its_index_and_runs_one_branch_eagerly():
    calls = []
    branches = [lambda x: calls.append(0) or x, lambda x: calls.append(1) or x * 2.0]
    assert float(tj.lax.switch(7, branches, 1.0)) == 2.0 and calls == [1]
    assert float(tj.jit(lambda i: tj.lax.switch(i, branches, tj.constant(1.0)))(-3)) == 1.0


def test_branches_must_agree():
    with pytest.raises(TypeError, match="branch 0 and 1 outputs must have the same"):
        tj.jit(lambda x: tj.lax.cond(x > 0, lambda: x, lambda: tj.stack([x, x])))(1.0)


def _grow_until_large(x, c):
    """A while_loop whose trip count depends on x: v grows until its squared norm passes 50,
    accumulating its squared norms; c is closed over (a differentiated loop invariant)."""
    def body(state):
        v, total = state
        return v * c + tj.math.sin(v), total + tj.reduce_sum(v * v)
    v, total = tj.lax.while_loop(lambda s: tj.reduce_sum(s[0] * s[0]) < 50.0, body,
                                 (x, tj.zeros((), x.dtype)))
    return tj.reduce_sum(v) + total


def _np_grow_until_large(x, c):
    v, total = x, 0.0
    while np.sum(v * v) < 50.0:
        v, total = v * c + np.sin(v), total + np.sum(v * v)
    return np.sum(v) + total


def test_while_loop_runs_forward_mode():
    def f(x):
        def body(state):
            i, v = state
            return i + 1, v * 1.5
        return tj.lax.while_loop(lambda s: s[0] < 5, body, (0, x))[1]
    x = np.array([0.5, -0.2])
    np.testing.assert_allclose(tj.jit(f)(x).numpy(), x * 1.5**5)
    _, tangent = tj.jit(lambda v: tj.jvp(f, (v,), (tj.ones_like(v),)))(x)
    np.testing.assert_allclose(tangent.numpy(), np.full(2, 1.5**5))


C = np.array([1.3, 1.1, 1.2])
X0 = np.array([0.5, -0.2, 0.3])


def test_reverse_mode_through_a_while_loop_of_unknown_trip_count():
    staged = tj.jit(tj.grad(_grow_until_large, argnums=(0, 1)))(X0, C)
    eager = tj.grad(_grow_until_large, argnums=(0, 1))(tj.constant(X0), tj.constant(C))
    assert float(tj.jit(_grow_until_large)(X0, C)) == pytest.approx(_np_grow_until_large(X0, C))
    for k, (s, e) in enumerate(zip(staged, eager)):
        np.testing.assert_allclose(s.numpy(), e.numpy(), rtol=1e-12)
        fixed = [tj.constant(X0), tj.constant(C)]
        def at(v, k=k, fixed=fixed):
            return _grow_until_large(*(fixed[:k] + [v] + fixed[k + 1:]))
        np.testing.assert_allclose(s.numpy(), _fd_grad(at, (X0, C)[k]), rtol=1e-6)
    backward = [e.prim.name for e in tj.make_ir(tj.grad(_grow_until_large))(X0, C).eqns]
    assert backward.count("while_loop") == 3  # forward, the trip count, the backward loop
    assert backward.count("scan") == 1  # the snapshots


def test_reverse_mode_through_a_while_loop_that_never_runs():
    x = np.array([5.0, -6.0, 1.0])  # |x|^2 is past 50 already
    gx, gc = tj.jit(tj.grad(_grow_until_large, argnums=(0, 1)))(x, C)
    np.testing.assert_array_equal(gx.numpy(), np.ones(3))
    np.testing.assert_array_equal(gc.numpy(), np.zeros(3))


@pytest.mark.parametrize("snapshots", [1, 3, 7, 128])
def test_reverse_mode_through_a_while_loop_rebuilds_carries_from_snapshots(snapshots, monkeypatch):
    """n = 20 iterations with 1, 3, 7 or 128 kept carries (strides 20, 7, 3, 1; the last
    segments partial): the same gradient as a bounded while_loop, which stacks every step."""
    monkeypatch.setattr("tapejit.control.while_transpose.MAX_SNAPSHOTS", snapshots)

    def body(i, v):
        return i + 1, tj.math.sin(v) * 1.1 + v * 0.2

    def unbounded(x):
        return tj.reduce_sum(tj.lax.while_loop(lambda s: s[0] < 20, lambda s: body(*s),
                                               (tj.constant(0), x))[1])

    def bounded(x):
        return tj.reduce_sum(tj.while_loop(lambda i, v: i < 20, body, [tj.constant(0), x],
                                           maximum_iterations=20)[1])
    x = np.array([0.3, -0.8, 1.4])
    np.testing.assert_allclose(tj.jit(tj.grad(unbounded))(x).numpy(),
                               tj.jit(tj.grad(bounded))(x).numpy(), rtol=1e-12)


def test_second_order_through_a_while_loop_of_unknown_trip_count(monkeypatch):
    """Forward over reverse (hessian) and reverse over reverse, the kernels run as Python:
    their loops nest three deep and Numba takes about 30 s over each (the first order is
    compiled above)."""
    monkeypatch.setattr(tj.config, "disable_jit", "kernels")
    c = tj.constant(C)
    hess = tj.jit(tj.hessian(lambda v: _grow_until_large(v, c)))(X0).numpy()
    first = lambda v: tj.grad(lambda w: _grow_until_large(w, c))(tj.constant(v)).numpy()  # noqa: E731
    eps = 1e-6
    fd = np.stack([(first(X0 + e) - first(X0 - e)) / (2 * eps) for e in np.eye(3) * eps])
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-6)
    twice = tj.jit(tj.grad(lambda v: tj.reduce_sum(tj.grad(lambda w: _grow_until_large(w, c))(v)
                                                   * v)))(X0).numpy()
    np.testing.assert_allclose(twice, first(X0) + hess.T @ X0, rtol=1e-6)


def test_per_example_gradients_through_a_while_loop():
    xs = np.stack([X0, X0 * 2.0, X0 * -0.5])
    grad = tj.grad(_grow_until_large)
    batched = tj.jit(tj.vmap(grad, in_axes=(0, None)))(xs, C).numpy()
    for x, row in zip(xs, batched):
        np.testing.assert_allclose(row, grad(tj.constant(x), tj.constant(C)).numpy(), rtol=1e-12)


def test_while_loop_with_maximum_iterations_is_reverse_differentiable():
    def f(x):
        return tj.while_loop(lambda i, v: i < 10, lambda i, v: (i + 1, v * v),
                             [tj.constant(0), x], maximum_iterations=2)[1]
    x = np.array([1.1, 0.9])
    for run in (f, tj.jit(f)):
        np.testing.assert_allclose(np.asarray(run(tj.constant(x) if run is f else x)), x**4)
    g = tj.jit(tj.grad(lambda v: tj.reduce_sum(f(v))))(x)
    np.testing.assert_allclose(g.numpy(), 4 * x**3)


def test_fori_loop_with_traced_bounds_is_a_while_loop():
    f = tj.jit(lambda n, x: tj.lax.fori_loop(0, n, lambda i, v: v + tj.cast(i, tj.float64), x))
    assert float(f(np.int32(4), f64(0.0))) == 6.0
    program = tj.make_ir(lambda n, x: tj.lax.fori_loop(0, n, lambda i, v: v + 1.0, x))(
        np.int32(4), 0.0)
    assert any(e.prim.name == "while_loop" for e in program.eqns)


def test_nested_loops_differentiate_twice():
    def f(x):
        def outer(c, _):
            return tj.lax.fori_loop(0, 3, lambda i, v: tj.math.sin(v) * c, c), None
        return tj.reduce_sum(tj.lax.scan(outer, x, None, length=2)[0])
    x = np.array([0.3, 0.7])
    g = lambda v: tj.grad(f)(v)  # noqa: E731
    np.testing.assert_allclose(tj.jit(g)(x).numpy(), _fd_grad(f, x), rtol=1e-6)
    hess = tj.hessian(f)(x).numpy()  # the loops staged by the tape inside hessian
    fd = np.stack([_fd_grad(lambda v, i=i: tj.grad(f)(v)[i], x) for i in range(2)])
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-8)


def test_tf_functional_forms_match_tensorflow_examples():
    elems = np.arange(1.0, 7.0)
    assert float(tj.foldl(lambda a, x: a + x, elems)) == 21.0
    assert float(tj.foldr(lambda a, x: a * 2 + x, elems)) == 321.0
    np.testing.assert_array_equal(tj.scan(lambda a, x: a + x, elems).numpy(),
                                  [1, 3, 6, 10, 15, 21])
    np.testing.assert_array_equal(tj.scan(lambda a, x: a + x, elems, reverse=True).numpy(),
                                  [21, 20, 18, 15, 11, 6])
    jitted = tj.jit(lambda e: tj.scan(lambda a, x: a + x, e, initializer=tj.constant(0.0,
                                                                                    tj.float64)))
    np.testing.assert_array_equal(jitted(elems).numpy(), [1, 3, 6, 10, 15, 21])
    i, v = tj.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0),
                         (tj.constant(0), tj.constant(1.0)))
    assert int(i) == 3 and float(v) == 8.0
    assert float(tj.cond(tj.constant(False), lambda: 1.0, lambda: 2.0)) == 2.0
    with pytest.raises(TypeError, match="'true_fn' argument required"):
        tj.cond(True, false_fn=lambda: 1.0)


def test_assigning_a_variable_inside_a_loop_body_is_refused():
    v = tj.Variable(1.0)

    def body(i, x):
        v.assign(x)
        return x

    with pytest.raises(tj.TapejitError, match="assigned inside a loop body"):
        tj.jit(lambda x: tj.lax.fori_loop(0, 3, body, x))(2.0)
