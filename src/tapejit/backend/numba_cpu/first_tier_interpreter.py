"""A loop group on the first tier's block interpreter (block_code.py): its equations become a
table of instructions over registers, run by one precompiled kernel per dtype.

A group qualifies when it is elementwise in one float dtype (float32 or float64), every
equation has an opcode, and every array it reads or writes has the group's shape (rank-0
values and literals are filled into registers). Registers are reused once their value is
dead; an instruction never writes a register it reads (its loop then vectorizes without a
check of overlapping rows failing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from math import prod

import numpy as np

from tapejit.backend.numba_cpu.block_code import (
    BLOCK,
    FILL,
    LOAD,
    MAX_INPUTS,
    MAX_OUTPUTS,
    STORE,
    interpreter_source,
    opcode,
)
from tapejit.backend.numba_cpu.first_tier_exact import exact_step
from tapejit.backend.numba_cpu.kernel_cache import first_tier_cache
from tapejit.backend.numba_cpu.numba_kernel import NumbaKernel, StepKernel
from tapejit.backend.numba_cpu.source import KernelSource
from tapejit.config import config
from tapejit.ir import Lit, Program, Var


@dataclass
class _Table:
    """The instructions of one group, and where its operands come from."""

    rows: list = field(default_factory=list)
    lits: list = field(default_factory=list)  # literal values, then the rank-0 inputs'
    scalar_inputs: list = field(default_factory=list)  # (lits index, input position)
    array_inputs: list = field(default_factory=list)  # input positions, by slot
    registers: int = 0
    free: list = field(default_factory=list)

    def register(self) -> int:
        if self.free:
            return self.free.pop()
        self.registers += 1
        return self.registers - 1


def _qualifies(body: Program, shape: tuple) -> bool:
    if not shape or any(not isinstance(a, Var) or a.type.shape != shape for a in body.outputs):
        return False
    dtypes = {a.type.dtype for e in body.eqns for a in (*e.inputs, *e.outputs)}
    dtypes |= {v.type.dtype for v in body.inputs}
    if len(dtypes) != 1 or next(iter(dtypes)) not in (np.float32, np.float64):
        return False
    arrays = [v for v in body.inputs if v.type.ndim]
    if len(arrays) > MAX_INPUTS or len(body.outputs) > MAX_OUTPUTS:
        return False
    for eqn in body.eqns:
        if (eqn.prim.kind != "elementwise" or len(eqn.outputs) != 1
                or opcode(eqn.prim.name, eqn.params) is None):
            return False
        if any(isinstance(a, Var) and a.type.ndim and a.type.shape != shape
               for a in (*eqn.inputs, eqn.out)):
            return False
    return True


def _translate(body: Program) -> _Table:
    table = _Table()
    position = {id(v): i for i, v in enumerate(body.inputs)}
    held: dict[int, int] = {}  # id(var) -> register
    last = {id(a): i for i, e in enumerate(body.eqns) for a in e.inputs if isinstance(a, Var)}
    stores = {}
    for slot, out in enumerate(body.outputs):
        stores.setdefault(id(out), []).append(slot)

    def operand(atom) -> tuple[int, bool]:
        """(register, whether it is a temporary of this instruction)."""
        if isinstance(atom, Lit) or atom.type.ndim == 0:
            reg = table.register()
            index = len(table.lits)
            if isinstance(atom, Lit):
                table.lits.append(float(atom.value))
            else:
                table.lits.append(0.0)
                table.scalar_inputs.append((index, position[id(atom)]))
            table.rows.append((FILL, reg, index, 0))
            return reg, True
        if id(atom) not in held:  # an array input, loaded at its first use
            held[id(atom)] = table.register()
            table.array_inputs.append(position[id(atom)])
            table.rows.append((LOAD, held[id(atom)], len(table.array_inputs) - 1, 0))
        return held[id(atom)], False

    def store(var: Var, reg: int) -> None:
        for slot in stores.pop(id(var), ()):
            table.rows.append((STORE, reg, slot, 0))

    for var in body.inputs:
        if id(var) in stores:  # an input returned as it is
            reg, _ = operand(var)
            store(var, reg)
    for index, eqn in enumerate(body.eqns):
        regs = [operand(a) for a in eqn.inputs]
        out = table.register()  # before any operand is freed: never written in place
        x, y = regs[0][0], regs[-1][0]
        table.rows.append((opcode(eqn.prim.name, eqn.params), out, x, y))
        store(eqn.out, out)
        dead = {reg for reg, temporary in regs if temporary}
        dead |= {held.pop(id(a)) for a in eqn.inputs
                 if isinstance(a, Var) and id(a) in held and last.get(id(a)) == index}
        if last.get(id(eqn.out), -1) > index:
            held[id(eqn.out)] = out
        else:
            dead.add(out)
        table.free.extend(sorted(dead, reverse=True))
    return table


THREADED_BLOCKS = 16
"""A group of this many blocks or more runs on the threaded interpreter from its second call,
once that is compiled (by `python -m tapejit precompile`, whose threaded run takes it from
the first call: its compile takes seconds). The first call runs serially otherwise: loading
the threaded text and starting threads cost more than they save in one call."""


@cache
def _interpreter_text(dtype: np.dtype, parallel: bool) -> KernelSource:
    return interpreter_source(dtype, parallel)


def _interpreter(dtype: np.dtype, n: int, registers: int, threaded: bool) -> StepKernel | None:
    """The interpreter for `n` values; the threaded one (None when it is not compiled)."""
    cache = first_tier_cache()
    source = _interpreter_text(dtype, threaded)
    if threaded and not (config.first_tier_compile_threaded
                         or cache.has_compiled_code(source.text)):
        return None
    sized = dataclasses.replace(source, sizes=np.array([n, max(registers, 1)], np.int64))
    return StepKernel(NumbaKernel(sized, cache.load(source.text)))


class Interpreted:
    """A group run by the block interpreter; called with the group's input values, it gives
    the outputs, or None when a sin or cos argument is beyond vmath's range (the group then
    runs with libm's, as the kernel does)."""

    def __init__(self, body: Program, shape: tuple, table: _Table) -> None:
        self.shape, self.n = shape, prod(shape)
        self.dtype = body.outputs[0].type.dtype
        self.code = np.array(table.rows, np.int32).reshape(-1, 4)
        self.lits = np.array(table.lits, np.float64)
        self.scalar_inputs, self.array_inputs = table.scalar_inputs, table.array_inputs
        self.outputs = len(body.outputs)
        self.registers = table.registers
        large = self.n >= THREADED_BLOCKS * BLOCK
        compiling = large and config.first_tier_compile_threaded  # precompile's threaded run
        self.kernel = (compiling and _interpreter(self.dtype, self.n, self.registers, True)
                       or _interpreter(self.dtype, self.n, self.registers, False))
        self.threads_later = large and not self.kernel.kernel.parallel
        self.called = False
        self.unused = np.empty(0, self.dtype)

    def __call__(self, values: list) -> list | None:
        if self.called and self.threads_later:  # the second call on: threaded if compiled
            self.threads_later = False
            self.kernel = _interpreter(self.dtype, self.n, self.registers, True) or self.kernel
        self.called = True
        return self._run(values)

    def _run(self, values: list) -> list | None:
        lits = self.lits
        if self.scalar_inputs:
            lits = lits.copy()
            for index, position in self.scalar_inputs:
                lits[index] = values[position]
        arrays = [np.ascontiguousarray(values[p], self.dtype).reshape(-1)
                  for p in self.array_inputs]
        arrays += [self.unused] * (MAX_INPUTS - len(arrays))
        outs = [np.empty(self.n, self.dtype) for _ in range(self.outputs)]
        huge, = self.kernel([self.code, lits, *arrays,
                             *outs, *[self.unused] * (MAX_OUTPUTS - len(outs))])
        return None if huge else [out.reshape(self.shape) for out in outs]


EXACT_ONLY_MIN = 1 << 20
"""A group of operations NumPy computes exactly (first_tier_exact.py) takes the interpreter
from this many values: below, NumPy's steps cost less than loading a kernel."""


def interpreted(body: Program, shape: tuple) -> Interpreted | None:
    """The group on the block interpreter, None when it does not qualify or (all its
    operations exact, its arrays small) NumPy's steps need no kernel."""
    if not _qualifies(body, shape):
        return None
    if prod(shape) < EXACT_ONLY_MIN and all(exact_step(e) is not None for e in body.eqns):
        return None
    return Interpreted(body, shape, _translate(body))
