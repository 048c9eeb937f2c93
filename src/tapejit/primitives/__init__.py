"""Every primitive with all its rules, one module per family, and strict one-line `bind`
wrappers. User-level functions (dtype policy, Python scalars, indexing) are in `tapejit.ops`.

A family is registered by being listed in FAMILIES; the op table's test checks that every
primitive found here has cases, and the IR spec's test that each is documented.
"""

from __future__ import annotations

from tapejit.ir import Primitive
from tapejit.primitives import (
    arithmetic,
    broadcast,
    compare,
    conv,
    convert,
    decompositions,
    elementwise,
    fused,
    indexing,
    linalg,
    random_bits,
    reduce,
    rounding,
    scan,
    shape,
    slicing,
    sort,
    special,
    spectral,
    trig,
    window,
)

FAMILIES = (arithmetic, broadcast, compare, conv, convert, decompositions, elementwise, fused,
            indexing, linalg, random_bits, reduce, rounding, scan, shape, slicing, sort, special,
            spectral, trig, window)


def all_primitives() -> dict[str, Primitive]:
    """Name -> Primitive for every primitive declared in the family modules."""
    return {value.name: value for family in FAMILIES for value in vars(family).values()
            if isinstance(value, Primitive)}
