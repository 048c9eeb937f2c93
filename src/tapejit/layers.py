"""tj.layers: Keras-style layers on tj.Module."""

from __future__ import annotations

import numpy as np

from tapejit import nn, ops
from tapejit.errors import ShapeError, op_error
from tapejit.module import Module
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Variable

_ACTIVATIONS = {None: None, "linear": None, "relu": nn.relu, "sigmoid": nn.sigmoid,
                "tanh": nn.tanh, "softplus": nn.softplus, "softmax": nn.softmax,
                "gelu": nn.gelu, "silu": nn.silu, "swish": nn.silu, "elu": nn.elu}


def _activation(spec):
    if callable(spec):
        return spec
    if spec not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {spec!r}; choose from "
                         f"{sorted(k for k in _ACTIVATIONS if k)} or pass a function")
    return _ACTIVATIONS[spec]


def _glorot_uniform(fan_in: int, fan_out: int, dtype) -> np.ndarray:
    if STATE.rng is None:
        STATE.rng = np.random.default_rng()
    limit = np.sqrt(6.0 / max(fan_in + fan_out, 1))
    return STATE.rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


class Dense(Module):
    """y = activation(x @ kernel + bias); the kernel is created on the first call.

    Args:
        units: output features.
        activation: None, a name ('relu', 'sigmoid', 'tanh', ...) or a function.
        use_bias: add a bias vector.
        name: variables are named '{name}/kernel:0' and '{name}/bias:0'; default 'dense'.
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 name: str | None = None, dtype=np.float32) -> None:
        super().__init__(name or "dense")
        self.units = int(units)
        self.activation = _activation(activation)
        self.use_bias = use_bias
        self.dtype = np.dtype(dtype)
        self.kernel: Variable | None = None
        self.bias: Variable | None = None

    def build(self, input_dim: int) -> None:
        self.kernel = Variable(_glorot_uniform(input_dim, self.units, self.dtype),
                               name=f"{self.name}/kernel")
        if self.use_bias:
            self.bias = Variable(np.zeros(self.units, self.dtype), name=f"{self.name}/bias")

    def __call__(self, x):
        x = ops.cast(x, self.dtype)
        if not x.shape:
            raise op_error(ShapeError, "Dense", "input is a scalar",
                           "pass inputs of shape (batch, features)", user_site())
        if self.kernel is None:
            self.build(int(x.shape[-1]))
        y = ops.matmul(x, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)
