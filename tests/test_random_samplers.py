"""The samplers beyond uniform/normal/bernoulli (randint, gumbel, categorical, permutation)
and TF's stateful forms on keys: ranges, distributions, JAX's and TF's shape rules and
errors, eager == jit, and TF's seed rules (set_seed restarts, op seeds advance)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tapejit as tj

PROBS = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])


def _eager_and_jit(fn, *args):
    eager = fn(*args).numpy()
    np.testing.assert_array_equal(tj.jit(fn)(*args).numpy(), eager)
    return eager


def test_randint_covers_its_range_uniformly_and_jit_equals_eager():
    key = tj.random.key(1)
    draws = _eager_and_jit(lambda k: tj.random.randint(k, (6000,), -3, 3), key)
    assert draws.dtype == np.int32 and draws.min() == -3 and draws.max() == 2
    assert np.all(np.abs(np.bincount(draws + 3) / 6000 - 1 / 6) < 0.02)
    np.testing.assert_array_equal(tj.random.randint(key, (3,), 5, 2).numpy(), [5, 5, 5])


def test_randint_spans_the_whole_dtype_and_broadcasts_its_bounds():
    key = tj.random.key(2)
    info = np.iinfo(np.int32)
    wide = tj.random.randint(key, (2000,), info.min, info.max).numpy()
    assert wide.min() < -2**30 and wide.max() > 2**30
    big = tj.random.randint(key, (2000,), 0, 2**40, tj.int64).numpy()
    assert big.dtype == np.int64 and big.max() > 2**39 and big.min() >= 0
    rows = tj.random.randint(key, (500, 2), np.array([0, 10]), np.array([2, 12])).numpy()
    assert set(np.unique(rows[:, 0])) == {0, 1} and set(np.unique(rows[:, 1])) == {10, 11}
    with pytest.raises(tj.errors.DTypeError, match="integer dtype"):
        tj.random.randint(key, (2,), 0, 3, tj.float32)


def test_gumbel_has_the_euler_mascheroni_mean():
    draws = tj.random.gumbel(tj.random.key(3), (20_000,), tj.float64).numpy()
    assert np.all(np.isfinite(draws)) and abs(draws.mean() - np.euler_gamma) < 0.03
    assert abs(draws.var() - np.pi**2 / 6) < 0.06


def test_categorical_draws_with_the_softmax_probabilities_and_jit_equals_eager():
    key = tj.random.key(4)
    draws = _eager_and_jit(lambda k: tj.random.categorical(k, np.log(PROBS), shape=(4000, 2)),
                           key)
    assert draws.shape == (4000, 2) and draws.dtype == np.int32
    for row in range(2):
        freq = np.bincount(draws[:, row], minlength=3) / 4000
        assert np.all(np.abs(freq - PROBS[row]) < 0.03)
    along_first = tj.random.categorical(key, np.log(PROBS.T), axis=0).numpy()
    assert along_first.shape == (2,) and set(along_first) <= {0, 1, 2}
    with pytest.raises(tj.errors.ShapeError, match="batch shape"):
        tj.random.categorical(key, np.log(PROBS), shape=(5, 3))


def test_categorical_without_replacement_draws_distinct_classes():
    key = tj.random.key(5)
    logits = np.log(np.full((6, 4), 0.25))
    draws = tj.random.categorical(key, logits, shape=(4, 6), replace=False).numpy()
    assert draws.shape == (4, 6)
    assert all(sorted(draws[:, column]) == [0, 1, 2, 3] for column in range(6))
    with pytest.raises(ValueError, match="without replacement"):
        tj.random.categorical(key, logits, shape=(5, 6), replace=False)


def test_permutation_of_an_int_of_an_axis_and_independently():
    key = tj.random.key(6)
    perm = _eager_and_jit(lambda k: tj.random.permutation(k, 50), key)
    assert sorted(perm) == list(range(50)) and list(perm) != list(range(50))
    x = np.arange(24).reshape(4, 6)
    columns = tj.random.permutation(key, x, axis=1).numpy()
    assert sorted(columns[0]) == list(range(6))
    np.testing.assert_array_equal(columns, x[:, columns[0]])
    independent = tj.random.permutation(key, x, axis=1, independent=True).numpy()
    for row, original in zip(independent, x):
        assert sorted(row) == list(original)
    assert len({tuple(row - row.min()) for row in independent}) > 1
    with pytest.raises(tj.errors.ShapeError, match="integer"):
        tj.random.permutation(key, 2.5)


def test_set_seed_restarts_the_stateful_draws_and_op_seeds_advance_as_tf():
    tj.random.set_seed(1234)
    first = [tj.random.uniform((2,)).numpy(), tj.random.uniform((2,)).numpy()]
    seeded = [tj.random.uniform((2,), seed=1).numpy() for _ in range(2)]
    assert not np.array_equal(*first) and not np.array_equal(*seeded)
    tj.random.set_seed(1234)
    np.testing.assert_array_equal(tj.random.uniform((2,)).numpy(), first[0])
    np.testing.assert_array_equal(tj.random.uniform((2,), seed=1).numpy(), seeded[0])
    tj.random.set_seed(99)
    assert not np.array_equal(tj.random.uniform((2,), seed=1).numpy(), seeded[0])


def test_jitted_stateful_draws_are_fresh_per_call_and_equal_the_eager_sequence():
    def draws():
        return (tj.random.normal((3,), 1.0, 2.0, tj.float64), tj.random.uniform((3,), seed=7),
                tj.random.uniform((4,), 0, 100, tj.int64))
    tj.random.set_seed(5)
    eager = [[d.numpy() for d in draws()] for _ in range(2)]
    tj.random.set_seed(5)
    step = tj.jit(draws)
    jitted = [[d.numpy() for d in step()] for _ in range(2)]
    assert step.cache_info().misses == 1
    for got, expected in zip(jitted, eager):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-13)
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_array_equal(got[2], expected[2])
    assert not np.array_equal(jitted[0][0], jitted[1][0])
    assert eager[0][2].dtype == np.int64 and eager[0][2].min() >= 0 and eager[0][2].max() < 100


def test_fresh_threads_repeat_op_seeded_draws_but_not_unseeded_ones():
    results = []

    def draw():
        results.append((tj.random.normal((4,), seed=3).numpy(), tj.random.normal((4,)).numpy()))
    for _ in range(2):
        worker = threading.Thread(target=draw)
        worker.start()
        worker.join()
    (seeded_a, free_a), (seeded_b, free_b) = results
    np.testing.assert_array_equal(seeded_a, seeded_b)
    assert not np.array_equal(free_a, free_b)


def test_tf_categorical_shuffle_and_integer_uniform():
    tj.random.set_seed(0)
    draws = tj.random.categorical(np.log(PROBS), 3000)
    assert draws.shape == (2, 3000) and draws.dtype == np.int64
    assert np.all(np.abs(np.bincount(draws.numpy()[0], minlength=3) / 3000 - PROBS[0]) < 0.03)
    assert tj.random.categorical(np.log(PROBS), 2, dtype=tj.int32).dtype == np.int32
    shuffled = tj.random.shuffle(np.arange(20).reshape(10, 2)).numpy()
    assert sorted(shuffled[:, 0]) == list(range(0, 20, 2)) and np.all(shuffled[:, 1] ==
                                                                     shuffled[:, 0] + 1)
    with pytest.raises(ValueError, match="maxval"):
        tj.random.uniform((2,), 0, None, tj.int32)
    with pytest.raises(tj.errors.ShapeError, match="batch, classes"):
        tj.random.categorical(np.zeros(3), 2)
