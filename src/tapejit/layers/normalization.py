"""LayerNormalization and BatchNormalization with Keras 3's arguments, defaults and weights."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.layers.base import Layer, get_regularizer
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


class BatchNormalization(Layer):
    """Keras 3's batch normalization over every axis but `axis`.

    In training (`training=True` and the layer trainable) the output uses the batch's mean
    and biased variance, and the non-trainable Variables 'moving_mean' and 'moving_variance'
    become `moving * momentum + batch_stat * (1 - momentum)` (under tj.jit the assignment is
    staged and lands when the compiled call returns). Otherwise (`training` False or None, or
    the layer frozen) the moving statistics normalize. Output:
    (x - mean) / sqrt(variance + epsilon) * gamma + beta.

    Args:
        axis: the features axis (an int; negative counts from the end).
        momentum: weight of the old moving statistics (Keras 3: 0.99).
        epsilon: added to the variance (Keras 3: 1e-3).
        center, scale: learn the offset 'beta' and the factor 'gamma'.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: names or functions (shape, dtype) -> array.
        beta_regularizer, gamma_regularizer: None, 'l1', 'l2' or a function of the weight.
        name, trainable, dtype: as `Layer`.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, name: str | None = None, trainable: bool = True,
                 dtype=np.float32) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"BatchNormalization axis must be an int (Keras 3), got {axis!r}")
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = get_regularizer(beta_regularizer)
        self.gamma_regularizer = get_regularizer(gamma_regularizer)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._rank = 0

    def build(self, input_shape) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise op_error(ShapeError, "BatchNormalization", f"axis {self.axis} is out of "
                           f"range for inputs of shape {input_shape}",
                           f"pass an axis in [-{rank}, {rank})", user_site())
        self.axis, self._rank = self.axis % rank, rank
        shape = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta")
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")

    def _check_input(self, x) -> None:
        features = self.moving_mean.shape[0]
        if len(x.shape) != self._rank or x.shape[self.axis] != features:
            raise op_error(ShapeError, "BatchNormalization", f"{self.name} was built for "
                           f"rank-{self._rank} inputs with {features} features on axis "
                           f"{self.axis}, got shape {x.shape}",
                           "pass inputs shaped like the first call's", user_site())

    def _broadcastable(self, param):
        shape = [1] * self._rank
        shape[self.axis] = param.shape[0]
        return ops.reshape(param, tuple(shape))

    def _batch_moments(self, x):
        """The batch mean and biased variance, each of shape (features,)."""
        axes = tuple(a for a in range(self._rank) if a != self.axis)
        mean = ops.reduce_mean(x, axis=axes, keepdims=True)
        variance = ops.reduce_mean(ops.square(x - mean), axis=axes)
        return ops.reshape(mean, (mean.shape[self.axis],)), variance

    def call(self, inputs, training=None):
        x = ops.convert_to_tensor(self._cast_input(inputs))
        self._check_input(x)
        if training and self.trainable:
            mean, variance = self._batch_moments(x)
            keep = np.asarray(self.momentum, self.dtype)
            self.moving_mean.assign(self.moving_mean * keep + mean * (1 - keep))
            self.moving_variance.assign(self.moving_variance * keep + variance * (1 - keep))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        factor = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            factor = factor * self.gamma
        shift = -mean * factor
        if self.center:
            shift = shift + self.beta
        return x * self._broadcastable(factor) + self._broadcastable(shift)

    def _regularization_losses(self):
        for regularizer, weight in ((self.gamma_regularizer, self.gamma),
                                    (self.beta_regularizer, self.beta)):
            if regularizer is not None and weight is not None:
                yield regularizer(weight)
