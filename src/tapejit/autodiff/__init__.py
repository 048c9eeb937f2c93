"""Automatic differentiation: linearize with JVP rules, transpose the linear program."""

from tapejit.autodiff.forward import jvp_eval
from tapejit.autodiff.vjp import VJP, vjp_program

__all__ = ["VJP", "jvp_eval", "vjp_program"]
