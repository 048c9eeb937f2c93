"""Program → Python source of one Numba kernel.

The kernel is generic in sizes: every size-like integer (loop bounds, allocation shapes,
reshape sizes, slice bounds) is read from a runtime int64 array `S`, and every float
literal from a float64 array `C`. The source therefore depends only on ranks, dtypes,
broadcast patterns and structure, so a new batch size produces the same source and reuses
the compiled kernel. Each IR equation appears as a comment above the lines implementing it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from tapejit.dtypes import short_name
from tapejit.ir import Eqn, Lit, Program, Var
from tapejit.ir.printer import _Namer, _Style, format_eqn, format_program

PARALLEL_MIN = 1 << 15
FASTMATH = "{'nsz', 'arcp', 'contract', 'afn', 'reassoc'}"
VIEW_PRIMS = ("reshape", "transpose", "slice", "rev", "squeeze", "expand_dims")


@dataclass(frozen=True)
class KernelSource:
    """Generated source and the runtime tables it reads."""

    text: str
    sizes: np.ndarray
    consts: np.ndarray
    parallel: bool


class CodegenError(Exception):
    """The program uses something the Numba backend cannot express (callers fall back)."""


@functools.lru_cache(maxsize=1)
def _vmath_names() -> frozenset:
    """Functions the vectorizable math module provides (empty if it is unavailable)."""
    try:
        from tapejit.backend import vmath
    except ImportError:
        return frozenset()
    return frozenset(name for name in dir(vmath) if not name.startswith("_"))


def np_type(dtype: np.dtype) -> str:
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype.name}"


class _Kernel:
    """Accumulates the kernel's lines, its size and constant tables, and its names."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.namer = _Namer()
        self.docstring = format_program(program, sized=False, namer=self.namer)
        self.lines: list[str] = []
        self.sizes: list[int] = []
        self.consts: list[float] = []
        self.const_names: dict[tuple, str] = {}
        self.math: set[str] = set()
        self.parallel = False
        self.fresh: set[int] = set()
        self.temp = 0

    # --- names, sizes, constants -------------------------------------------------------------

    def name(self, var: Var) -> str:
        return "v_" + self.namer(var)

    def new_temp(self, stem: str = "t") -> str:
        self.temp += 1
        return f"{stem}{self.temp}"

    def size(self, n: int) -> str:
        self.sizes.append(int(n))
        return f"S[{len(self.sizes) - 1}]"

    def shape(self, dims) -> str:
        inner = ", ".join(self.size(d) for d in dims)
        return f"({inner},)" if len(dims) == 1 else f"({inner})"

    def const(self, value, dtype: np.dtype) -> str:
        """A hoisted, typed constant read from the C table (floats) or written inline."""
        dtype = np.dtype(dtype)
        if dtype.kind == "b":
            return "True" if bool(value) else "False"
        if dtype.kind in "iu":
            return f"{np_type(dtype)}({int(value)})"
        key = (dtype.str, repr(float(value)))
        if key not in self.const_names:
            self.consts.append(float(value))
            name = f"c{len(self.const_names)}"
            self.const_names[key] = name
            self.prologue_const(name, f"{np_type(dtype)}(C[{len(self.consts) - 1}])")
        return self.const_names[key]

    def prologue_const(self, name: str, expr: str) -> None:
        self.const_lines.append(f"    {name} = {expr}")

    def atom(self, atom) -> str:
        if isinstance(atom, Lit):
            return self.const(atom.value.item(), atom.value.dtype)
        return self.name(atom)

    def comment(self, eqn: Eqn, indent: str) -> None:
        self.lines.append(f"{indent}# {format_eqn(self.namer, eqn, _Style(sized=False))}")

    def emit(self, line: str, indent: str = "    ") -> None:
        self.lines.append(indent + line)


class ExprContext:
    """What an elementwise emitter sees: the equation's dtypes and helpers for constants
    and vectorizable math functions."""

    def __init__(self, kernel: _Kernel, eqn: Eqn, libm: frozenset = frozenset()) -> None:
        self.kernel = kernel
        self.eqn = eqn
        self.dtype = eqn.out.type.dtype
        self.in_dtypes = [a.type.dtype for a in eqn.inputs]
        self.libm = libm

    def const(self, value, dtype=None) -> str:
        return self.kernel.const(value, self.dtype if dtype is None else dtype)

    def math(self, fn: str, x: str) -> str:
        """A vectorizable vmath function (exp, log, ...) for the operand dtype, e.g.
        exp_f32(x); libm through `math` where vmath has none."""
        dtype = self.in_dtypes[0]
        if dtype.kind != "f" or dtype.itemsize not in (4, 8):
            raise CodegenError(f"{fn} on {dtype} has no Numba implementation")
        name = f"{fn}_{short_name(dtype)}"
        if name in _vmath_names() and fn not in self.libm:
            self.kernel.math.add(name)
            return f"{name}({x})"
        return self._libm(fn, x)

    def helper(self, name: str, *args: str) -> str:
        """A branch-free vmath helper (where, nan_max, nan_min, sign), so long kernels keep
        a straight-line control flow."""
        self.kernel.math.add(name)
        return f"{name}({', '.join(args)})"

    def _libm(self, fn: str, x: str) -> str:
        one, zero = self.const(1), self.const(0)
        if fn == "sigmoid":
            return f"({one} / ({one} + math.exp(-{x})))"
        if fn == "softplus":
            return f"(max({x}, {zero}) + math.log1p(math.exp(-abs({x}))))"
        return f"math.{fn}({x})"

    def cast(self, expr: str, dtype) -> str:
        return f"{np_type(np.dtype(dtype))}({expr})"


