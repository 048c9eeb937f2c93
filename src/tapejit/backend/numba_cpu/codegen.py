"""Program → Python source of one Numba kernel.

The kernel is generic in sizes: every size-like integer (loop bounds, allocation shapes,
reshape sizes, slice bounds) is read from a runtime int64 array `S`, and every float
literal from a float64 array `C`. The source therefore depends only on ranks, dtypes,
broadcast patterns and structure, so a new batch size produces the same source and reuses
the compiled kernel. Each IR equation appears as a comment above the lines implementing it.
"""

from __future__ import annotations

from math import prod

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu.array_code import ARRAY_CODE
from tapejit.backend.numba_cpu.contexts import ArrayContext
from tapejit.backend.numba_cpu.control_code import CONTROL_CODE
from tapejit.backend.numba_cpu.loops import PARALLEL_MIN, emit_group
from tapejit.backend.numba_cpu.source import KernelBuilder, KernelSource, np_type
from tapejit.ir import Eqn, Program, Var


def generate(program: Program, name: str = "entry", boundscheck: bool = False,
             libm_trig: bool = False, serial: bool = False, any_size: bool = False,
             given_outputs: bool = False, threaded_convolutions: bool = False) -> KernelSource:
    """The source of a kernel computing `program` (already fused); boundscheck=True makes
    every array access checked (the codegen fuzz); libm_trig=True computes every sin and cos
    of its loop groups with libm, as a group does when an argument is beyond vmath's range
    (the first tier's copy of that rule); serial=True never runs a loop in parallel, so the
    text does not depend on sizes at all (threads change no result: each owns whole rows);
    any_size=True runs every group that could run in parallel so, however small: the text
    that sizes beyond the threshold give (`sibling`); given_outputs=True takes the arrays
    of the outputs of loop groups as arguments after the inputs, written in place (the
    first tier's elementwise steps: NumPy's allocations, which get huge pages);
    threaded_convolutions=True runs large convolutions' chunks and poolings' batch items in
    a prange too (conv_code.py; the source says whether a serial text declined any).

    Kernels compile without fast-math: each of LLVM's flags changes some result (`afn` and
    `arcp` turn 1/sqrt(0) into NaN, `contract` makes inf - inf of a product finite, `reassoc`
    reorders sums, `nsz` loses -0.0), and a kernel must equal eager execution. The speed comes
    from fusion and from vmath's functions, which vectorize by construction.
    """
    kernel = KernelBuilder(program)
    kernel.any_size = any_size
    kernel.threads_ok = not serial
    kernel.threaded_convolutions = threaded_convolutions
    if given_outputs:
        kernel.given = _group_outputs(program)
    # BLAS runs its own threads; OpenMP workers spinning after a prange would fight them
    # (a convolution's chunks may still run in parallel: their BLAS calls are single-threaded)
    parallel_ok = not serial and not any(e.prim.kind == "dot" for e in program.eqns)
    _emit_eqns(kernel, program, parallel_ok, libm_trig)
    _emit_return(kernel)
    text = _assemble(kernel, name, boundscheck)
    sizes, consts = kernel.table()
    return KernelSource(text, sizes, consts, kernel.parallel, kernel.serial_convolutions)


NEAR_THRESHOLD = 32
"""A serial kernel gets a parallel sibling when a loop is this close to the threshold."""


def sibling(program: Program, source: KernelSource) -> KernelSource | None:
    """The program's other text, for sizes on the other side of the parallel threshold: the
    serial one for a parallel kernel, the parallel one for a serial kernel that has one (the
    generated text depends on sizes only through that choice)."""
    if source.parallel:
        return generate(program, serial=True)
    sizes = [prod(e.params["shape"]) for e in program.eqns if e.prim.kind == "fused"]
    if max(sizes, default=0) * NEAR_THRESHOLD < PARALLEL_MIN:
        return None  # far from it: a parallel compile (slow, big) nobody is likely to need
    other = generate(program, any_size=True)  # no convolution threads: none were large
    return other if other.parallel else None


def _group_outputs(program: Program) -> set[int]:
    """The program's outputs that a loop group computes element by element (not reduces)."""
    returned = {id(v) for v in program.outputs}
    return {id(v) for e in program.eqns if e.prim.kind == "fused"
            for inner in e.params["body"].eqns if inner.prim.kind != "reduce"
            for v in inner.outputs if v.type.ndim and id(v) in returned}


def _emit_eqns(kernel: KernelBuilder, program: Program, parallel_ok: bool,
               libm_trig: bool = False) -> None:
    """The lines of every equation; bodies of loops and branches run their loop groups
    serially (threads started on every iteration would cost more than they save)."""
    for eqn in program.eqns:
        if eqn.prim.kind == "fused":
            emit_group(kernel, eqn, parallel_ok, exact=libm_trig)
        elif eqn.prim.name in CONTROL_CODE:
            kernel.comment(eqn, "    ")
            CONTROL_CODE[eqn.prim.name](kernel, eqn, lambda body: _emit_eqns(kernel, body, False))
        else:
            _emit_array_eqn(kernel, eqn)


def _emit_array_eqn(kernel: KernelBuilder, eqn: Eqn) -> None:
    code = ARRAY_CODE.get(eqn.prim.name)
    if code is None:
        raise LoweringError(f"primitive {eqn.prim.name} has no Numba code")
    kernel.comment(eqn, "    ")
    out = kernel.name(eqn.out)
    ctx = ArrayContext(kernel, eqn, out)
    args = [kernel.atom(a) for a in eqn.inputs]
    for line in code(ctx, *args, **eqn.params):
        kernel.emit(line)
    views_input = eqn.prim.kind == "view" and not all(
        id(a) in kernel.fresh for a in eqn.inputs if isinstance(a, Var))
    if not views_input:
        kernel.fresh.add(id(eqn.out))


def _emit_return(kernel: KernelBuilder) -> None:
    outs, returned = [], set()
    for atom in kernel.program.outputs:
        expr = kernel.atom(atom)
        if isinstance(atom, Var) and atom.type.ndim and (id(atom) not in kernel.fresh
                                                          or id(atom) in returned):
            expr = f"{expr}.copy()"  # never hand back an input's memory, or one array twice
        returned.add(id(atom))
        outs.append(expr)
    kernel.emit(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")


def _assemble(kernel: KernelBuilder, name: str, boundscheck: bool = False) -> str:
    given = [kernel.name(v) for v in kernel.program.outputs
             if isinstance(v, Var) and id(v) in kernel.given]
    args = ", ".join(["S", "C"] + [kernel.name(v) for v in kernel.program.inputs] + given)
    header = [
        '"""Kernel generated by tapejit from this program (sizes other than 1 are runtime',
        "values in S, float literals in C):",
        "",
        *kernel.docstring.replace("\\", "\\\\").splitlines(),
        '"""',
        "import math",
        "",
        "import numpy as np",
        "from numba import njit, prange",
        "",
    ]
    if kernel.math:
        names = ", ".join(sorted(kernel.math))
        header.append(f"from tapejit.backend.numba_cpu.vmath import {names}")
        header.append("")
    flags = (f"cache=True, nogil=True, error_model='numpy', "
             f"{'boundscheck=True, ' if boundscheck else ''}"
             f"parallel={kernel.parallel}")
    scalar_casts = [f"    {kernel.name(v)} = {np_type(v.type.dtype)}({kernel.name(v)})"
                    for v in kernel.program.inputs if v.type.ndim == 0]
    body = [f"@njit({flags})", f"def {name}({args}):", *scalar_casts, *kernel.const_lines,
            *kernel.lines]
    return "\n".join(header + ["", *body, ""])
