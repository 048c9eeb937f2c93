"""The jit-vs-eager checker: run the compiled kernel and the NumPy interpreter side by side,
and on a mismatch name the first equation whose values diverge and the user line behind it."""

from __future__ import annotations

import numpy as np

from tapejit.errors import TapejitError
from tapejit.ir import Eqn, Program, Var
from tapejit.ir.printer import _Namer, format_eqn


class JitMismatchError(TapejitError, AssertionError):
    """The compiled program disagrees with the eager interpreter."""


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
    """Every var's value under the NumPy interpreter."""
    from tapejit.trace import bind

    env = {id(v): a for v, a in zip(program.inputs, arrays)}
    read = lambda a: a.value if not isinstance(a, Var) else env[id(a)]
    for eqn in program.eqns:
        env[id(eqn.out)] = bind(eqn.prim, *(read(a) for a in eqn.inputs), **eqn.params)._value
    return env


def _all_vars_program(program: Program) -> tuple[Program, list[Eqn]]:
    eqns = list(program.eqns)
    return Program(program.inputs, program.eqns, tuple(e.out for e in eqns)), eqns


def first_divergence(program: Program, arrays: list) -> str:
    """Compile a variant that returns every intermediate and find the first that differs."""
    from tapejit.backend.compile import build, first_call
    from tapejit.passes.fuse import fuse

    debug_program, eqns = _all_vars_program(program)
    executable = build(debug_program, fuse(debug_program))
    compiled = first_call(executable, arrays)
    reference = interpret_all(program, arrays)
    namer = _Namer()
    for var in program.inputs:
        namer(var)
    for eqn, got in zip(eqns, compiled):
        want = reference[id(eqn.out)]
        if not close(got, want, eqn.out.type.dtype):
            return (f"first diverging equation: {format_eqn(namer, eqn)}\n"
                    f"  from {eqn.site}\n  compiled: {np.asarray(got)!r}\n"
                    f"  eager:    {np.asarray(want)!r}")
        format_eqn(namer, eqn)
    return "every intermediate agrees; the outputs differ only after the last equation"


class NonFiniteError(TapejitError, FloatingPointError):
    """TAPEJIT_DEBUG_NANS: an operation turned finite values into NaN or inf."""


def _finite(value) -> bool:
    array = np.asarray(value)
    return array.dtype.kind != "f" or bool(np.all(np.isfinite(array)))


def _nonfinite_message(eqn: Eqn, namer, where: str) -> str:
    return (f"{eqn.prim.name} produced NaN or inf from finite inputs ({where})\n"
            f"  equation: {format_eqn(namer, eqn)}\n  at {eqn.site}\n"
            f"  fix: guard the operation's domain, e.g. tj.where(x > 0, tj.math.log(tj.where("
            f"x > 0, x, 1)), 0), or clip its input")


def hunt_nonfinite(program: Program, arrays: list) -> None:
    """Recompile `program` without fast-math, returning every intermediate, and raise
    NonFiniteError at the first equation whose inputs are finite and whose output is not."""
    from tapejit.backend.compile import build, first_call
    from tapejit.passes.fuse import fuse

    debug_program, eqns = _all_vars_program(program)
    executable = build(debug_program, fuse(debug_program), fastmath=False)
    values = {id(v): a for v, a in zip(program.inputs, arrays)}
    values.update({id(e.out): v for e, v in zip(eqns, first_call(executable, arrays))})
    namer = _Namer()
    for var in program.inputs:
        namer(var)
    for eqn in eqns:
        inputs_finite = all(_finite(values[id(a)]) for a in eqn.inputs if isinstance(a, Var))
        if inputs_finite and not _finite(values[id(eqn.out)]):
            raise NonFiniteError(_nonfinite_message(eqn, namer, "compiled, without fast-math"))
        format_eqn(namer, eqn)


def check_eager_finite(prim, args, out) -> None:
    """TAPEJIT_DEBUG_NANS in eager mode: the op that first makes a NaN or inf raises."""
    from tapejit.site import user_site
    from tapejit.tensor import Tensor

    values = [a._value if isinstance(a, Tensor) else a for a in args]
    if not _finite(out._value) and all(_finite(v) for v in values):
        raise NonFiniteError(f"{prim.name} produced NaN or inf from finite inputs (eager)\n"
                             f"  at {user_site()}\n  fix: guard the operation's domain, e.g. "
                             f"tj.where(x > 0, tj.math.log(tj.where(x > 0, x, 1)), 0)")


def check_outputs(program: Program, arrays: list, outputs) -> None:
    """Raise JitMismatchError if compiled `outputs` differ from the interpreter's."""
    reference = interpret_all(program, arrays)
    for atom, got in zip(program.outputs, outputs):
        want = atom.value if not isinstance(atom, Var) else reference[id(atom)]
        if not close(got, want, atom.type.dtype):
            raise JitMismatchError("jit check: the compiled result differs from eager "
                                   "execution\n" + first_divergence(program, arrays))
