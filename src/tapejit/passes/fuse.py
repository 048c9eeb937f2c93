"""Fusion: maximal groups of elementwise, broadcast and reduction equations over one loop shape
become a single `fused` equation whose body is the group's program.

Groups are formed greedily in program order, one open group per loop shape; an equation
joins the open group of its output's shape (a reduction: of its input's shape) unless that
would make the group depend on itself, e.g. through a reduction it computes or through a
matmul that reads its output, or mix float sums of different runs (each keeps NumPy's order
of addition, which streams one run per loop). Independent work of one shape shares a loop (a
gradient's forward and backward), and values used only inside a group never reach memory.
A group holds at most MAX_GROUP equations, so a long chain becomes several loops that the
backend can put in different kernels. Shapes are compared as symbols (passes/dims.py): sizes
equal only by coincidence (a batch of 64 beside a hidden layer of 64) never share a loop, so
the kernel is the same for every batch size.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from tapejit.ir import Eqn, Program, Var
from tapejit.passes.dims import symbolic_dims
from tapejit.primitives.broadcast import summation_run
from tapejit.primitives.fused import fused_p

LOOP_KINDS = ("elementwise", "broadcast")
MAX_GROUP = 150
"""Equations per loop: Numba's compile time grows faster than a loop's length. The gradient
of a 1000-op chain compiled in 74 s with loops of up to 300 (peak RSS 541 MB), in 25 s with
150 (354 MB); the 100-op chain, whose loops are shorter, is unchanged."""


@dataclass(eq=False)
class _Node:
    """A scheduled unit: a loop group, or one equation run as an array operation."""

    index: int
    shape: tuple | None = None
    key: tuple | None = None
    eqns: list[Eqn] = field(default_factory=list)
    deps: set = field(default_factory=set)
    reduced: set = field(default_factory=set)
    sum_order: tuple | None = None  # the float sums' shared run and dtype, once there is one

    @property
    def is_group(self) -> bool:
        return self.shape is not None


def _sum_order(eqn: Eqn) -> tuple | None:
    """What a float sum needs its loop to keep: one group adds in one run's order."""
    if eqn.prim.name != "reduce_sum" or eqn.out.type.dtype.kind != "f":
        return None
    start = summation_run(eqn.inputs[0].type.shape, eqn.params["axes"])
    return None if start is None else (start, eqn.out.type.dtype)


class _Fuser:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.dims = symbolic_dims(program)
        self.nodes: list[_Node] = []
        self.producer: dict[int, _Node] = {}
        self.open: dict[tuple, _Node] = {}

    def _new(self, loop=None) -> _Node:
        """A node; a loop group over `loop`'s shape when given (keyed by its symbols)."""
        if loop is None:
            node = _Node(len(self.nodes))
        else:
            node = _Node(len(self.nodes), loop.type.shape, self.dims.key(loop))
            self.open[node.key] = node
        self.nodes.append(node)
        return node

    def _reaches(self, start: _Node, target: _Node) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node is target:
                return True
            if node.index not in seen:
                seen.add(node.index)
                stack.extend(node.deps)
        return False

    def _fits(self, group: _Node, eqn: Eqn) -> bool:
        if len(group.eqns) >= MAX_GROUP:
            return False
        order = _sum_order(eqn)
        if order is not None and group.sum_order not in (None, order):
            return False
        for atom in eqn.inputs:
            producer = self.producer.get(id(atom)) if isinstance(atom, Var) else None
            if producer is None:
                continue
            if producer is group:
                if id(atom) in group.reduced:
                    return False
            elif self._reaches(producer, group):
                return False
        return True

    def _place(self, eqn: Eqn, node: _Node) -> None:
        node.eqns.append(eqn)
        for atom in eqn.inputs:
            producer = self.producer.get(id(atom)) if isinstance(atom, Var) else None
            if producer is not None and producer is not node:
                node.deps.add(producer)
        for var in eqn.outputs:
            self.producer[id(var)] = node
        if eqn.prim.kind == "reduce":
            node.reduced.update(id(v) for v in eqn.outputs)
        node.sum_order = node.sum_order or _sum_order(eqn)

    def _group_for(self, eqn: Eqn, loop: Var) -> _Node:
        """The open group whose loop runs over `loop`'s symbolic shape, if `eqn` fits it."""
        key = self.dims.key(loop)
        candidates = []
        if eqn.prim.kind == "reduce":
            producer = self.producer.get(id(loop))
            if producer is not None and producer.key == key:
                candidates.append(producer)
        if key in self.open:
            candidates.append(self.open[key])
        for group in candidates:
            if self._fits(group, eqn):
                return group
        return self._new(loop)

    def run(self) -> list[_Node]:
        for eqn in self.program.eqns:
            if eqn.prim.kind in LOOP_KINDS:
                self._place(eqn, self._group_for(eqn, eqn.out))
            elif eqn.prim.kind == "reduce":
                self._place(eqn, self._group_for(eqn, eqn.inputs[0]))
            else:
                self._place(eqn, self._new())
        return self._schedule()

    def _schedule(self) -> list[_Node]:
        """Topological order of the nodes, earliest-created first among the ready ones."""
        waiting = {n.index: len(n.deps) for n in self.nodes}
        users: dict[int, list[_Node]] = {n.index: [] for n in self.nodes}
        for n in self.nodes:
            for d in n.deps:
                users[d.index].append(n)
        ready = [n.index for n in self.nodes if not n.deps]
        heapq.heapify(ready)
        order = []
        while ready:
            node = self.nodes[heapq.heappop(ready)]
            order.append(node)
            for user in users[node.index]:
                waiting[user.index] -= 1
                if waiting[user.index] == 0:
                    heapq.heappush(ready, user.index)
        assert len(order) == len(self.nodes), "fusion made a cycle (a tapejit bug)"
        return order


def _used_outside(program: Program, order: list[_Node]) -> set[int]:
    """Vars read by a node other than their producer, or returned."""
    produced_in = {id(v): n.index for n in order for e in n.eqns for v in e.outputs}
    used = {id(a) for a in program.outputs if isinstance(a, Var)}
    for node in order:
        for eqn in node.eqns:
            for atom in eqn.inputs:
                if isinstance(atom, Var) and produced_in.get(id(atom), -1) != node.index:
                    used.add(id(atom))
    return used


def _group_eqn(node: _Node, used_outside: set[int]) -> Eqn:
    defined = {id(v) for e in node.eqns for v in e.outputs}
    inputs, seen = [], set()
    for eqn in node.eqns:
        for atom in eqn.inputs:
            if isinstance(atom, Var) and id(atom) not in defined and id(atom) not in seen:
                seen.add(id(atom))
                inputs.append(atom)
    outputs = tuple(v for e in node.eqns for v in e.outputs if id(v) in used_outside)
    body = Program(tuple(inputs), tuple(node.eqns), outputs)
    site = node.eqns[0].site
    return Eqn(fused_p, tuple(inputs), outputs, dict(body=body, shape=node.shape), site)


def fuse(program: Program) -> Program:
    """The program with each loop group replaced by one `fused` equation."""
    order = _Fuser(program).run()
    used = _used_outside(program, order)
    eqns = []
    for node in order:
        if node.is_group:
            group = _group_eqn(node, used)
            if group.outputs:
                eqns.append(group)
        else:
            eqns.extend(node.eqns)
    return Program(program.inputs, tuple(eqns), program.outputs)
