"""The text of the first tier's block interpreter: one kernel per float dtype that runs a loop
group of elementwise equations from a table of instructions, over blocks of BLOCK values.

Each instruction is a row (opcode, destination, operand, operand) of registers, one block of
values each; an equation's loop is written from the code table the specialized kernel's
loop is written from (scalar_code.SCALAR_CODE, vmath's functions), so each value comes out
with the kernel's bits. A register file of a few blocks stays in the cache, so a chain of
steps moves each input and output through memory once, whatever its length. The text
depends on the dtype only: compiled once per machine, loaded by every program.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapejit.backend.numba_cpu.contexts import ExprContext
from tapejit.backend.numba_cpu.scalar_code import (
    SCALAR_CODE,
    SIN_COS_LIMIT,
    SIN_COS_LIMIT_F32,
    TRIG,
)
from tapejit.backend.numba_cpu.source import KernelBuilder, KernelSource, np_type
from tapejit.ir import Program, Var
from tapejit.ir.types import TensorType

BLOCK = 2048
"""Values per register: 8 kB of float32, so a program's registers stay in the L1/L2 cache."""
MAX_INPUTS = 6
MAX_OUTPUTS = 3
LOAD, FILL, STORE = 0, 1, 2
"""Opcodes moving values: an input's block into a register, a scalar into every value of
one, a register into an output's block."""
UNARY = ("neg", "square", "abs", "sign", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p",
         "sin", "cos", "tanh", "sigmoid", "softplus", "stop_gradient")
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")
POWERS = (-3, -2, -1, 2, 3, 4)
"""integer_pow exponents with opcodes of their own (the code is a product per exponent)."""


def _instructions() -> dict[tuple, int]:
    """(primitive, params) -> opcode, after the moving ones."""
    ops = [(name, ()) for name in (*UNARY, *BINARY)]
    ops += [("integer_pow", (("y", y),)) for y in POWERS]
    return {op: code for code, op in enumerate(ops, start=STORE + 1)}


OPCODES = _instructions()


def opcode(name: str, params: dict) -> int | None:
    """The opcode of an equation, None when the interpreter has none."""
    return OPCODES.get((name, tuple(sorted(params.items()))))


@dataclass(frozen=True)
class _Typed:
    """What ExprContext reads of an equation: its operand and result types."""

    inputs: tuple
    out: Var


def _loop(kernel: KernelBuilder, name: str, params: tuple, dtype: np.dtype) -> list[str]:
    """The lines computing one instruction over a block."""
    arity = 1 if name in UNARY or name == "integer_pow" else 2
    scalar = TensorType(dtype, ())
    typed = _Typed(tuple(Var(scalar) for _ in range(arity)), Var(scalar))
    operands = ["rx[j]", "ry[j]"][:arity]
    expr = SCALAR_CODE[name](ExprContext(kernel, typed), *operands, **dict(params))
    lines = ["rx = regs[code[pc, 2]]"] + (["ry = regs[code[pc, 3]]"] if arity == 2 else [])
    if name in TRIG:  # beyond vmath's range: the caller runs the group with libm instead
        limit = SIN_COS_LIMIT_F32 if dtype.itemsize == 4 else SIN_COS_LIMIT
        lines += ["for j in range(m):",
                  f"    part_huge = max(part_huge, np.int32(abs(rx[j]) >= {limit!r}))"]
    return lines + ["for j in range(m):", f"    rd[j] = {np_type(dtype)}({expr})"]


def _pick(stem: str, count: int, index: str) -> str:
    """`stem0 if index == 0 else stem1 if ... else stem<count-1>`."""
    names = [f"{stem}{k}" for k in range(count)]
    return " else ".join(f"{n} if {index} == {k}" for k, n in enumerate(names[:-1])) + \
        f" else {names[-1]}"


PARTS = 64
"""A parallel interpreter's blocks are cut into at most this many runs, one thread's each."""


def interpreter_source(dtype: np.dtype, parallel: bool = False) -> KernelSource:
    """The interpreter kernel for `dtype`: entry(S, C, code, lits, a0.., o0..) with S =
    (values, registers); returns (1,) when a sin or cos argument is beyond vmath's range.
    `parallel`: runs of blocks on threads (each value is computed alone: the same bits)."""
    dtype = np.dtype(dtype)
    kernel = KernelBuilder(Program((), (), ()))
    cast = np_type(dtype)
    run = [
        f"regs = np.empty((S[1], {BLOCK}), {cast})",
        "part_huge = np.int32(0)",
        "for block in range(part * blocks // parts, (part + 1) * blocks // parts):",
        f"    start = block * {BLOCK}",
        f"    m = min({BLOCK}, n - start)",
        "    for pc in range(code.shape[0]):",
        "        op = code[pc, 0]",
        "        rd = regs[code[pc, 1]]",
        f"        if op == {LOAD}:",
        f"            src = {_pick('a', MAX_INPUTS, 'code[pc, 2]')}",
        "            for j in range(m):",
        "                rd[j] = src[start + j]",
        f"        elif op == {FILL}:",
        f"            value = {cast}(lits[code[pc, 2]])",
        "            for j in range(m):",
        "                rd[j] = value",
        f"        elif op == {STORE}:",
        f"            dst = {_pick('o', MAX_OUTPUTS, 'code[pc, 2]')}",
        "            for j in range(m):",
        "                dst[start + j] = rd[j]",
    ]
    for (name, params), code in OPCODES.items():
        run.append(f"        elif op == {code}:")
        run += [f"            {line}" for line in _loop(kernel, name, params, dtype)]
    run.append("beyond[part] = part_huge")  # not a reduction: Numba's parfor pass
    lines = [                                 # cannot follow one through this loop
        "n = S[0]",
        f"blocks = (n + {BLOCK - 1}) // {BLOCK}",
        f"parts = min(blocks, {PARTS if parallel else 1})",
        "beyond = np.zeros(max(parts, 1), np.int32)",
        f"for part in {'prange' if parallel else 'range'}(parts):",
        *(f"    {line}" for line in run),
        "return (beyond.max(),)",
    ]
    arrays = [f"a{k}" for k in range(MAX_INPUTS)] + [f"o{k}" for k in range(MAX_OUTPUTS)]
    imports = ", ".join(sorted(kernel.math))
    text = "\n".join([
        f'"""The first tier\'s block interpreter for {dtype.name} (block_code.py)."""',
        "import math",
        "",
        "import numpy as np",
        "from numba import njit, prange",
        "",
        f"from tapejit.backend.numba_cpu.vmath import {imports}",
        "",
        "",
        f"@njit(cache=True, nogil=True, error_model='numpy', parallel={parallel})",
        f"def entry(S, C, code, lits, {', '.join(arrays)}):",
        *kernel.const_lines,
        *(f"    {line}" for line in lines),
        "",
    ])
    _, consts = kernel.table()
    return KernelSource(text, np.zeros(2, np.int64), consts, parallel)
