"""Program-to-program passes: DCE, CSE, simplification, fusion; `pipeline` orders them."""

from tapejit.passes.cse import cse
from tapejit.passes.dce import dce, live_eqns, used_inputs
from tapejit.passes.simplify import simplify

__all__ = ["cse", "dce", "live_eqns", "simplify", "used_inputs"]
