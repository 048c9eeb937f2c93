"""Counter-based random keys: Threefry-2x32's published answers, eager == jit bitwise,
split/fold_in, the distributions of uniform/normal/bernoulli, and Dropout under jit."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit.primitives.random_bits import threefry2x32
from tests.threefry_reference import reference_threefry

U32 = np.uint32
# Random123's known answers for threefry2x32 with 20 rounds: (key, counter, result)
KNOWN_ANSWERS = [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("key,counter,expected", KNOWN_ANSWERS)
def test_threefry_known_answers_eager_and_jit(key, counter, expected):
    k, c = np.array(key, U32), np.array(counter, U32)
    eager = threefry2x32(tj.constant(k), tj.constant(c)).numpy()
    jitted = tj.jit(threefry2x32)(k, c).numpy()
    np.testing.assert_array_equal(eager, np.array(expected, U32))
    np.testing.assert_array_equal(jitted, np.array(expected, U32))


def test_the_jitted_bits_are_compiled_not_interpreted():
    source = tj.jit(threefry2x32).lower(np.zeros(2, U32), np.arange(3, dtype=U32)).source
    assert "runs in the NumPy interpreter" not in source and "threefry2x32" in source


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_bits_eager_equal_jit_and_the_reference(n):
    key = tj.random.key(2**40 + 12345)
    np.testing.assert_array_equal(key.numpy(), np.array([256, 12345], U32))
    eager = tj.random.bits(key, (n,)).numpy()
    jitted = tj.jit(lambda k: tj.random.bits(k, (n,)))(key).numpy()
    assert eager.dtype == U32 and eager.shape == (n,)
    np.testing.assert_array_equal(eager, jitted)
    np.testing.assert_array_equal(eager, reference_threefry(key.numpy(), np.arange(n)))


def test_split_and_fold_in_give_distinct_keys_eagerly_and_under_jit():
    key = tj.random.key(0)
    keys = tj.random.split(key, 4).numpy()
    assert keys.shape == (4, 2) and keys.dtype == U32
    folded = [tj.random.fold_in(key, i).numpy() for i in range(4)]
    rows = {tuple(r) for r in keys} | {tuple(f) for f in folded} | {tuple(key.numpy())}
    assert len(rows) == 9
    np.testing.assert_array_equal(tj.jit(lambda k: tj.random.split(k, 4))(key).numpy(), keys)
    fold = tj.jit(tj.random.fold_in)
    for i in range(4):
        np.testing.assert_array_equal(fold(key, tj.constant(np.int32(i))).numpy(), folded[i])
    assert fold.cache_info().misses == 1


def test_the_same_key_reproduces_and_a_bad_key_is_refused():
    key = tj.random.key(7)
    a, b = tj.random.uniform(key, (5,)).numpy(), tj.random.uniform(key, (5,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, tj.random.uniform(tj.random.key(8), (5,)).numpy())
    with pytest.raises(tj.errors.DTypeError, match="fix"):
        tj.random.bits(np.zeros(2, np.int32), (3,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_is_in_range_with_mean_one_half_and_equal_under_jit(dtype):
    key = tj.random.key(3)
    draws = tj.random.uniform(key, (10_000,), dtype).numpy()
    assert draws.dtype == dtype and draws.min() >= 0.0 and draws.max() < 1.0
    assert abs(draws.mean() - 0.5) < 0.015 and abs(draws.var() - 1 / 12) < 0.005
    jitted = tj.jit(lambda k: tj.random.uniform(k, (10_000,), dtype))(key).numpy()
    np.testing.assert_array_equal(draws, jitted)
    scaled = tj.random.uniform(key, (10_000,), dtype, -2.0, 3.0).numpy()
    assert scaled.min() >= -2.0 and scaled.max() < 3.0 and abs(scaled.mean() - 0.5) < 0.08


def test_uniform_float32_takes_the_top_23_bits_of_each_word():
    key = tj.random.key(11)
    words = tj.random.bits(key, (64,)).numpy()
    expected = (words >> 9).astype(np.float32) * np.float32(2.0**-23)
    np.testing.assert_array_equal(tj.random.uniform(key, (64,)).numpy(), expected)


def test_normal_has_mean_zero_and_std_one_and_equal_under_jit():
    key = tj.random.key(5)
    draws = tj.random.normal(key, (10_000,), tj.float64).numpy()
    assert abs(draws.mean()) < 0.04 and abs(draws.std() - 1.0) < 0.03
    assert abs(np.mean(np.abs(draws) < 1.0) - 0.6827) < 0.02
    jitted = tj.jit(lambda k: tj.random.normal(k, (10_000,), tj.float64))(key).numpy()
    np.testing.assert_allclose(jitted, draws, rtol=1e-12, atol=1e-14)


def test_bernoulli_frequency_and_the_stateful_tf_forms_still_work():
    hits = tj.random.bernoulli(tj.random.key(9), 0.3, (10_000,)).numpy()
    assert hits.dtype == np.bool_ and abs(hits.mean() - 0.3) < 0.02
    tf_normal = tj.random.normal((3, 2), seed=0)
    assert tf_normal.shape == (3, 2) and tf_normal.dtype == np.float32
    tf_uniform = tj.random.uniform((1000,), 2.0, 5.0, seed=1).numpy()
    assert tf_uniform.min() >= 2.0 and tf_uniform.max() < 5.0


def _training_step(layer):
    return tj.jit(lambda x: layer(x, training=True))


def test_dropout_masks_are_equal_eagerly_and_under_jit_and_fresh_each_jitted_step():
    x = np.ones((50, 40), np.float32)
    eager_layer, jit_layer = tj.layers.Dropout(0.25, seed=4), tj.layers.Dropout(0.25, seed=4)
    step = _training_step(jit_layer)
    outs = [step(x).numpy(), step(x).numpy()]
    eager = [eager_layer(x, training=True).numpy() for _ in range(2)]
    assert step.cache_info().misses == 1 and int(jit_layer.step.numpy()) == 2
    for got, expected in zip(outs, eager):
        np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(outs[0], outs[1])
    for out in outs:
        assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
        assert abs(np.mean(out != 0) - 0.75) < 0.03


def test_dropout_is_the_identity_outside_training_and_rejects_a_bad_rate():
    layer = tj.layers.Dropout(0.5, seed=0)
    x = np.arange(6, dtype=np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert int(layer.step.numpy()) == 0
    with pytest.raises(ValueError, match="rate"):
        tj.layers.Dropout(1.0)


def test_dropout_gradient_flows_through_kept_units_only():
    layer = tj.layers.Dropout(0.5, seed=2)
    x = tj.constant(np.linspace(-1.0, 1.0, 200).astype(np.float32))
    with tj.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, training=True)
        loss = tj.reduce_sum(out * out)
    grad = tape.gradient(loss, x).numpy()
    kept = out.numpy() != 0
    np.testing.assert_allclose(grad[kept], 2 * out.numpy()[kept] * 2.0, rtol=1e-6)
    assert np.all(grad[~kept] == 0) and 0 < kept.sum() < 200


def test_a_jitted_training_step_with_dropout_traces_once_and_advances_the_step():
    tj.random.set_seed(0)
    model = tj.layers.Sequential([tj.layers.Dense(8, activation="relu"),
                                  tj.layers.Dropout(0.5), tj.layers.Dense(1)])
    optimizer = tj.optimizers.SGD(0.1)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)

    @tj.jit
    def step(x):
        with tj.GradientTape() as tape:
            loss = tj.reduce_mean((model(x, training=True) - x[:, :1]) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
        return loss

    losses = [float(step(x).numpy()) for _ in range(3)]
    dropout = model.layers[1]
    assert step.cache_info().misses == 1 and int(dropout.step.numpy()) == 3
    assert dropout.step.name == "sequential/dropout/step:0" and not dropout.step.trainable
    assert np.all(np.isfinite(losses)) and len(set(losses)) == 3


def test_dropout_default_seeds_follow_set_seed():
    tj.random.set_seed(5)
    first = [tj.layers.Dropout(0.5).seed for _ in range(2)]
    tj.random.set_seed(5)
    again = [tj.layers.Dropout(0.5).seed for _ in range(2)]
    assert first == again and first[0] != first[1]


def test_a_traced_seed_makes_the_same_key_and_a_float_seed_is_refused():
    traced = tj.jit(tj.random.key)(np.int32(42)).numpy()
    np.testing.assert_array_equal(traced, tj.random.key(42).numpy())
    np.testing.assert_array_equal(traced, np.array([0, 42], U32))
    with pytest.raises(tj.errors.DTypeError, match="integer"):
        tj.random.key(1.5)
