"""Sequential: a stack of layers, each called on the previous one's output."""

from __future__ import annotations

import inspect

from tapejit.layers.base import Layer


class Sequential(Layer):
    """Calls its layers in order; `training=` reaches the layers whose call accepts it.
    Its layers build inside its scope on the first call: 'sequential/dense/kernel:0'."""

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None) -> None:
        super().__init__(name=name, trainable=trainable)
        self._layers: list = []
        for layer in layers or ():
            self.add(layer)

    @property
    def layers(self) -> list:
        return list(self._layers)

    def add(self, layer) -> None:
        if not callable(layer):
            raise TypeError(f"Sequential.add takes a layer (a callable), got {layer!r}")
        self._layers.append(layer)
        if isinstance(layer, Layer) and not self.trainable:
            layer.trainable = False

    def pop(self):
        if not self._layers:
            raise IndexError("Sequential.pop: there are no layers to remove")
        return self._layers.pop()

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training) if _accepts_training(layer) else layer(x)
        return x


def _accepts_training(layer) -> bool:
    call = getattr(layer, "call", layer)
    try:
        parameters = inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False
    return "training" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

