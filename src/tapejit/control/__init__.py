"""Higher-order primitives, whose params hold sub-programs: control flow (cond, scan,
while_loop) and calls (call, and with chosen derivatives custom_jvp_call, custom_vjp_call,
checkpoint). Their autodiff rules transform those bodies with the autodiff layer's
linearize and transpose, so this package sits above `tapejit.autodiff`."""

from __future__ import annotations

from tapejit.control import call, cond, custom, scan, while_loop
from tapejit.ir import Primitive
from tapejit.primitives import all_primitives as first_order_primitives

FAMILIES = (call, cond, custom, scan, while_loop)


def all_primitives() -> dict[str, Primitive]:
    """Name -> Primitive for every primitive: the first-order families and these."""
    found = first_order_primitives()
    found.update({value.name: value for family in FAMILIES for value in vars(family).values()
                  if isinstance(value, Primitive)})
    return found
