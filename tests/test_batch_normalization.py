"""tj.layers.BatchNormalization: Keras 3's forward and moving-statistics update against NumPy,
gradients against finite differences, eager == jit, training= through Sequential, and a jitted
training step with Dropout, BatchNormalization and an optimizer that traces once."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.errors import ShapeError

RNG = np.random.default_rng(7)


def _reference(x, gamma, beta, mean, variance, axis, epsilon=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.reshape(v, shape)
    return (x - r(mean)) / np.sqrt(r(variance) + epsilon) * r(gamma) + r(beta)


def _batch_moments(x, axis):
    axes = tuple(a for a in range(x.ndim) if a != axis)
    return x.mean(axis=axes), x.var(axis=axes)


def _fixed(values):
    return lambda shape, dtype: np.asarray(values, dtype)


def _layer(features, **kwargs):
    gamma, beta = RNG.uniform(0.5, 2.0, features), RNG.standard_normal(features)
    layer = tj.layers.BatchNormalization(gamma_initializer=_fixed(gamma),
                                         beta_initializer=_fixed(beta), dtype="float64",
                                         **kwargs)
    return layer, gamma, beta


@pytest.mark.parametrize("shape, axis", [((8, 3), -1), ((4, 3, 2, 5), 1), ((5, 2, 4), -1)])
def test_training_and_inference_outputs_and_moving_updates_match_numpy(shape, axis):
    features = shape[axis]
    layer, gamma, beta = _layer(features, axis=axis, momentum=0.9)
    moving_mean, moving_var = np.zeros(features), np.ones(features)
    for _ in range(3):
        x = RNG.standard_normal(shape) * 3 + 2
        mean, var = _batch_moments(x, axis % len(shape))
        np.testing.assert_allclose(layer(x, training=True).numpy(),
                                   _reference(x, gamma, beta, mean, var, axis), rtol=1e-12,
                                   atol=1e-12)
        moving_mean = moving_mean * 0.9 + mean * (1 - 0.9)
        moving_var = moving_var * 0.9 + var * (1 - 0.9)
        np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-12)
    for training in (False, None):
        np.testing.assert_allclose(layer(x, training=training).numpy(),
                                   _reference(x, gamma, beta, moving_mean, moving_var, axis),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-12)


def test_keras_defaults_weight_names_and_trainable_flags():
    layer = tj.layers.BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon, layer.center, layer.scale) == (
        -1, 0.99, 1e-3, True, True)
    x = RNG.standard_normal((16, 4)).astype(np.float32)
    y = layer(x, training=True)
    assert y.dtype == np.float32
    assert [v.name for v in layer.variables] == [
        f"{layer.name}/{w}:0" for w in ("gamma", "beta", "moving_mean", "moving_variance")]
    assert [v.name.split("/")[-1] for v in layer.trainable_variables] == ["gamma:0", "beta:0"]
    assert all(not v.trainable for v in layer.non_trainable_variables)
    mean, var = _batch_moments(x.astype(np.float64), 1)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-5)
    np.testing.assert_allclose(y.numpy(), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4,
                               atol=1e-5)


def test_without_center_and_scale_and_with_moving_initializers():
    layer = tj.layers.BatchNormalization(center=False, scale=False, dtype="float64",
                                         moving_mean_initializer=_fixed([1.0, -1.0]),
                                         moving_variance_initializer=_fixed([4.0, 0.25]))
    x = RNG.standard_normal((5, 2))
    y = layer(x)
    assert [v.name.split("/")[-1] for v in layer.variables] == ["moving_mean:0",
                                                                "moving_variance:0"]
    np.testing.assert_allclose(y.numpy(), (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25])
                                                                     + 1e-3), rtol=1e-12)


def _numeric_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_finite_differences(training):
    layer, gamma, beta = _layer(3, axis=1, moving_variance_initializer=_fixed([2.0, 0.5, 1.5]))
    x = RNG.standard_normal((4, 3, 2))
    moving = np.zeros(3), np.array([2.0, 0.5, 1.5])
    xt = tj.constant(x)
    with tj.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=training)
        probe = RNG.standard_normal(y.shape)
        loss = tj.reduce_sum(y * probe)
    grads = tape.gradient(loss, [xt, layer.gamma, layer.beta])

    def reference(x, gamma, beta):
        stats = _batch_moments(x, 1) if training else moving
        return float(np.sum(_reference(x, gamma, beta, *stats, axis=1) * probe))

    arrays = [x, gamma, beta]
    for i, grad in enumerate(grads):
        scalar = lambda v, i=i: reference(*(arrays[:i] + [v] + arrays[i + 1:]))
        np.testing.assert_allclose(grad.numpy(), _numeric_grad(scalar, arrays[i]), rtol=1e-6,
                                   atol=1e-7)


def test_second_order_gradients_in_training_mode():
    layer, _, _ = _layer(3)
    layer(np.zeros((2, 3)))
    tj.testing.check_grads(lambda x: tj.reduce_sum(tj.math.sin(layer(x, training=True))),
                           (RNG.standard_normal((5, 3)),), order=2)


def test_eager_equals_jit_for_outputs_and_moving_statistics():
    eager, _, _ = _layer(4, momentum=0.8)
    jitted = tj.layers.BatchNormalization(momentum=0.8, dtype="float64")
    x0 = RNG.standard_normal((6, 4))
    eager(x0)
    jitted(x0)
    jitted.set_weights(eager.get_weights())
    run = tj.jit(lambda x, training: jitted(x, training=training), static_argnums=1)
    for _ in range(4):
        x = RNG.standard_normal((6, 4)) * 2 - 1
        np.testing.assert_allclose(run(x, True).numpy(), eager(x, training=True).numpy(),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(run(x, False).numpy(), eager(x, training=False).numpy(),
                                   rtol=1e-12, atol=1e-12)
    for got, want in zip(jitted.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert run.cache_info().misses == 2
    assert not np.allclose(jitted.moving_mean.numpy(), 0.0)


def test_sequential_passes_training_down_and_a_frozen_layer_uses_its_moving_statistics():
    model = tj.layers.Sequential([tj.layers.BatchNormalization(momentum=0.5, dtype="float64")])
    x = RNG.standard_normal((8, 2)) + 3
    model(x)
    bn = model.layers[0]
    assert bn.moving_mean.name == "sequential/batch_normalization/moving_mean:0"
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.0)
    np.testing.assert_allclose(model(x).numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-12)
    model(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(axis=0), rtol=1e-12)
    model.trainable = False
    frozen = bn.moving_mean.numpy()
    out = model(x, training=True)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), frozen)
    np.testing.assert_allclose(out.numpy(), _reference(x, 1, 0, frozen,
                                                       bn.moving_variance.numpy(), -1),
                               rtol=1e-12)


def test_bad_axis_and_mismatched_inputs_are_clear_errors():
    with pytest.raises(ShapeError, match=r"axis 2 is out of range.*\(4, 3\)"):
        tj.layers.BatchNormalization(axis=2)(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="axis must be an int"):
        tj.layers.BatchNormalization(axis=[1, 2])
    layer = tj.layers.BatchNormalization()
    layer(np.zeros((4, 3), np.float32))
    with pytest.raises(ShapeError, match=r"built for rank-2 inputs with 3 features.*\(4, 5\)"):
        layer(np.zeros((4, 5), np.float32))


def _step_model():
    tj.layers.clear_session()
    return tj.layers.Sequential([
        tj.layers.Dense(16, activation="relu", dtype="float64"),
        tj.layers.BatchNormalization(dtype="float64"),
        tj.layers.Dropout(0.3, seed=11, dtype="float64"),
        tj.layers.Dense(1, dtype="float64")])


def _training(model, wrap):
    optimizer = tj.optimizers.Adam(0.01)

    def step(x, y):
        with tj.GradientTape() as tape:
            loss = tj.reduce_mean((model(x, training=True) - y) ** 2)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return wrap(step)


def test_a_jitted_step_with_dropout_batchnorm_and_adam_traces_once_and_equals_eager():
    tj.random.set_seed(0)  # initial weights and data of their own: the loss must halve
    x = np.random.default_rng(0).standard_normal((32, 4))
    y = np.sin(x[:, :1]) + x[:, 1:2]
    eager_model, jit_model = _step_model(), _step_model()
    eager_model(x)
    jit_model(x)
    jit_model.set_weights(eager_model.get_weights())
    eager_step, jit_step = _training(eager_model, lambda f: f), _training(jit_model, tj.jit)
    steps = 25
    eager = [float(eager_step(x, y).numpy()) for _ in range(steps)]
    jitted = [float(jit_step(x, y).numpy()) for _ in range(steps)]
    info = jit_step.cache_info()
    assert (info.misses, info.hits) == (1, steps - 1)
    np.testing.assert_allclose(jitted, eager, rtol=1e-10)
    for got, want in zip(jit_model.get_weights(), eager_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    dropout, bn = jit_model.layers[2], jit_model.layers[1]
    assert int(dropout.step.numpy()) == steps
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    masks = {tuple(dropout(np.ones((1, 16)), training=True).numpy().ravel() > 0)
             for _ in range(5)}
    assert len(set(jitted)) == steps and len(masks) == 5 and eager[-1] < 0.5 * eager[0]
