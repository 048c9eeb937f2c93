"""The verifier: every var defined once before use, every equation's types match its rule."""

from __future__ import annotations

from tapejit.dtypes import SUPPORTED
from tapejit.errors import VerifyError
from tapejit.ir.core import Eqn, Lit, Var
from tapejit.ir.program import Program, sub_programs


def out_types(eqn: Eqn) -> tuple:
    """Types the primitive's rule gives for this equation's inputs and params."""
    result = eqn.prim.type_rule(*(a.type for a in eqn.inputs), **eqn.params)
    return result if isinstance(result, tuple) else (result,)


def _fail(program: Program, eqn: Eqn | None, problem: str) -> VerifyError:
    where = f" in equation `{eqn.prim.name}`" if eqn is not None else ""
    return VerifyError(f"invalid program{where}: {problem}\n{program}")


def _define(program: Program, defined: set[int], var, eqn: Eqn | None) -> None:
    if not isinstance(var, Var):
        raise _fail(program, eqn, f"{var!r} is bound but is not a Var")
    if id(var) in defined:
        raise _fail(program, eqn, f"a var of type {var.type} is defined twice")
    defined.add(id(var))


def _check_used(program: Program, defined: set[int], atom, eqn: Eqn | None) -> None:
    if isinstance(atom, Lit):
        if atom.value.dtype not in SUPPORTED:
            raise _fail(program, eqn, f"literal {atom.value!r} has unsupported dtype")
        return
    if not isinstance(atom, Var) or id(atom) not in defined:
        raise _fail(program, eqn, f"{atom!r} is used before it is defined")


def _check_eqn(program: Program, defined: set[int], eqn: Eqn) -> None:
    for atom in eqn.inputs:
        _check_used(program, defined, atom, eqn)
    try:
        expected = out_types(eqn)
    except Exception as e:  # the rule's own complaint is the finding
        raise _fail(program, eqn, f"type rule rejects the inputs: {e}") from e
    actual = tuple(v.type for v in eqn.outputs)
    if expected != actual:
        shown = ", ".join(map(str, expected))
        raise _fail(program, eqn, f"outputs typed {', '.join(map(str, actual))}, rule says {shown}")
    for var in eqn.outputs:
        _define(program, defined, var, eqn)
    for _, sub in sub_programs(eqn.params):
        verify(sub)


def verify(program: Program) -> Program:
    """Raise VerifyError if `program` breaks an invariant; return it unchanged otherwise."""
    defined: set[int] = set()
    for var in program.inputs:
        _define(program, defined, var, None)
    for eqn in program.eqns:
        _check_eqn(program, defined, eqn)
    for atom in program.outputs:
        _check_used(program, defined, atom, None)
    return program
