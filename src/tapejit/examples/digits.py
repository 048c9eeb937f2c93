"""Train a small classifier on scikit-learn's 8x8 handwritten digits with a jitted step.

`build_model` is the one place that says what the network is: the data are images of shape
(8, 8, 1), channels last, so a convolutional model is a change to that function only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tapejit as tj

EPOCHS = 60
BATCH_SIZE = 64


@dataclass(frozen=True)
class Digits:
    """The digits split into training and held-out images (n, 8, 8, 1) in [0, 1] and
    integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Digits:
    """scikit-learn's 1797 digits, a stratified held-out split of `test_fraction`."""
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    data = sklearn_digits()
    images = (data.images / 16.0).astype(np.float32)[..., None]
    labels = data.target.astype(np.int32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return Digits(x_train, y_train, x_test, y_test)


def one_blas_thread():
    """Limit BLAS (NumPy's, and SciPy's that the Numba kernels call) to one thread, until
    `.restore_original_limits()` or the end of a `with` block. The matrices here are small
    (64 x 64 by 64 x 256): OpenBLAS's worker threads cost more than they save, ten times
    more when other processes share the cores."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def build_model() -> tj.layers.Sequential:
    """The network, a small CNN: images (batch, 8, 8, 1) -> 10 logits."""
    layers = tj.layers
    return layers.Sequential([
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.25),
        layers.Dense(10),
    ], name="digits")


@dataclass
class Trainer:
    """A model, its optimizer and the training step (jitted or eager) over one batch."""

    model: tj.layers.Sequential
    optimizer: tj.optimizers.Optimizer
    jit: bool = True
    step: Callable = field(init=False)
    predict: Callable = field(init=False)

    def __post_init__(self) -> None:
        wrap = tj.jit if self.jit else (lambda f: f)
        self.step = wrap(self._train_step)
        self.predict = wrap(self._logits)

    def _train_step(self, x, y):
        """One optimizer step; returns the batch's mean loss and its number of correct
        predictions."""
        with tj.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = tj.reduce_mean(tj.losses.sparse_categorical_crossentropy(
                y, logits, from_logits=True))
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        correct = tj.reduce_sum(tj.metrics.sparse_categorical_accuracy(y, logits))
        return loss, correct

    def _logits(self, x):
        return self.model(x, training=False)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """The fraction of `x` classified as `y` (inference mode)."""
        predicted = np.argmax(np.asarray(self.predict(x)), axis=-1)
        return float(np.mean(predicted == y))


@dataclass
class History:
    """Per-epoch mean training loss and accuracy, held-out accuracy, and seconds."""

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def make_trainer(decay_steps: int, jit: bool = True, seed: int = 0,
                 learning_rate: float = 3e-3) -> Trainer:
    """A fresh model (weights named 'digits/dense/kernel:0', ...) and Adam whose learning
    rate follows a cosine decay to 0 over `decay_steps`, seeded by `seed`."""
    tj.layers.clear_session()
    tj.random.set_seed(seed)
    schedule = tj.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    return Trainer(build_model(), tj.optimizers.Adam(schedule), jit=jit)


def steps_per_epoch(data: Digits, batch_size: int = BATCH_SIZE) -> int:
    return len(data.x_train) // batch_size


def shift_images(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by -1, 0 or 1 pixel along each axis (zeros shifted in): the
    augmentation that takes a small network past 98% held-out accuracy."""
    n, height, width = images.shape[:3]
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    rows = rng.integers(0, 3, n)[:, None] + np.arange(height)
    cols = rng.integers(0, 3, n)[:, None] + np.arange(width)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def batches(n: int, batch_size: int, rng: np.random.Generator):
    """Shuffled index batches of exactly `batch_size` (the remainder is dropped, so a jitted
    step sees one shape and traces once)."""
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        yield order[start:start + batch_size]


def train(trainer: Trainer, data: Digits, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE,
          seed: int = 0, augment: bool = True, on_batch: Callable | None = None,
          max_steps: int | None = None) -> History:
    """Train for `epochs` (or `max_steps` steps in all), on freshly shifted images each epoch
    when `augment`; `on_batch(epoch, index, count, mean_loss, seconds)` is called after every
    step (a progress bar)."""
    rng = np.random.default_rng(seed)
    history, steps = History(), 0
    count = steps_per_epoch(data, batch_size)
    for epoch in range(epochs):
        start, total_loss, total_correct, seen = time.perf_counter(), 0.0, 0.0, 0
        images = shift_images(data.x_train, rng) if augment else data.x_train
        for index, batch in enumerate(batches(len(images), batch_size, rng)):
            loss, correct = trainer.step(images[batch], data.y_train[batch])
            total_loss += float(loss)
            total_correct += float(correct)
            seen += len(batch)
            steps += 1
            if on_batch is not None:
                on_batch(epoch, index + 1, count, total_loss / (index + 1),
                         time.perf_counter() - start)
            if max_steps is not None and steps >= max_steps:
                break
        history.seconds.append(time.perf_counter() - start)
        history.loss.append(total_loss / max(index + 1, 1))
        history.train_accuracy.append(total_correct / max(seen, 1))
        history.test_accuracy.append(trainer.accuracy(data.x_test, data.y_test))
        if max_steps is not None and steps >= max_steps:
            break
    return history
