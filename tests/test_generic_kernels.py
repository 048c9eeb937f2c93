"""A jitted step's kernel is the same for every batch size (but 1, which kernels specialise
on): no coincidence of sizes (a batch of 10 beside 10 classes) and no count that happens to
equal another literal may change it."""

import numpy as np
import pytest

import tapejit as tj

BATCHES = (2, 3, 10, 16, 64, 67, 128)
FEATURES, HIDDEN, CLASSES = 64, 16, 10


def _loss(kind, logits, y):
    if kind == "mean":
        return tj.reduce_mean(tj.nn.softmax_cross_entropy_with_logits(y, logits))
    if kind == "variance":
        return tj.math.reduce_variance(logits - y) + tj.reduce_mean(logits)
    return tj.math.reduce_std(logits - y, axis=0)[0] + tj.math.reduce_variance(logits, axis=1)[0]


def _step(optimizer, loss_kind):
    hidden = tj.layers.Dense(HIDDEN, activation="relu")
    out = tj.layers.Dense(CLASSES)

    @tj.jit
    def step(x, y):
        with tj.GradientTape() as tape:
            loss = _loss(loss_kind, out(hidden(x)), y)
        variables = hidden.trainable_variables + out.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def _batch(n, rng):
    x = rng.standard_normal((n, FEATURES)).astype(np.float32)
    return x, np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, n)]


OPTIMIZERS = {"sgd": lambda: tj.optimizers.SGD(0.1),
              "momentum": lambda: tj.optimizers.SGD(0.1, momentum=0.9),
              "adam": lambda: tj.optimizers.Adam(0.01)}


@pytest.mark.parametrize("loss_kind", ["mean", "variance", "std"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_one_kernel_for_every_batch_size(optimizer, loss_kind):
    rng = np.random.default_rng(0)
    step = _step(OPTIMIZERS[optimizer](), loss_kind)
    step(*_batch(5, rng))  # builds the layers
    sources = {n: step.lower(*_batch(n, rng)).source for n in BATCHES}
    assert len(set(sources.values())) == 1, "the kernel changed with the batch size"
    assert "runs in the NumPy interpreter" not in sources[2]


def test_batches_of_one_get_their_own_kernel():
    rng = np.random.default_rng(1)
    step = _step(tj.optimizers.Adam(0.01), "mean")
    step(*_batch(5, rng))
    assert step.lower(*_batch(1, rng)).source != step.lower(*_batch(2, rng)).source
