"""Every primitive with all its rules; one module per family."""

from __future__ import annotations

from tapejit.ir import Primitive

_FAMILIES = ("arithmetic", "elementwise", "compare", "reduce", "shape", "linalg", "convert")


def all_primitives() -> dict[str, Primitive]:
    """Name -> Primitive for every primitive declared in the family modules."""
    import importlib

    found = {}
    for name in _FAMILIES:
        module = importlib.import_module(f"tapejit.primitives.{name}")
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[value.name] = value
    return found
