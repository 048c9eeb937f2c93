"""tj.layers: outputs and gradients against NumPy (float64), Keras naming, trainable flags,
weight I/O, and a small model trained eagerly and under tj.jit."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.errors import TapejitError

RNG = np.random.default_rng(0)


def _fixed(values):
    """An initializer returning `values` (shape-checked by the layer)."""
    return lambda shape, dtype: np.asarray(values, dtype)


def _numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar NumPy function f at x."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _check_layer(layer, x, reference, params):
    """layer(x) equals reference(x, *params) and the gradients of sum(y * probe) with respect
    to x and to each weight match central differences of the reference."""
    x = np.asarray(x, np.float64)
    xt = tj.constant(x)
    with tj.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        probe = RNG.standard_normal(tuple(y.shape))
        loss = tj.reduce_sum(y * probe)
    weights = list(layer.trainable_variables)
    grads = tape.gradient(loss, [xt] + weights)
    np.testing.assert_allclose(y.numpy(), reference(x, *params), rtol=1e-12, atol=1e-12)
    arrays = [x] + list(params)
    for i, grad in enumerate(grads):
        def scalar(value, i=i):
            args = arrays[:i] + [value] + arrays[i + 1:]
            return float(np.sum(reference(*args) * probe))
        np.testing.assert_allclose(grad.numpy(), _numeric_grad(scalar, arrays[i]),
                                   rtol=1e-6, atol=1e-7)


def test_dense_output_and_gradients_match_numpy():
    kernel, bias = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    layer = tj.layers.Dense(2, activation="tanh", kernel_initializer=_fixed(kernel),
                            bias_initializer=_fixed(bias), dtype="float64")
    _check_layer(layer, RNG.standard_normal((4, 3)), lambda x, k, b: np.tanh(x @ k + b),
                 [kernel, bias])


def test_dense_acts_on_the_last_axis_and_takes_a_callable_activation_without_bias():
    kernel = RNG.standard_normal((3, 5))
    layer = tj.layers.Dense(5, activation=lambda y: y * y, use_bias=False,
                            kernel_initializer=_fixed(kernel), dtype=np.float64)
    _check_layer(layer, RNG.standard_normal((2, 4, 3)), lambda x, k: (x @ k) ** 2, [kernel])
    assert [v.name for v in layer.variables] == ["dense/kernel:0"]


def test_dense_rejects_a_different_feature_count_after_building():
    layer = tj.layers.Dense(2)
    layer(np.ones((1, 3)))
    with pytest.raises(tj.ShapeError, match="built for 3 input features"):
        layer(np.ones((1, 4)))
    with pytest.raises(ValueError, match="unknown activation"):
        tj.layers.Dense(2, activation="nope")


def test_layer_normalization_matches_numpy_with_keras_defaults():
    def reference(x, gamma, beta, axes=(-1,)):
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-3) * gamma + beta

    gamma, beta = RNG.standard_normal(4), RNG.standard_normal(4)
    layer = tj.layers.LayerNormalization(gamma_initializer=_fixed(gamma),
                                         beta_initializer=_fixed(beta), dtype="float64")
    assert (layer.axis, layer.epsilon, layer.center, layer.scale) == ([-1], 1e-3, True, True)
    _check_layer(layer, RNG.standard_normal((3, 4)), reference, [gamma, beta])
    gamma2 = RNG.standard_normal((2, 3))
    two_axes = tj.layers.LayerNormalization(axis=[1, 2], center=False,
                                            gamma_initializer=_fixed(gamma2), dtype="float64")
    _check_layer(two_axes, RNG.standard_normal((2, 2, 3)),
                 lambda x, g: reference(x, g, 0.0, axes=(1, 2)), [gamma2])
    assert [v.name for v in two_axes.variables] == ["layer_normalization_1/gamma:0"]


def test_embedding_gathers_rows_and_accumulates_gradients_of_repeated_ids():
    table = RNG.standard_normal((5, 3))
    layer = tj.layers.Embedding(5, 3, embeddings_initializer=_fixed(table), dtype="float64")
    ids = np.array([[0, 4], [4, 1]])
    probe = RNG.standard_normal((2, 2, 3))
    with tj.GradientTape() as tape:
        loss = tj.reduce_sum(layer(ids) * probe)
    grad = tape.gradient(loss, layer.embeddings)
    expected = np.zeros_like(table)
    np.add.at(expected, ids, probe)
    np.testing.assert_array_equal(layer(ids).numpy(), table[ids])
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)
    assert layer.embeddings.name == "embedding/embeddings:0"
    with pytest.raises(IndexError, match=r"not in \[0, 5\)"):
        layer(np.array([5]))


def test_flatten_keeps_the_batch_axis_and_passes_gradients_through():
    x = tj.constant(RNG.standard_normal((2, 3, 4)))
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.layers.Flatten()(x)
        loss = tj.reduce_sum(y * np.arange(12.0))
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(2, 12))
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(),
                                  np.tile(np.arange(12.0), (2, 1)).reshape(2, 3, 4))


def test_initializers_follow_keras_formulas():
    tj.random.set_seed(1)
    glorot = tj.layers.get_initializer("glorot_uniform")((200, 100), np.float32)
    he = tj.layers.get_initializer("he_normal")((400, 300), np.float64)
    limit, he_std = np.sqrt(6 / 300), np.sqrt(2 / 400)
    assert glorot.dtype == np.float32 and np.abs(glorot).max() <= limit
    assert np.abs(glorot).max() > 0.95 * limit
    assert np.abs(he).max() <= 2 * he_std / 0.87962566103423978
    np.testing.assert_allclose(he.std(), he_std, rtol=0.02)
    assert tj.layers.get_initializer("ones")((2,), np.float32).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="unknown initializer"):
        tj.layers.get_initializer("glorot")
    layer = tj.layers.Dense(3, kernel_initializer="he_normal", bias_initializer="ones",
                            dtype="float64")
    layer(np.ones((1, 2)))
    assert layer.kernel.dtype == np.float64 and layer.bias.numpy().tolist() == [1.0] * 3
    with pytest.raises(ValueError, match=r"gave shape \(2,\), expected \(2, 3\)"):
        tj.layers.Dense(3, kernel_initializer=_fixed([1.0, 2.0]))(np.ones((1, 2)))


def test_default_names_are_unique_and_explicit_names_win():
    a, b, c = tj.layers.Dense(1), tj.layers.Dense(1), tj.layers.Dense(1, name="head")
    norm = tj.layers.LayerNormalization()
    for layer in (a, b, c, norm):
        layer(np.ones((1, 2)))
    assert [a.name, b.name, c.name, norm.name] == ["dense", "dense_1", "head",
                                                   "layer_normalization"]
    assert [v.name for v in b.variables] == ["dense_1/kernel:0", "dense_1/bias:0"]
    tj.layers.clear_session()
    assert tj.layers.Dense(1).name == "dense"
    with pytest.raises(ValueError, match="without '/'"):
        tj.layers.Dense(1, name="a/b")

    class MLPBlock(tj.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight((input_shape[-1], 2), name="w", trainable=False)

        def call(self, inputs):
            return tj.matmul(tj.cast(inputs, tj.float32), self.w)

    block = MLPBlock()
    assert block(np.ones((1, 3))).shape == (1, 2) and block.w.name == "mlp_block/w:0"
    assert not block.w.trainable and np.abs(block.w.numpy()).max() <= np.sqrt(6 / 5)


def test_layers_built_inside_a_layer_take_its_scope_but_a_plain_module_needs_opting_in():
    inner = tj.layers.Sequential([tj.layers.Dense(2)])
    outer = tj.layers.Sequential([inner, tj.layers.Dense(1)])
    outer(np.ones((1, 3)))
    assert [v.name for v in outer.variables] == [
        "sequential_1/sequential/dense/kernel:0", "sequential_1/sequential/dense/bias:0",
        "sequential_1/dense_1/kernel:0", "sequential_1/dense_1/bias:0"]
    same_name = tj.layers.Sequential([tj.layers.Dense(1, name="block")], name="block")
    same_name(np.ones((1, 2)))
    assert [v.name for v in same_name.variables] == ["block/block/kernel:0",
                                                     "block/block/bias:0"]

    class Model(tj.Module):
        def __init__(self):
            super().__init__()
            self.dense = tj.layers.Dense(1)

        @tj.Module.with_name_scope
        def __call__(self, x):
            return self.dense(x)

    model = Model()
    model(np.ones((1, 3)))
    assert [v.name for v in model.variables] == ["model/dense_2/kernel:0",
                                                 "model/dense_2/bias:0"]


def test_trainable_false_makes_weights_non_trainable():
    frozen = tj.layers.Dense(2, trainable=False, name="frozen")
    model = tj.layers.Sequential([tj.layers.Dense(3), frozen])
    model(np.ones((1, 4)))
    assert [v.name for v in model.non_trainable_variables] == ["sequential/frozen/kernel:0",
                                                               "sequential/frozen/bias:0"]
    with tj.GradientTape() as tape:
        loss = tj.reduce_sum(model(np.ones((1, 4))))
    assert [v.name for v in tape.watched_variables()] == ["sequential/dense/kernel:0",
                                                          "sequential/dense/bias:0"]
    model.trainable = False
    assert model.trainable_variables == () and len(model.non_trainable_variables) == 4
    model.trainable = True
    assert len(model.trainable_variables) == 4 and frozen.trainable
    assert float(loss) == float(tj.reduce_sum(model(np.ones((1, 4)))))


def test_sequential_passes_training_to_layers_that_accept_it():
    seen = []

    class Probe(tj.layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs * 2.0

    model = tj.layers.Sequential([tj.layers.Flatten()])
    model.add(Probe())
    model.add(lambda x: x + 1.0)
    np.testing.assert_array_equal(model(np.ones((1, 2)), training=True).numpy(), [[3.0, 3.0]])
    model(np.ones((1, 2)))
    assert seen == [True, None] and len(model.layers) == 3
    model.pop()
    assert len(model.layers) == 2


def test_kernel_regularizer_losses_are_listed_by_layers_and_models():
    layer = tj.layers.Dense(2, kernel_initializer="ones",
                            kernel_regularizer=lambda k: 0.1 * tj.reduce_sum(k * k))
    assert layer.losses == []
    layer(np.ones((1, 3)))
    assert [round(float(x), 6) for x in layer.losses] == [0.6]
    l2 = tj.layers.Dense(1, kernel_initializer=_fixed([[1.0], [-2.0]]), kernel_regularizer="l2")
    l1 = tj.layers.Dense(1, kernel_initializer=_fixed([[3.0]]), kernel_regularizer="l1")
    model = tj.layers.Sequential([l2, tj.layers.Dense(1), l1])
    model(np.ones((1, 2)))
    np.testing.assert_allclose([float(x) for x in model.losses], [0.05, 0.03], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown regularizer"):
        tj.layers.Dense(1, kernel_regularizer="l3")


def _model(dtype="float32"):
    return tj.layers.Sequential([tj.layers.Dense(4, activation="relu", dtype=dtype),
                                 tj.layers.LayerNormalization(dtype=dtype),
                                 tj.layers.Dense(1, dtype=dtype)])


def test_get_and_set_weights_round_trip_and_check_everything_first():
    source, target = _model(), _model()
    source(np.ones((1, 3)))
    target(np.ones((1, 3)))
    before = target.get_weights()
    weights = source.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4,), (4,), (4, 1), (1,)]
    target.set_weights(weights)
    for got, want in zip(target.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    target.set_weights(before)
    with pytest.raises(TapejitError, match="has 6 variables, got 5 arrays"):
        target.set_weights(weights[:5])
    bad = weights[:5] + [np.zeros(2)]
    with pytest.raises(TapejitError, match=r"shape \(1,\), the value \(2,\)"):
        target.set_weights(bad)
    np.testing.assert_array_equal(target.get_weights()[0], before[0])


def test_save_and_load_weights_round_trip(tmp_path):
    source, target = _model(), _model()
    source(np.ones((1, 3)))
    path = tmp_path / "w.npz"
    source.save_weights(path)
    with pytest.raises(TapejitError, match="no variables yet"):
        target.load_weights(path)
    tj.layers.clear_session()
    target = _model()
    target(np.ones((1, 3)))
    target.load_weights(path)
    np.testing.assert_array_equal(target(np.ones((2, 3))).numpy(),
                                  source(np.ones((2, 3))).numpy())
    assert sorted(np.load(path).files) == sorted(v.name for v in source.variables)


def test_bad_weight_files_are_clear_errors_and_load_nothing(tmp_path):
    model = _model()
    model(np.ones((1, 3)))
    before = model.get_weights()
    names = [v.name for v in model.variables]
    misshapen = {n: np.zeros_like(w) for n, w in zip(names, before)}
    misshapen[names[-1]] = np.zeros(3)
    np.savez(tmp_path / "shape.npz", **misshapen)
    with pytest.raises(TapejitError, match=r"sequential/dense_1/bias:0' has shape \(1,\)"):
        model.load_weights(tmp_path / "shape.npz")
    np.savez(tmp_path / "keys.npz", **{n: w for n, w in zip(names[1:], before[1:])})
    with pytest.raises(TapejitError, match="missing.*dense/kernel:0"):
        model.load_weights(tmp_path / "keys.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(TapejitError, match="cannot read"):
        model.load_weights(tmp_path / "junk.npz")
    with pytest.raises(TapejitError, match="not a .npz path"):
        model.save_weights(tmp_path / "w.h5")
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def _train(model, x, y, step_fn, steps=30):
    opt = tj.optimizers.Adam(0.05)

    def step(x, y):
        with tj.GradientTape() as tape:
            loss = tj.reduce_mean((model(x, training=True) - y) ** 2)
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    run = step_fn(step)
    return [float(run(x, y)) for _ in range(steps)], run


def test_a_sequential_model_trains_with_adam_eagerly_and_under_jit_alike():
    x = RNG.standard_normal((16, 3))
    y = np.sin(x.sum(axis=1, keepdims=True))
    tj.random.set_seed(3)
    eager_model = _model("float64")
    eager_model(x)
    jit_model = _model("float64")
    jit_model(x)
    jit_model.set_weights(eager_model.get_weights())
    eager, _ = _train(eager_model, x, y, lambda f: f)
    jitted, step = _train(jit_model, x, y, tj.jit)
    assert eager[-1] < 0.5 * eager[0] and step.cache_info().misses == 1
    np.testing.assert_allclose(jitted, eager, rtol=1e-12)
    for got, want in zip(jit_model.get_weights(), eager_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_model_first_called_under_jit_builds_its_named_weights():
    model = _model("float64")
    x = RNG.standard_normal((2, 3))
    out = tj.jit(lambda x: model(x))(x)
    assert [v.name for v in model.variables][::2] == ["sequential/dense/kernel:0",
                                                      "sequential/layer_normalization/gamma:0",
                                                      "sequential/dense_1/kernel:0"]
    np.testing.assert_allclose(out.numpy(), model(x).numpy(), rtol=1e-12, atol=1e-12)
