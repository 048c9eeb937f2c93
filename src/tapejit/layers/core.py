"""Dense, Flatten and Embedding with Keras 3's arguments, defaults and weight names."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.layers.base import Layer, get_activation, get_regularizer
from tapejit.site import user_site


class Dense(Layer):
    """y = activation(x @ kernel + bias) over the last axis of x; weights 'kernel' of shape
    (x.shape[-1], units) and 'bias' of shape (units,), built on the first call.

    Args:
        units: output features.
        activation: None, a name ('relu', 'sigmoid', 'tanh', ...) or a function.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: a name ('glorot_uniform', 'he_normal',
            'zeros', 'ones', ...) or a function (shape, dtype) -> array.
        kernel_regularizer: None, 'l1', 'l2' or a function of the kernel; its value is in
            `losses` (of this layer and of the models holding it).
        name, trainable, dtype: as `Layer`.
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, name: str | None = None, trainable: bool = True,
                 dtype=np.float32) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.kernel = None
        self.bias = None

    def build(self, input_shape) -> None:
        if not input_shape:
            raise op_error(ShapeError, "Dense", "input is a scalar",
                           "pass inputs of shape (batch, features)", user_site())
        self.kernel = self.add_weight((input_shape[-1], self.units),
                                      self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias")

    def call(self, inputs):
        x = self._cast_input(inputs)
        if not x.shape or x.shape[-1] != self.kernel.shape[0]:
            raise op_error(ShapeError, "Dense", f"{self.name} was built for "
                           f"{self.kernel.shape[0]} input features, got shape {x.shape}",
                           "pass inputs whose last axis matches the first call's",
                           user_site())
        y = ops.tensordot(x, self.kernel, [[len(x.shape) - 1], [0]])
        if self.use_bias:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

    def _regularization_losses(self):
        if self.kernel_regularizer is not None and self.kernel is not None:
            yield self.kernel_regularizer(self.kernel)


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); a 1-d input becomes (batch, 1)."""

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        if not x.shape:
            raise op_error(ShapeError, "Flatten", "input is a scalar",
                           "pass inputs with a batch axis", user_site())
        return ops.reshape(x, (x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64))))


class Embedding(Layer):
    """Integer ids -> rows of an (input_dim, output_dim) 'embeddings' table (tj.gather).

    Args:
        input_dim: vocabulary size (ids are in [0, input_dim)).
        output_dim: size of each vector.
        embeddings_initializer: as Keras, default 'uniform' (U[-0.05, 0.05]).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 name: str | None = None, trainable: bool = True, dtype=np.float32) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings = None

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings")

    def call(self, inputs):
        ids = ops.convert_to_tensor(inputs)
        if not np.issubdtype(ids.dtype, np.integer):
            ids = ops.cast(ids, np.int32)
        return ops.gather(self.embeddings, ids)
