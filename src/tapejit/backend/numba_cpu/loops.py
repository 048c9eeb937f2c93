"""One fused group → one loop nest: loads, scalar math per equation, stores and reductions.

Values used only inside the group stay scalars in registers; values used outside are written
to arrays; reductions accumulate in their own dtype, in NumPy's order (float sums over a
trailing run pairwise, see pairwise_code). The outer loop is a `prange` when the group is
large and its reductions are parallel-safe.
"""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu import short_rows
from tapejit.backend.numba_cpu.contexts import ExprContext
from tapejit.backend.numba_cpu.pairwise_code import PairwiseDriver
from tapejit.backend.numba_cpu.scalar_code import (
    REDUCTION_INIT,
    SCALAR_CODE,
    SIN_COS_LIMIT,
    SIN_COS_LIMIT_F32,
    TRIG,
    VMATH,
)
from tapejit.backend.numba_cpu.short_rows import ShortRows, reads
from tapejit.backend.numba_cpu.source import KernelBuilder, np_type
from tapejit.ir import Eqn, Lit, Var

PARALLEL_MIN = 1 << 15
"""Loop groups with at least this many iterations run their outer loop in parallel."""
MAX_NESTED_LOOPS = 16
"""Groups of higher rank run as one flat loop (Python's limit is 20 nested blocks)."""

SAME_TYPE_ARITHMETIC = frozenset({"add", "sub", "mul", "div", "neg", "square"})
"""Ops whose Numba result has their operands' float type, so their expression needs no cast
when every operand already has the output's type: each `np.float64(...)` is a call Numba
types, a good part of a long loop's compile time."""


def _init_value(prim: str, dtype: np.dtype):
    kind = REDUCTION_INIT[prim]
    if kind == "zero":
        return 0
    if dtype.kind == "f":
        return -np.inf if kind == "lowest" else np.inf
    if dtype.kind == "b":
        return kind == "highest"
    info = np.iinfo(dtype)
    return info.min if kind == "lowest" else info.max


