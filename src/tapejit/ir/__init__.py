"""The typed SSA IR: types, nodes, verifier and printer."""

from tapejit.ir.core import Atom, Eqn, Lit, Primitive, Program, Site, Var, params_key
from tapejit.ir.printer import format_program
from tapejit.ir.types import TensorType, type_of
from tapejit.ir.verify import verify

__all__ = ["Atom", "Eqn", "Lit", "Primitive", "Program", "Site", "TensorType", "Var",
           "format_program", "params_key", "type_of", "verify"]
