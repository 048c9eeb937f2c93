"""The jit-vs-eager checker and the NaN hunt: run the compiled kernel and the NumPy
interpreter side by side, and on a mismatch (or a NaN) name the first equation whose values
diverge and the user line behind it."""

from __future__ import annotations

import numpy as np

from tapejit.backend.executable import build
from tapejit.config import config
from tapejit.errors import TapejitError
from tapejit.ir import Eqn, Namer, Program, Var, format_eqn, interpret
from tapejit.passes.fuse import fuse
from tapejit.passes.nested import recursively
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import EAGER_CHECKS


class JitMismatchError(TapejitError, AssertionError):
    """The compiled program disagrees with the eager interpreter."""


class NonFiniteError(TapejitError, FloatingPointError):
    """TAPEJIT_DEBUG_NANS: an operation turned finite values into NaN or inf."""


def tolerance(dtype: np.dtype) -> float:
    return {8: 1e-9, 4: 2e-4, 2: 2e-2}.get(dtype.itemsize, 0.0) if dtype.kind == "f" else 0.0


def close(got, want, dtype: np.dtype) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if dtype.kind != "f":
        return bool(np.array_equal(got, want))
    rtol = tolerance(dtype)
    scale = max(float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0)), 1.0)
    both_nan = np.isnan(got) & np.isnan(want)
    ok = np.isclose(got, want, rtol=rtol, atol=rtol * scale, equal_nan=True) | both_nan
    return bool(np.all(ok))


def interpret_all(program: Program, arrays: list) -> dict[int, object]:
    """Every var's value under the NumPy interpreter, keyed by id(var)."""
    env: dict[int, object] = {}
    interpret(program, arrays, env)
    return env


def _every_value(program: Program, arrays: list) -> list:
    """The compiled value of every equation's output (a variant returning them all)."""
    debug_program = Program(program.inputs, program.eqns, tuple(e.out for e in program.eqns))
    return list(build(recursively(fuse)(debug_program)).first_call(arrays))


def _namer(program: Program) -> Namer:
    namer = Namer()
    for var in program.inputs:
        namer(var)
    return namer


def first_divergence(program: Program, arrays: list) -> str:
    """Compile a variant that returns every intermediate and find the first that differs."""
    compiled = _every_value(program, arrays)
    reference = interpret_all(program, arrays)
    namer = _namer(program)
    for eqn, got in zip(program.eqns, compiled):
        want = reference[id(eqn.out)]
        if not close(got, want, eqn.out.type.dtype):
            return (f"first diverging equation: {format_eqn(namer, eqn)}\n"
                    f"  from {eqn.site}\n  compiled: {np.asarray(got)!r}\n"
                    f"  eager:    {np.asarray(want)!r}")
        format_eqn(namer, eqn)
    return "every intermediate agrees; the outputs differ only after the last equation"


def _finite(value) -> bool:
    array = np.asarray(value)
    return array.dtype.kind != "f" or bool(np.all(np.isfinite(array)))


def _nonfinite_message(eqn: Eqn, namer, where: str) -> str:
    return (f"{eqn.prim.name} produced NaN or inf from finite inputs ({where})\n"
            f"  equation: {format_eqn(namer, eqn)}\n  at {eqn.site}\n"
            f"  fix: guard the operation's domain, e.g. tj.where(x > 0, tj.math.log(tj.where("
            f"x > 0, x, 1)), 0), or clip its input")


def hunt_nonfinite(program: Program, arrays: list) -> None:
    """Recompile `program` returning every intermediate, and raise
    NonFiniteError at the first equation whose inputs are finite and whose output is not."""
    values = {id(v): a for v, a in zip(program.inputs, arrays)}
    values.update({id(e.out): v for e, v in zip(program.eqns,
                                                _every_value(program, arrays))})
    namer = _namer(program)
    for eqn in program.eqns:
        inputs_finite = all(_finite(values[id(a)]) for a in eqn.inputs if isinstance(a, Var))
        if inputs_finite and not _finite(values[id(eqn.out)]):
            raise NonFiniteError(_nonfinite_message(eqn, namer, "compiled"))
        format_eqn(namer, eqn)


def check_eager_finite(prim, args, params, out) -> None:
    """TAPEJIT_DEBUG_NANS in eager mode: the op that first makes a NaN or inf raises."""
    if not config.debug_nans:
        return
    values = [a._value if isinstance(a, Tensor) else a for a in args]
    if not _finite(out._value) and all(_finite(v) for v in values):
        raise NonFiniteError(f"{prim.name} produced NaN or inf from finite inputs (eager)\n"
                             f"  at {user_site()}\n  fix: guard the operation's domain, e.g. "
                             f"tj.where(x > 0, tj.math.log(tj.where(x > 0, x, 1)), 0)")


EAGER_CHECKS.append(check_eager_finite)


def check_outputs(program: Program, arrays: list, outputs) -> None:
    """Raise JitMismatchError if compiled `outputs` differ from the interpreter's."""
    reference = interpret_all(program, arrays)
    for atom, got in zip(program.outputs, outputs):
        want = atom.value if not isinstance(atom, Var) else reference[id(atom)]
        if not close(got, want, atom.type.dtype):
            raise JitMismatchError("jit check: the compiled result differs from eager "
                                   "execution\n" + first_divergence(program, arrays))