class _Group:
    def __init__(self, kernel: KernelBuilder, eqn: Eqn, parallel_ok: bool = True,
                 exact: bool = False, base: str = "    ") -> None:
        self.exact = exact
        self.base = base
        trig = any(e.prim.name in TRIG for e in eqn.params["body"].eqns)
        self.huge = kernel.new_temp("huge") if trig and eqn.params["shape"] and not exact else ""
        self.beyond: list[str] = []
        self.kernel = kernel
        self.eqn = eqn
        self.body = eqn.params["body"]
        self.shape = tuple(eqn.params["shape"])
        self.rank = len(self.shape)
        self.index = [f"i{k}" for k in range(self.rank)]
        self.outputs = {id(v) for v in self.body.outputs}
        self.local = {id(v) for e in self.body.eqns for v in e.outputs}
        self.loads: dict[tuple, str] = {}
        self.reductions = [e for e in self.body.eqns if e.prim.kind == "reduce"]
        self.driver = None if self.rank > MAX_NESTED_LOOPS else PairwiseDriver.find(
            kernel, self.shape, self.index, self.reductions)
        self.parallel = parallel_ok and not exact and self._parallel_ok()
        self.rows = None if exact or self.rank > MAX_NESTED_LOOPS else ShortRows.find(
            kernel, self.shape, reads(self.body, self.local, self._numpy_mapping),
            any(id(v) in kernel.given for v in self.body.outputs), bool(self.reductions))
        self.loop_index = self.index[:-2] + ["irow"] if self.rows else self.index
        self.lanes = self._short_sums()
        self.lane = 0

    def _short_sums(self) -> int:
        """The last axis's length when every reduction keeps that axis alone and it is short:
        the body is then written once per position along it, each reduction into a scalar
        per position (a loop of a few trips through an array ran scalar, its sums through
        memory). The order of every sum stays the loop nest's. 0 otherwise."""
        last = self.shape[-1] if self.shape else 0
        kept_last = tuple(range(self.rank - 1))
        if (not self.reductions or self.driver or self.parallel or self.exact or self.huge
                or self.kernel.any_size or not 1 < last < short_rows.SHORT_ROW
                or self.rank > MAX_NESTED_LOOPS):
            return 0
        return last if all(tuple(r.params["axes"]) == kept_last for r in self.reductions) else 0

    def _parallel_ok(self) -> bool:
        small = prod(self.shape) < (1 if self.kernel.any_size else PARALLEL_MIN)
        if self.rank == 0 or self.rank > MAX_NESTED_LOOPS or small:
            return False
        if self.driver and self.driver.start == 0:
            return False
        # threads own whole output rows: a sum over the first axis would need a reduction
        # across threads, in an order other than NumPy's
        return all(r.prim.name == "reduce_sum" and 0 not in r.params["axes"]
                   for r in self.reductions)

    # --- names ---------------------------------------------------------------------------

    def value(self, atom) -> str:
        """The scalar expression of an atom at the current loop index."""
        if isinstance(atom, Lit):
            return self.kernel.atom(atom)
        if id(atom) in self.local:
            return self._scalar_name(atom)
        return self.load(atom, self._numpy_mapping(atom))

    def _scalar_name(self, var: Var) -> str:
        name = self.kernel.name(var)
        return name if self.rank == 0 or id(var) not in self.outputs else "e_" + name[2:]

    def _numpy_mapping(self, var: Var) -> tuple:
        lead = self.rank - var.type.ndim
        return tuple(None if size == 1 else lead + i for i, size in enumerate(var.type.shape))

    def load(self, var: Var, mapping: tuple) -> str:
        name = self.kernel.name(var)
        if var.type.ndim == 0:
            return name
        key = (id(var), mapping)
        if key not in self.loads:
            local = f"x{len(self.loads)}_{name[2:]}"
            index = ", ".join("0" if m is None else self.index[m] for m in mapping)
            merged = self.rows.read(var, mapping, self.loop_index) if self.rows else None
            self.loads[key] = local
            self.pending_loads.append(f"{local} = {merged or f'{name}[{index}]'}")
        return self.loads[key]

    # --- pieces --------------------------------------------------------------------------

    def allocate(self) -> None:
        for eqn in self.body.eqns:
            for var in eqn.outputs:
                if id(var) in self.outputs:
                    self._allocate(eqn, var)
        if self.driver:
            self.driver.plan(self.base)
            if not self.parallel:
                self.driver.allocate(self.base)
        for eqn in self.reductions if self.lanes else ():
            name = self.kernel.name(eqn.out)
            for lane in range(self.lanes):
                self.kernel.emit(f"{self._lane_total(eqn, lane)} = {name}[{lane}]", self.base)
        if self.rows:
            self.rows.prepare([v for e in self.body.eqns for v in e.outputs
                               if id(v) in self.outputs], self.base)

    def _allocate(self, eqn: Eqn, var: Var) -> None:
        k, name, dtype = self.kernel, self.kernel.name(var), var.type.dtype
        if eqn.prim.kind != "reduce":
            if self.rank and id(var) not in k.given:
                k.emit(f"{name} = np.empty({k.shape(self.shape)}, {np_type(dtype)})", self.base)
            return
        init = _init_value(eqn.prim.name, dtype)
        init_expr = k.const(init, dtype) if dtype.kind == "f" else f"{np_type(dtype)}({init})"
        if var.type.ndim == 0:
            k.emit(f"{name} = {init_expr}", self.base)
            return
        k.emit(f"{name} = np.full({k.shape(var.type.shape)}, {init_expr}, {np_type(dtype)})",
               self.base)

    def open_loops(self) -> str:
        if self.huge:
            self.kernel.emit(f"{self.huge} = np.int32(0)", self.base)
        if self.rank > MAX_NESTED_LOOPS:
            return self._open_flat_loop()
        if self.driver and self.parallel:
            indent = self._open_chunks()
            outer = range(1, self.driver.start)
        else:
            indent = self.base
            outer = range(self.driver.start if self.driver else self.rank)
        if self.rows or self.lanes:
            outer = range(self.rank - 1)
        shape = self.rows.loop_shape if self.rows else self.shape
        for k in outer:
            loop = "prange" if (k == 0 and self.parallel) else "range"
            size = self.kernel.size(shape[k])
            self.kernel.emit(f"for {self.loop_index[k]} in {loop}({size}):", indent)
            indent += "    "
        self.run_indent = indent
        return self.driver.open(indent) if self.driver else indent

    def _open_chunks(self) -> str:
        """The first axis split into chunks run in parallel, each with its own pairwise
        state (allocated once per chunk, not per row)."""
        k, indent = self.kernel, self.base + "    "
        size, chunk = k.size(self.shape[0]), k.new_temp("chunk")
        k.emit(f"{chunk}_n = min({size}, 64)", self.base)
        k.emit(f"for {chunk} in prange({chunk}_n):", self.base)
        self.driver.allocate(indent)
        k.emit(f"for {self.index[0]} in range({chunk} * {size} // {chunk}_n, "
               f"({chunk} + 1) * {size} // {chunk}_n):", indent)
        return indent + "    "

    def close_loops(self) -> None:
        if self.driver:
            self.driver.close(self.run_indent, [self._target(e) for e in self.driver.sums])

    def _open_flat_loop(self) -> str:
        """One loop over every element, its indices recovered by division: Python allows
        only 20 nested blocks, and high ranks are rare enough not to need more speed."""
        k, indent = self.kernel, self.base + "    "
        k.emit(f"for flat in range({k.size(prod(self.shape))}):", self.base)
        k.emit("rest = flat", indent)
        for axis in reversed(range(self.rank)):
            size = k.size(self.shape[axis])
            k.emit(f"{self.index[axis]} = rest % {size}", indent)
            k.emit(f"rest = rest // {size}", indent)
        return indent

    def statement(self, eqn: Eqn, indent: str) -> list[str]:
        self.pending_loads: list[str] = []
        if eqn.prim.kind == "reduce":
            lines = self._reduce(eqn)
        elif eqn.prim.name == "broadcast_in_dim":
            lines = [f"{self._scalar_name(eqn.out)} = {self._broadcast(eqn)}"]
        else:
            lines = [f"{self._scalar_name(eqn.out)} = {self._elementwise(eqn)}"]
        if eqn.prim.kind != "reduce" and id(eqn.out) in self.outputs and self.rank:
            target = (self.rows.store(eqn.out, self.loop_index) if self.rows else
                      f"{self.kernel.name(eqn.out)}[{', '.join(self.index)}]")
            lines.append(f"{target} = {self._scalar_name(eqn.out)}")
        return self.pending_loads + lines

    def _elementwise(self, eqn: Eqn) -> str:
        code = SCALAR_CODE.get(eqn.prim.name)
        if code is None:
            raise LoweringError(f"primitive {eqn.prim.name} has no Numba code")
        args = [self.value(a) for a in eqn.inputs]
        # scalars gain nothing from vectorizable math, and inlining it at every scalar call
        # site makes long scalar programs slow to compile: they call libm
        libm = VMATH if self.rank == 0 else (TRIG if self.exact else frozenset())
        context = ExprContext(self.kernel, eqn, libm)
        expr = code(context, *args, **eqn.params)
        if self.huge and eqn.prim.name in TRIG:
            limit = SIN_COS_LIMIT_F32 if eqn.out.type.dtype.itemsize == 4 else SIN_COS_LIMIT
            self.beyond.append(f"(abs({args[0]}) >= {limit!r})")
        dtype = eqn.out.type.dtype
        if dtype.kind == "b" or _typed_already(eqn):
            return expr
        return f"{np_type(dtype)}({expr})"

    def _broadcast(self, eqn: Eqn) -> str:
        operand = eqn.inputs[0]
        if isinstance(operand, Lit) or operand.type.ndim == 0 or id(operand) in self.local:
            return self.value(operand)
        dims = eqn.params["broadcast_dimensions"]
        mapping = tuple(None if operand.type.shape[i] == 1 else d for i, d in enumerate(dims))
        return self.load(operand, mapping)

    def _lane_total(self, eqn: Eqn, lane: int) -> str:
        return f"a{lane}_{self.kernel.name(eqn.out)[2:]}"

    def store_lanes(self) -> None:
        """The per-position sums written back, after the loops."""
        for eqn in self.reductions if self.lanes else ():
            name = self.kernel.name(eqn.out)
            for lane in range(self.lanes):
                self.kernel.emit(f"{name}[{lane}] = {self._lane_total(eqn, lane)}", self.base)

    def _target(self, eqn: Eqn) -> str:
        if self.lanes:
            return self._lane_total(eqn, self.lane)
        kept = [self.index[d] for d in range(self.rank) if d not in eqn.params["axes"]]
        name = self.kernel.name(eqn.out)
        return f"{name}[{', '.join(kept)}]" if kept else name

    def _reduce(self, eqn: Eqn) -> list[str]:
        x = self.value(eqn.inputs[0])
        if self.driver and self.driver.feeds(eqn):
            return [self.driver.store(eqn, x)]
        target = self._target(eqn)
        dtype = eqn.out.type.dtype
        if eqn.prim.name == "reduce_sum" and dtype.kind in "iu" and "[" not in target:
            # Numba widens int32 + int32 to int64; NumPy wraps in the input's dtype
            return [f"{target} = {np_type(dtype)}({target} + {x})"]
        if eqn.prim.name == "reduce_sum":
            return [f"{target} += {x}"]
        helper = "nan_max" if eqn.prim.name == "reduce_max" else "nan_min"
        self.kernel.math.add(helper)
        return [f"{target} = {helper}({target}, {x})"]


