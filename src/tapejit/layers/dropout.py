"""Dropout (Keras 3's): a fresh mask each training call, drawn from a counter-based key, so
the same code draws new masks under tj.jit without retracing."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit import random as tj_random
from tapejit.layers.base import Layer
from tapejit.module import scoped_name
from tapejit.tensor import Variable


class Dropout(Layer):
    """Inverted dropout: in training, each input is zeroed with probability `rate` and the
    kept ones scaled by 1 / (1 - rate); identity when `training` is False or None.

    The mask of a call is `bernoulli(fold_in(key(seed), step), 1 - rate)`, where `step` is a
    non-trainable int32 Variable (weight 'step') incremented by each training call: under
    tj.jit each call reads and advances it, so every step draws a new mask from one trace.

    Args:
        rate: the fraction of inputs dropped, in [0, 1).
        seed: an integer; default: drawn from the generator tj.random.set_seed seeds.
        name, dtype: as `Layer`.
    """

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None,
                 dtype=np.float32) -> None:
        super().__init__(name=name, trainable=False, dtype=dtype)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}: pass the "
                             "fraction of inputs to drop")
        self.rate = float(rate)
        self.seed = tj_random.draw_seed() if seed is None else int(seed)
        self.key = tj_random.key(self.seed)
        self.step = None

    def build(self, input_shape) -> None:
        self.step = Variable(np.int32(0), trainable=False, name=scoped_name(self, "step"))

    def call(self, inputs, training=None):
        x = ops.convert_to_tensor(self._cast_input(inputs))
        if not training or self.rate == 0.0:
            return x
        key = tj_random.fold_in(self.key, self.step)
        self.step.assign_add(1)
        kept = tj_random.bernoulli(key, 1.0 - self.rate, tuple(x.shape))
        return x * (ops.cast(kept, x.dtype) * (1.0 / (1.0 - self.rate)))
