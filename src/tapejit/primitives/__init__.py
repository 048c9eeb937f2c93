"""Every primitive with all its rules; one module per family."""

from __future__ import annotations

from tapejit.ir import Primitive
from tapejit.primitives import arithmetic, compare, convert, elementwise, linalg, reduce, shape

_FAMILIES = (arithmetic, elementwise, compare, reduce, shape, linalg, convert)


def all_primitives() -> dict[str, Primitive]:
    """Name -> Primitive for every primitive declared in the family modules."""
    found = {}
    for module in _FAMILIES:
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[value.name] = value
    return found