def emit_group(kernel: KernelBuilder, eqn: Eqn, parallel_ok: bool = True, exact: bool = False,
               base: str = "    ") -> None:
    """Append the loop nest of one `fused` equation to the kernel.

    A group using sin/cos counts arguments beyond vmath's range; if there are any, the whole
    group runs again with libm's sin/cos (rare: |x| >= 2**40).
    """
    group = _Group(kernel, eqn, parallel_ok, exact, base)
    kernel.comment(eqn, base)
    group.allocate()
    indent = group.open_loops()
    for lane in range(group.lanes or 1):
        if group.lanes:  # the body once per position along the short last axis
            kernel.emit(f"{group.index[-1]} = {lane}", indent)
            group.lane, group.loads = lane, {}
        for inner in group.body.eqns:
            if not lane:
                kernel.comment(inner, indent)
            for line in group.statement(inner, indent):
                kernel.emit(line, indent)
    if group.beyond:
        # one statement per iteration: a parallel loop allows one update of its reduction
        # variable, and a branch per sin or cos (`1 if ... else 0`) multiplied the loop's
        # blocks, which Numba's SSA pass revisits for every variable. A max of int32 flags:
        # an int64 count held float32 loops to 8 lanes (the chain gradient ran 2.3x slower)
        kernel.emit(f"{group.huge} = max({group.huge}, np.int32({' | '.join(group.beyond)}))",
                    indent)
    group.close_loops()
    group.store_lanes()
    if group.huge:
        kernel.emit(f"if {group.huge} > 0:", base)
        emit_group(kernel, eqn, False, True, base + "    ")
    kernel.parallel |= group.parallel
    kernel.fresh.update(id(v) for v in group.body.outputs)


def _typed_already(eqn: Eqn) -> bool:
    """Whether the equation's expression has its output's type without a cast."""
    dtype = eqn.out.type.dtype
    return (eqn.prim.name in SAME_TYPE_ARITHMETIC and dtype in (np.float32, np.float64)
            and all(a.type.dtype == dtype for a in eqn.inputs))
