"""tj.vmap's JAX semantics (in_axes/out_axes, pytrees, kwargs, nesting, axis_size, errors),
its composition with grad, jit and tapes, tj.vectorized_map, and jacobians by vmap."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.ir import Primitive, walk
from tapejit.primitives.batching import batch_eval
from tapejit.primitives.random_bits import threefry2x32_p
from tapejit.trace import bind

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
W = RNG.normal(size=(4, 2))


def _loss(w, x):
    return tj.reduce_sum(tj.math.tanh(tj.matmul(x[None, :], w)) ** 2)


def test_in_axes_none_and_negative_axes_match_a_loop():
    got = tj.vmap(lambda w, x: tj.matmul(x[None, :], w)[0], in_axes=(None, -1))(W, X.T)
    expected = np.stack([x @ W for x in X])
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_out_axes_moves_the_batch_axis_and_broadcasts_unbatched_outputs():
    f = tj.vmap(lambda x: (x * 2, tj.constant(np.ones(2))), out_axes=(-1, 0))
    a, b = f(X)
    np.testing.assert_allclose(a.numpy(), (X * 2).T)
    np.testing.assert_allclose(b.numpy(), np.ones((3, 2)))


def test_pytrees_in_and_out_with_a_prefix_spec():
    params = {"w": W, "b": np.ones(2)}
    f = tj.vmap(lambda p, x: {"y": tj.matmul(x[None, :], p["w"])[0] + p["b"]},
                in_axes=({"w": None, "b": None}, 0))
    got = f(params, X)["y"]
    np.testing.assert_allclose(got.numpy(), X @ W + 1, rtol=1e-12)
    pair = tj.vmap(lambda xy: xy[0] * xy[1], in_axes=((0, 1),))((X, X.T))
    np.testing.assert_allclose(pair.numpy(), X * X)


def test_kwargs_are_mapped_along_axis_0():
    got = tj.vmap(lambda x, scale: x * scale, in_axes=(None,))(np.ones(4), scale=np.arange(3.0))
    np.testing.assert_allclose(got.numpy(), np.arange(3.0)[:, None] * np.ones(4))


def test_nested_vmap_is_an_outer_product():
    a, b = np.arange(3.0), np.arange(4.0)
    got = tj.vmap(tj.vmap(lambda x, y: x * y, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_allclose(got.numpy(), np.outer(a, b))


def test_axis_size_when_nothing_is_mapped():
    got = tj.vmap(lambda x: x + 1, in_axes=None, axis_size=5)(np.ones(2))
    np.testing.assert_allclose(got.numpy(), np.full((5, 2), 2.0))


def test_errors_are_worded_as_jax():
    with pytest.raises(ValueError, match="vmap got inconsistent sizes for array axes to be "
                       "mapped"):
        tj.vmap(lambda x, y: x + y)(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="at least one non-None value in in_axes"):
        tj.vmap(lambda x: x, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="implies that its rank should be at least 3"):
        tj.vmap(lambda x: x, in_axes=2)(np.ones((3, 2)))
    with pytest.raises(ValueError, match="mapped output but out_axes is None"):
        tj.vmap(lambda x: x, out_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match=r"tuple of entries .* len\(in_axes\)=2, len\(args\)=1"):
        tj.vmap(lambda x: x, in_axes=(0, 0))(np.ones(3))
    with pytest.raises(ValueError, match="in_axes must be an int, None, or a tuple"):
        tj.vmap(lambda x: x, in_axes={"x": 0})
    with pytest.raises(ValueError, match="tree prefix"):
        tj.vmap(lambda p: p[0], in_axes=((0, 0, 0),))((np.ones(3), np.ones(3)))


BARE = Primitive(name="no_rule_op", type_rule=lambda x: x, impl=lambda x: x * 2)


def test_a_primitive_without_a_batching_rule_is_named():
    with pytest.raises(NotImplementedError, match="no_rule_op"):
        tj.vmap(lambda x: bind(BARE, x))(np.ones(3))
    with pytest.raises(NotImplementedError, match="no_rule_op"):
        tj.vectorized_map(lambda x: bind(BARE, x), np.ones(3), fallback_to_while_loop=False)


def test_vectorized_map_falls_back_to_a_loop_as_tf_does():
    with pytest.warns(UserWarning, match="falls back to a loop"):
        got = tj.vectorized_map(lambda e: {"y": bind(BARE, e[0]) + e[1]}, (X, X))
    np.testing.assert_allclose(got["y"].numpy(), 3 * X)


def test_per_example_gradients_recipe_matches_a_loop():
    grads = tj.vmap(tj.grad(_loss), in_axes=(None, 0))(W, X)
    expected = np.stack([tj.grad(_loss)(W, x).numpy() for x in X])
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)
    jitted = tj.jit(tj.vmap(tj.grad(_loss), in_axes=(None, 0)))(W, X)
    np.testing.assert_allclose(jitted.numpy(), expected, rtol=1e-12)


def test_grad_of_vmap_matches_finite_differences():
    def total(w):
        return tj.reduce_sum(tj.vmap(_loss, in_axes=(None, 0))(w, X))
    got = tj.grad(total)(W).numpy()
    eps, fd = 1e-6, np.zeros_like(W)
    for i in np.ndindex(W.shape):
        d = np.zeros_like(W)
        d[i] = eps
        fd[i] = (total(W + d).numpy() - total(W - d).numpy()) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tj.jit(tj.grad(total))(W).numpy(), got, rtol=1e-12)


def test_a_tape_records_the_batched_ops():
    w = tj.Variable(W)
    with tj.GradientTape() as tape:
        out = tj.reduce_sum(tj.vmap(lambda x: tj.math.sin(tj.matmul(x[None, :], w)))(X))
    got = tape.gradient(out, w).numpy()
    expected = X.T @ np.cos(X @ W)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_vectorized_map_takes_one_element_of_a_structure():
    got = tj.vectorized_map(lambda e: e["a"] * e["b"], {"a": X, "b": X})
    np.testing.assert_allclose(got.numpy(), X * X)


def test_hessian_program_does_not_grow_with_the_output_size():
    def rosen(x):
        return tj.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    sizes = [len(tj.make_ir(tj.hessian(rosen))(np.linspace(-1, 1, n)).eqns) for n in (4, 40)]
    assert sizes[0] == sizes[1]
    x = np.linspace(-1, 1, 6)
    h = tj.jit(tj.hessian(rosen))(x).numpy()
    fd = np.stack([(tj.grad(rosen)(x + e).numpy() - tj.grad(rosen)(x - e).numpy()) / 2e-6
                   for e in np.eye(6) * 1e-6])
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-5)


def test_forward_jacobian_is_batched_too():
    f = lambda x: tj.math.sin(x) * tj.reduce_sum(x)  # noqa: E731
    x = np.linspace(-1, 1, 5)
    rev, fwd = tj.jacobian(f)(x).numpy(), tj.jacobian(f, mode="fwd")(x).numpy()
    np.testing.assert_allclose(fwd, rev, rtol=1e-12)


def test_the_readme_recipe_gives_one_gradient_per_example():
    def loss(w, x, y):
        return tj.reduce_sum((tj.matmul(x[None, :], w)[0] - y) ** 2)
    ys = RNG.normal(size=(3, 2))
    grads = tj.jit(tj.vmap(tj.grad(loss), in_axes=(None, 0, 0)))(W, X, ys)
    expected = np.stack([2 * np.outer(x, x @ W - y) for x, y in zip(X, ys)])
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)


def test_jacfwd_and_jacrev_agree_and_return_aux():
    def f(x):
        return tj.math.sin(x) * tj.reduce_sum(x ** 2), tj.reduce_sum(x)
    x = np.linspace(-1, 1, 4)
    (jr, aux_r), (jf, aux_f) = tj.jacrev(f, has_aux=True)(x), tj.jacfwd(f, has_aux=True)(x)
    expected = np.diag(np.cos(x)) * np.sum(x ** 2) + np.outer(np.sin(x), 2 * x)
    np.testing.assert_allclose(jr.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(jf.numpy(), expected, rtol=1e-12)
    assert float(aux_r) == float(aux_f) == float(np.sum(x))


def test_vmap_of_jit_and_jit_of_nested_vmap():
    f = lambda a, b: tj.reduce_sum(a * b)  # noqa: E731
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4,))
    expected = np.einsum("ijk,k->ij", a, b)
    np.testing.assert_allclose(tj.vmap(tj.vmap(tj.jit(f), (0, None)), (0, None))(a, b).numpy(),
                               expected, rtol=1e-12)
    nested = tj.jit(tj.vmap(tj.vmap(f, (0, None)), (1, None), out_axes=1))
    np.testing.assert_allclose(nested(a.transpose(1, 0, 2), b).numpy(), expected.T, rtol=1e-12)


def test_batch_jacobian_under_jit_equals_eager():
    def per_example(x):
        with tj.GradientTape() as tape:
            tape.watch(x)
            y = tj.math.tanh(tj.matmul(x, W))
        return tape.batch_jacobian(y, x)
    eager = per_example(tj.constant(X))
    np.testing.assert_allclose(tj.jit(per_example)(X).numpy(), eager.numpy(), rtol=1e-12)
    expected = np.stack([(1 - np.tanh(x @ W) ** 2)[:, None] * W.T for x in X])
    np.testing.assert_allclose(eager.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 4, 5])
@pytest.mark.parametrize("axis", [0, 1])
def test_random_bits_under_one_key_equal_a_loop(n, axis):
    key = np.array([3, 7], np.uint32)
    counts = np.random.default_rng(n).integers(0, 2**32, size=(3, n)).astype(np.uint32)
    got = tj.vmap(lambda c: bind(threefry2x32_p, key, c), in_axes=axis)(
        counts if axis == 0 else counts.T)
    expected = np.stack([threefry2x32_p.impl(key, c) for c in counts])
    np.testing.assert_array_equal(got.numpy(), expected)


def test_random_draws_from_split_keys_equal_a_loop():
    keys = tj.random.split(tj.random.key(0), 3)
    got = tj.vmap(lambda k: tj.random.normal(k, (5,)))(keys)
    expected = np.stack([tj.random.normal(k, (5,)).numpy() for k in keys])
    np.testing.assert_array_equal(got.numpy(), expected)


def test_a_fused_group_batches_through_its_body():
    def f(x):
        return tj.reduce_sum(tj.math.exp(x) * 2 + x, axis=1)
    program = tj.jit(f).lower(X).fused
    assert any(e.prim.name == "fused" for e in program.eqns)
    xs = RNG.normal(size=(5, 3, 4))
    (out,), (dim,) = batch_eval(program, [xs], [0])
    run = lambda x: walk(program, [x], lambda e, ins: e.prim.impl(*ins, **e.params))[0]  # noqa
    np.testing.assert_allclose(np.moveaxis(out.numpy(), dim, 0), np.stack([run(x) for x in xs]),
                               rtol=1e-12)


def test_equations_of_constants_in_a_batched_program_stay_equations_under_jit():
    """The seed of grad (a broadcast of 1.0) is unbatched and reads only literals: under jit
    vmap emits it, instead of computing the array now and capturing it as an input."""
    def loss(w, x):
        return tj.reduce_sum(tj.math.tanh(x * w) ** 2)
    w, xs = np.linspace(-1, 1, 300), np.ones((4, 300))
    per_example = tj.vmap(tj.grad(loss), in_axes=(None, 0))
    program = tj.make_ir(per_example)(w, xs)
    assert [v.type.shape for v in program.inputs] == [(300,), (4, 300)]
    np.testing.assert_allclose(tj.jit(per_example)(w, xs).numpy(),
                               np.stack([tj.grad(loss)(tj.constant(w), tj.constant(x)).numpy()
                                         for x in xs]), rtol=1e-12)
