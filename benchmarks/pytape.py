"""A bare reverse-mode tape over NumPy scalars: the floor under any eager tape's overhead."""

from __future__ import annotations

import numpy as np


class Tape:
    """Records (output, [(input, local derivative)]) per op; `gradient` walks it backwards."""

    def __init__(self) -> None:
        self.records: list[tuple[Value, tuple]] = []

    def gradient(self, target: Value, source: Value):
        grads = {id(target): np.ones_like(target.value)}
        for out, parents in reversed(self.records):
            g = grads.pop(id(out), None)
            if g is None:
                continue
            for parent, local in parents:
                grads[id(parent)] = grads.get(id(parent), 0) + g * local
        return grads.get(id(source))


class Value:
    """A NumPy scalar that records each op on its tape."""

    def __init__(self, value, tape: Tape) -> None:
        self.value, self.tape = value, tape

    def _record(self, value, *parents) -> Value:
        out = Value(value, self.tape)
        self.tape.records.append((out, parents))
        return out

    def __mul__(self, c):
        return self._record(self.value * c, (self, c))

    def __add__(self, other: Value) -> Value:
        return self._record(self.value + other.value, (self, 1.0), (other, 1.0))

    def sin(self) -> Value:
        return self._record(np.sin(self.value), (self, np.cos(self.value)))

    def exp(self) -> Value:
        e = np.exp(self.value)
        return self._record(e, (self, e))
