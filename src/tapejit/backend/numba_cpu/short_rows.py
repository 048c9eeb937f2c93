"""A fused group whose last axis is short runs its last two axes as one loop.

A loop nest over an NHWC activation with few channels (6, say) has an innermost loop of 6
trips: too short for a vector of 16 floats, so it ran scalar, three times slower than one
loop over a row of W*C values. Such a group (no reductions: their order is NumPy's, axis by
axis) loops over the last two axes merged: arrays over both are read and written through
C-ordered views of that shape, and an operand over only one of the two (a per-channel
bias) is first tiled into a row of the merged length. Each value is computed by the same
expression as before, so no bit changes.
"""

from __future__ import annotations

from tapejit.backend.numba_cpu.source import KernelBuilder, np_type
from tapejit.ir import Program, Var

SHORT_ROW = 16
"""Last axes shorter than this merge with the one before (one vector of float32)."""

VIEW, TILE, PLAIN = "view", "tile", "plain"


def reads(body: Program, local: set[int], mapping) -> list[tuple[Var, tuple]]:
    """Every array a group body loads and the group axes its axes follow (`mapping(var)`
    for a plain operand; broadcast_in_dim's own dimensions for its operand)."""
    found = []
    for eqn in body.eqns:
        if eqn.prim.name == "broadcast_in_dim":
            operand = eqn.inputs[0]
            if isinstance(operand, Var) and operand.type.ndim and id(operand) not in local:
                dims = eqn.params["broadcast_dimensions"]
                found.append((operand, tuple(None if operand.type.shape[i] == 1 else d
                                             for i, d in enumerate(dims))))
            continue
        found += [(a, mapping(a)) for a in eqn.inputs
                  if isinstance(a, Var) and a.type.ndim and id(a) not in local]
    return found


def kind_of(mapping: tuple, rank: int) -> str | None:
    """How an operand reads over the merged axes (rank - 2, rank - 1): through a view (its
    last two axes are those two), a tile (it follows only one of them and no other axis),
    as it is (neither), or None (anything else: the group is not merged)."""
    a, b = rank - 2, rank - 1
    present = {m for m in mapping if m is not None}
    if a in present and b in present:
        return VIEW if mapping[-2:] == (a, b) else None
    if a in present or b in present:
        return TILE if len(present) == 1 else None
    return PLAIN


class ShortRows:
    """The merged loop of one group: the names its views and tiles get, and their lines."""

    def __init__(self, kernel: KernelBuilder, shape: tuple, loads: list[tuple[Var, tuple]]):
        self.kernel, self.shape = kernel, shape
        self.rank = len(shape)
        self.kinds = {(id(v), m): kind_of(m, self.rank) for v, m in loads}
        self.loads = loads
        self.names: dict[tuple, str] = {}

    @classmethod
    def find(cls, kernel: KernelBuilder, shape: tuple, loads, outputs_given: bool,
             has_reductions: bool) -> ShortRows | None:
        if (len(shape) < 2 or not 1 < shape[-1] < SHORT_ROW or has_reductions
                or outputs_given or kernel.any_size):
            return None
        rows = cls(kernel, shape, loads)
        return None if None in rows.kinds.values() else rows

    @property
    def loop_shape(self) -> tuple:
        return self.shape[:-2] + (self.shape[-2] * self.shape[-1],)

    def prepare(self, outputs: list[Var], base: str) -> None:
        """The outputs' views, then each operand's view or tile, before the loops."""
        k = self.kernel
        for var in outputs:
            view = k.name(var) + "_row"
            k.emit(f"{view} = {k.name(var)}.reshape({k.shape(self.loop_shape)})", base)
            self.names[(id(var), None)] = view
        for var, mapping in self.loads:
            key = (id(var), mapping)
            if key in self.names or self.kinds[key] == PLAIN:
                continue
            name = k.new_temp(k.name(var) + "_row")
            self.names[key] = name
            if self.kinds[key] == VIEW:
                shape = var.type.shape[:-2] + (var.type.shape[-2] * var.type.shape[-1],)
                k.emit(f"{name} = np.ascontiguousarray({k.name(var)}).reshape("
                       f"{k.shape(shape)})", base)
            else:
                self._tile(name, var, mapping, base)

    def _tile(self, name: str, var: Var, mapping: tuple, base: str) -> None:
        """name[a * B + b] = the operand at (a, b) of the merged axes."""
        k = self.kernel
        a_size, b_size = (k.size(n) for n in self.shape[-2:])
        ta, tb = k.new_temp("ta"), k.new_temp("tb")
        follows = {self.rank - 2: ta, self.rank - 1: tb}
        index = ", ".join("0" if m is None else follows[m] for m in mapping)
        k.emit(f"{name} = np.empty({a_size} * {b_size}, {np_type(var.type.dtype)})", base)
        k.emit(f"for {ta} in range({a_size}):", base)
        k.emit(f"    for {tb} in range({b_size}):", base)
        k.emit(f"        {name}[{ta} * {b_size} + {tb}] = {k.name(var)}[{index}]", base)

    def read(self, var: Var, mapping: tuple, index: list[str]) -> str | None:
        """The load expression of an operand at the merged loop's index (`index`: the outer
        axes' names, then the merged one's), or None for an operand read as it is."""
        key = (id(var), mapping)
        kind = self.kinds.get(key)
        if kind == TILE:
            return f"{self.names[key]}[{index[-1]}]"
        if kind == VIEW:
            lead = ["0" if m is None else index[m] for m in mapping[:-2]]
            return f"{self.names[key]}[{', '.join(lead + [index[-1]])}]"
        return None

    def store(self, var: Var, index: list[str]) -> str:
        return f"{self.names[(id(var), None)]}[{', '.join(index)}]"
