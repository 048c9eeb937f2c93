"""Convolution and pooling layers with Keras 3's arguments, defaults and weight names:
Conv1D, Conv2D, MaxPooling1D/2D, AveragePooling1D/2D (aliases MaxPool1D/2D, AvgPool1D/2D)
and the global poolings. Channels last by default; kernels are (*kernel_size, in / groups,
filters) as Keras's."""

from __future__ import annotations

import numpy as np

from tapejit import nn, ops
from tapejit.errors import ShapeError, op_error
from tapejit.layers.base import Layer, get_activation, get_regularizer
from tapejit.site import user_site

_FORMATS = {"channels_last": False, "channels_first": True, None: False}


def _tuple(value, k: int, name: str, layer: str) -> tuple[int, ...]:
    values = (value,) * k if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != k or any(int(v) < 1 for v in values):
        raise op_error(ValueError, layer, f"{name}={value!r} is not {k} positive int(s)",
                       f"pass an int or a tuple of {k} ints", user_site())
    return tuple(int(v) for v in values)


def _data_format(data_format, k: int, layer: str) -> str:
    if data_format not in _FORMATS:
        raise op_error(ValueError, layer, f"data_format={data_format!r}",
                       "use 'channels_last' or 'channels_first'", user_site())
    spatial = "DHW"[3 - k:]
    return "NC" + spatial if _FORMATS[data_format] else "N" + spatial + "C"


def _padding(padding: str, layer: str, allowed=("valid", "same")) -> str:
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise op_error(ValueError, layer, f"padding={padding!r}",
                       f"use one of {list(allowed)}", user_site())
    return padding.lower()


class _Conv(Layer):
    """A k-d convolution layer: y = activation(conv(x, kernel) + bias)."""

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, name: str | None = None, trainable: bool = True,
                 dtype=np.float32) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        layer, k = type(self).__name__, self.rank
        self.filters, self.groups = int(filters), int(groups)
        if self.filters < 1 or self.groups < 1 or self.filters % self.groups:
            raise op_error(ValueError, layer, f"filters={filters} and groups={groups}",
                           "use positive values with filters divisible by groups",
                           user_site())
        self.kernel_size = _tuple(kernel_size, k, "kernel_size", layer)
        self.strides = _tuple(strides, k, "strides", layer)
        self.dilation_rate = _tuple(dilation_rate, k, "dilation_rate", layer)
        self.padding = _padding(padding, layer, ("valid", "same", "causal") if k == 1
                                else ("valid", "same"))
        self.data_format = data_format
        self._format = _data_format(data_format, k, layer)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.kernel = None
        self.bias = None

    def _channel_axis(self) -> int:
        return 1 if self._format[1] == "C" else -1

    def build(self, input_shape) -> None:
        layer = type(self).__name__
        if len(input_shape) != self.rank + 2:
            raise op_error(ShapeError, layer, f"input shape {input_shape} is not rank "
                           f"{self.rank + 2}", f"pass (batch, {'spatial, ' * self.rank}"
                           "channels) inputs", user_site())
        channels = input_shape[self._channel_axis()]
        if channels % self.groups:
            raise op_error(ShapeError, layer, f"{channels} input channels do not split into "
                           f"{self.groups} groups", "make the channels divisible by groups",
                           user_site())
        self.kernel = self.add_weight(
            self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias")

    def _pads(self):
        if self.padding != "causal":
            return self.padding.upper()
        return [((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)]

    def call(self, inputs):
        x = self._cast_input(inputs)
        y = nn.convolution(x, self.kernel, self.strides, self._pads(), self._format,
                           self.dilation_rate)
        if self.use_bias:
            shape = [1] * (self.rank + 2)
            shape[self._channel_axis()] = self.filters
            y = y + ops.reshape(self.bias, tuple(shape))
        return y if self.activation is None else self.activation(y)

    def _regularization_losses(self):
        if self.kernel_regularizer is not None and self.kernel is not None:
            yield self.kernel_regularizer(self.kernel)


class Conv1D(_Conv):
    """Keras's Conv1D: inputs (batch, steps, channels), kernel (kernel_size, in / groups,
    filters); padding 'valid', 'same' or 'causal' (left padding only)."""

    rank = 1


class Conv2D(_Conv):
    """Keras's Conv2D: inputs (batch, height, width, channels), kernel (kh, kw, in / groups,
    filters); strides, padding 'valid'/'same', dilation_rate, groups, activation,
    use_bias and initializers as Dense."""

    rank = 2


class _Pool(Layer):
    """Keras's pooling layers: strides default to pool_size, padding 'valid'."""

    rank, default_pool, reducer = 2, (2, 2), "max"

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None,
                 name: str | None = None, **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        layer, k = type(self).__name__, self.rank
        self.pool_size = _tuple(self.default_pool if pool_size is None else pool_size, k,
                                "pool_size", layer)
        self.strides = self.pool_size if strides is None else _tuple(strides, k, "strides",
                                                                     layer)
        self.padding = _padding(padding, layer)
        self.data_format = data_format
        self._format = _data_format(data_format, k, layer)

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        pool = nn.max_pool if self.reducer == "max" else nn.avg_pool
        return pool(x, self.pool_size, self.strides, self.padding.upper(), self._format)


class MaxPooling1D(_Pool):
    rank, default_pool, reducer = 1, (2,), "max"


class MaxPooling2D(_Pool):
    """The max over (pool_size) windows; default pool_size (2, 2), strides = pool_size."""

    rank, default_pool, reducer = 2, (2, 2), "max"


class AveragePooling1D(_Pool):
    rank, default_pool, reducer = 1, (2,), "avg"


class AveragePooling2D(_Pool):
    """The mean over (pool_size) windows; with 'same', over the elements inside the input
    (as Keras and TF)."""

    rank, default_pool, reducer = 2, (2, 2), "avg"


class _GlobalPool(Layer):
    rank, reducer = 2, "avg"

    def __init__(self, data_format=None, keepdims: bool = False, name: str | None = None,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = data_format
        self.keepdims = keepdims
        self._format = _data_format(data_format, self.rank, type(self).__name__)

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        if len(x.shape) != self.rank + 2:
            raise op_error(ShapeError, type(self).__name__, f"input shape {tuple(x.shape)} "
                           f"is not rank {self.rank + 2}", "pass (batch, "
                           f"{'spatial, ' * self.rank}channels) inputs", user_site())
        first = self._format[1] == "C"
        axes = list(range(2, self.rank + 2) if first else range(1, self.rank + 1))
        reduce = ops.reduce_max if self.reducer == "max" else ops.reduce_mean
        return reduce(x, axes, keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPool):
    rank, reducer = 1, "avg"


class GlobalAveragePooling2D(_GlobalPool):
    rank, reducer = 2, "avg"


class GlobalMaxPooling1D(_GlobalPool):
    rank, reducer = 1, "max"


class GlobalMaxPooling2D(_GlobalPool):
    rank, reducer = 2, "max"


MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
