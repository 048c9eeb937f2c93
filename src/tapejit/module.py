"""tj.Module: a container that finds the Variables in its attributes."""

from __future__ import annotations

from tapejit import tree
from tapejit.tensor import Variable


class Module:
    """Base class for models and layers; `trainable_variables` lists what optimizers update."""

    def __init__(self, name: str | None = None) -> None:
        self._name = name or _snake(type(self).__name__)

    @property
    def name(self) -> str:
        return self._name

    def _walk(self, seen: set[int]):
        for value in vars(self).values():
            for leaf in tree.leaves(value) if isinstance(value, (list, tuple, dict)) else [value]:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
                if isinstance(leaf, Variable):
                    yield leaf
                elif isinstance(leaf, Module):
                    yield from leaf._walk(seen)

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(self._walk(set()))

    @property
    def trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.trainable)

    @property
    def non_trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if not v.trainable)


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return out.lstrip("_")
