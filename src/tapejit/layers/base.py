"""The Layer base class (Keras 3's: build on first call, add_weight, trainable), activations
and initializers looked up by name."""

from __future__ import annotations

import numpy as np

from tapejit import nn, ops
from tapejit.module import Module, keras_snake_case, name_scope, scoped_name, unique_name
from tapejit.random.stateful import numpy_generator as _rng
from tapejit.tensor import Variable

_ACTIVATIONS = {None: None, "linear": None, "relu": nn.relu, "sigmoid": nn.sigmoid,
                "tanh": nn.tanh, "softplus": nn.softplus, "softmax": nn.softmax,
                "gelu": nn.gelu, "silu": nn.silu, "swish": nn.silu, "elu": nn.elu,
                "selu": nn.selu, "relu6": nn.relu6, "leaky_relu": nn.leaky_relu}


def get_activation(spec):
    """None, a Keras activation name or a function -> a function (None for linear)."""
    if callable(spec):
        return spec
    if spec not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {spec!r}; choose from "
                         f"{sorted(k for k in _ACTIVATIONS if k)} or pass a function")
    return _ACTIVATIONS[spec]


def _fans(shape) -> tuple[int, int]:
    """Keras's fans: a kernel's (input, output) sizes times its receptive field."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * field, shape[-1] * field


def _truncated_normal(shape, stddev: float) -> np.ndarray:
    """N(0, stddev^2) redrawn outside two standard deviations (Keras's truncated normal)."""
    sample = _rng().normal(0.0, stddev, size=shape)
    while (outside := np.abs(sample) > 2 * stddev).any():
        sample[outside] = _rng().normal(0.0, stddev, size=int(outside.sum()))
    return sample


def _glorot_uniform(shape, dtype):
    limit = np.sqrt(6.0 / max(sum(_fans(shape)), 1))
    return _rng().uniform(-limit, limit, size=shape).astype(dtype)


def _glorot_normal(shape, dtype):
    stddev = np.sqrt(2.0 / max(sum(_fans(shape)), 1)) / 0.87962566103423978
    return _truncated_normal(shape, stddev).astype(dtype)


def _he_normal(shape, dtype):
    stddev = np.sqrt(2.0 / max(_fans(shape)[0], 1)) / 0.87962566103423978
    return _truncated_normal(shape, stddev).astype(dtype)


def _he_uniform(shape, dtype):
    limit = np.sqrt(6.0 / max(_fans(shape)[0], 1))
    return _rng().uniform(-limit, limit, size=shape).astype(dtype)


_INITIALIZERS = {
    "glorot_uniform": _glorot_uniform, "glorot_normal": _glorot_normal,
    "he_normal": _he_normal, "he_uniform": _he_uniform,
    "zeros": lambda shape, dtype: np.zeros(shape, dtype),
    "ones": lambda shape, dtype: np.ones(shape, dtype),
    "uniform": lambda shape, dtype: _rng().uniform(-0.05, 0.05, size=shape).astype(dtype),
    "random_uniform": lambda shape, dtype: _rng().uniform(-0.05, 0.05, size=shape).astype(dtype),
    "normal": lambda shape, dtype: _rng().normal(0.0, 0.05, size=shape).astype(dtype),
    "random_normal": lambda shape, dtype: _rng().normal(0.0, 0.05, size=shape).astype(dtype),
}


def get_initializer(spec):
    """A Keras initializer name or a function (shape, dtype) -> array."""
    if callable(spec):
        return spec
    if spec not in _INITIALIZERS:
        raise ValueError(f"unknown initializer {spec!r}; choose from {sorted(_INITIALIZERS)} "
                         "or pass a function (shape, dtype) -> array")
    return _INITIALIZERS[spec]


_REGULARIZERS = {
    "l1": lambda weight: ops.reduce_sum(ops.abs(weight)) * 0.01,
    "l2": lambda weight: ops.reduce_sum(ops.square(weight)) * 0.01,
}


def get_regularizer(spec):
    """None, 'l1' or 'l2' (Keras's L1(0.01), L2(0.01)) or a function of a weight."""
    if spec is None or callable(spec):
        return spec
    if spec not in _REGULARIZERS:
        raise ValueError(f"unknown regularizer {spec!r}; choose from {sorted(_REGULARIZERS)} "
                         "or pass a function of the weight")
    return _REGULARIZERS[spec]


class Layer(Module):
    """A Module that builds its weights on its first call (`build(input_shape)`), then runs
    `call(inputs, ...)`, inside its name scope.

    Args:
        name: default: the snake-case class name made unique ('dense', 'dense_1', ...).
        trainable: False makes every weight of the layer (and its sublayers) non-trainable.
        dtype: dtype of the weights and of the computation; floating inputs are cast to it.
    """

    def __init__(self, name: str | None = None, trainable: bool = True,
                 dtype=np.float32) -> None:
        super().__init__(name if name is not None else unique_name(keras_snake_case(
            type(self).__name__)))
        self._trainable = bool(trainable)
        self.dtype = np.dtype(dtype)
        self.built = False

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """As Keras 3: sets the flag on this layer, its weights and its sublayers."""
        self._trainable = bool(value)
        for var in self.variables:
            var.trainable = self._trainable
        for sub in self._sublayers():
            sub.trainable = self._trainable

    def _sublayers(self):
        for attribute in vars(self).values():
            for sub in attribute if isinstance(attribute, (list, tuple)) else [attribute]:
                if isinstance(sub, Layer):
                    yield sub

    @property
    def losses(self) -> list:
        """The regularization penalties of this layer and its sublayers (Keras's
        layer.losses), computed from the current weights."""
        found = list(self._regularization_losses())
        for sub in self._sublayers():
            found.extend(sub.losses)
        return found

    def _regularization_losses(self):
        return ()

    def add_weight(self, shape=(), initializer=None, dtype=None, trainable: bool = True,
                   name: str | None = None) -> Variable:
        """A Variable named '<scopes>/<layer>/<name>:0' (Keras 3's signature; the default
        initializer is 'glorot_uniform')."""
        shape = tuple(int(n) for n in shape)
        dtype = np.dtype(dtype or self.dtype)
        name = name or "Variable"
        init = _INITIALIZERS["glorot_uniform"] if initializer is None else get_initializer(
            initializer)
        value = np.asarray(init(shape, dtype), dtype)
        if value.shape != shape:
            raise ValueError(f"initializer for '{name}' of {self.name} gave shape "
                             f"{value.shape}, expected {shape}")
        return Variable(value, trainable=self.trainable and trainable,
                        name=scoped_name(self, name))

    def build(self, input_shape) -> None:
        """Create the weights for inputs of `input_shape` (a tuple of ints)."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs)")

    def __call__(self, inputs, *args, **kwargs):
        with name_scope(self.name, self):
            if not self.built:
                self.build(_shape_of(inputs))
                self.built = True
            return self.call(inputs, *args, **kwargs)

    def _cast_input(self, x):
        return ops.cast(x, self.dtype)


def _shape_of(inputs) -> tuple[int, ...]:
    shape = inputs.shape if hasattr(inputs, "shape") else np.shape(inputs)
    return tuple(int(n) for n in shape)