TRIG = frozenset({"sin", "cos"})  # vmath gives NaN beyond SIN_COS_LIMIT; loops then use libm
ALL_MATH = frozenset({"exp", "expm1", "log", "log1p", "sin", "cos", "tanh", "sigmoid",
                      "softplus"})


class ArrayContext:
    """What an array-level emitter sees: the output name, sizes and temporaries."""

    def __init__(self, kernel: _Kernel, eqn: Eqn, out: str) -> None:
        self.kernel = kernel
        self.eqn = eqn
        self.out = out
        self.in_types = [a.type for a in eqn.inputs]
        self.out_type = eqn.out.type

    def size(self, n: int) -> str:
        return self.kernel.size(n)

    def shape(self, dims) -> str:
        return self.kernel.shape(dims)

    def temp(self, stem: str = "t") -> str:
        return self.kernel.new_temp(stem)

    def np_type(self, dtype) -> str:
        return np_type(np.dtype(dtype))


def generate(program: Program, name: str = "entry", fastmath: bool = True,
             boundscheck: bool = False) -> KernelSource:
    """The source of a kernel computing `program` (already fused); fastmath=False compiles
    it with IEEE semantics throughout (the NaN hunt); boundscheck=True makes every array
    access checked (the codegen fuzz)."""
    from tapejit.backend.loops import emit_group

    kernel = _Kernel(program)
    kernel.const_lines = []
    # BLAS runs its own threads; OpenMP workers spinning after a prange would fight them
    parallel_ok = not any(e.prim.kind == "dot" for e in program.eqns)
    for eqn in program.eqns:
        if eqn.prim.name == "fused":
            emit_group(kernel, eqn, parallel_ok)
        else:
            _emit_array_eqn(kernel, eqn)
    _emit_return(kernel)
    text = _assemble(kernel, name, fastmath, boundscheck)
    return KernelSource(text, np.array(kernel.sizes, np.int64),
                        np.array(kernel.consts, np.float64), kernel.parallel)


def _emit_array_eqn(kernel: _Kernel, eqn: Eqn) -> None:
    if eqn.prim.emit is None:
        raise CodegenError(f"primitive {eqn.prim.name} has no Numba emitter")
    kernel.comment(eqn, "    ")
    out = kernel.name(eqn.out)
    ctx = ArrayContext(kernel, eqn, out)
    args = [kernel.atom(a) for a in eqn.inputs]
    for line in eqn.prim.emit(ctx, *args, **eqn.params):
        kernel.emit(line)
    views_input = eqn.prim.name in VIEW_PRIMS and not all(
        id(a) in kernel.fresh for a in eqn.inputs if isinstance(a, Var))
    if not views_input:
        kernel.fresh.add(id(eqn.out))


def _emit_return(kernel: _Kernel) -> None:
    outs, returned = [], set()
    for atom in kernel.program.outputs:
        expr = kernel.atom(atom)
        if isinstance(atom, Var) and atom.type.ndim and (id(atom) not in kernel.fresh
                                                          or id(atom) in returned):
            expr = f"{expr}.copy()"  # never hand back an input's memory, or one array twice
        returned.add(id(atom))
        outs.append(expr)
    kernel.emit(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")


def _assemble(kernel: _Kernel, name: str, fastmath: bool = True,
              boundscheck: bool = False) -> str:
    args = ", ".join(["S", "C"] + [kernel.name(v) for v in kernel.program.inputs])
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
        header.append(f"from tapejit.backend.vmath import {', '.join(sorted(kernel.math))}")
        header.append("")
    flags = (f"cache=True, nogil=True, error_model='numpy', "
             f"fastmath={FASTMATH if fastmath else False}, "
             f"{'boundscheck=True, ' if boundscheck else ''}"
             f"parallel={kernel.parallel}")
    scalar_casts = [f"    {kernel.name(v)} = {np_type(v.type.dtype)}({kernel.name(v)})"
                    for v in kernel.program.inputs if v.type.ndim == 0]
    body = [f"@njit({flags})", f"def {name}({args}):", *scalar_casts, *kernel.const_lines,
            *kernel.lines]
    return "\n".join(header + ["", *body, ""])
