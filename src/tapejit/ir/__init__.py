"""The typed SSA IR: types, nodes, the program and its text, the walker and the verifier."""

from tapejit.ir.core import Atom, Eqn, Lit, Primitive, Site, Var, params_key
from tapejit.ir.program import Namer, Program, Style, format_eqn, format_program, sub_programs
from tapejit.ir.types import TensorType, type_of
from tapejit.ir.verify import verify
from tapejit.ir.walk import dead_vars, interpret, walk

__all__ = ["Atom", "Eqn", "Lit", "Namer", "Primitive", "Program", "Site", "Style", "TensorType",
           "Var", "dead_vars", "format_eqn", "format_program", "interpret", "params_key",
           "sub_programs", "type_of", "verify", "walk"]
