"""Program-to-program passes: DCE, CSE, simplification, fusion."""

from tapejit.passes.dce import dce, live_eqns, used_inputs

__all__ = ["dce", "live_eqns", "used_inputs"]
