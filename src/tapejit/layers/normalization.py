"""LayerNormalization with Keras 3's defaults (axis=-1, epsilon=1e-3, center, scale)."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.layers.base import Layer
from tapejit.site import user_site


class LayerNormalization(Layer):
    """(x - mean) / sqrt(variance + epsilon) * gamma + beta, the moments taken over `axis`
    for each example; 'gamma' and 'beta' have the sizes of those axes.

    Args:
        axis: an int or a list of ints (negative counts from the end).
        epsilon: added to the variance (Keras 3: 1e-3).
        center: learn the offset 'beta'.
        scale: learn the factor 'gamma'.
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", name: str | None = None,
                 trainable: bool = True, dtype=np.float32) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.gamma = self.beta = None
        self._axes: tuple[int, ...] = ()

    def build(self, input_shape) -> None:
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise op_error(ShapeError, "LayerNormalization", f"axis {self.axis} is out of "
                           f"range for inputs of shape {input_shape}",
                           f"pass axes in [-{rank}, {rank})", user_site())
        self._axes = tuple(sorted(a % rank for a in self.axis))
        param_shape = tuple(input_shape[a] for a in self._axes)
        if self.scale:
            self.gamma = self.add_weight(param_shape, self.gamma_initializer, name="gamma")
        if self.center:
            self.beta = self.add_weight(param_shape, self.beta_initializer, name="beta")

    def _broadcastable(self, param, rank: int):
        """A (sizes of axis) weight reshaped to broadcast against the rank-`rank` input."""
        shape = [1] * rank
        for a, n in zip(self._axes, param.shape):
            shape[a] = n
        return ops.reshape(param, tuple(shape))

    def call(self, inputs):
        x = self._cast_input(inputs)
        rank = len(x.shape)
        mean = ops.reduce_mean(x, axis=self._axes, keepdims=True)
        centered = x - mean
        variance = ops.reduce_mean(ops.square(centered), axis=self._axes, keepdims=True)
        y = centered * ops.rsqrt(variance + self.epsilon)
        if self.scale:
            y = y * self._broadcastable(self.gamma, rank)
        if self.center:
            y = y + self._broadcastable(self.beta, rank)
        return y
