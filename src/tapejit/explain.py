"""Why a gradient is None, what a tape holds, and its programs as text."""

from __future__ import annotations

from dataclasses import dataclass

from tapejit.dtypes import is_float
from tapejit.ir import Program
from tapejit.tensor import Tensor, Variable


@dataclass(frozen=True)
class TapeIR:
    """The forward program a tape recorded between sources and targets, and its backward."""

    forward: Program
    backward: Program

    def __str__(self) -> str:
        return f"forward:\n{self.forward}\nbackward:\n{self.backward}"


@dataclass(frozen=True)
class ResidualReport:
    """Values a tape keeps alive for the backward pass."""

    items: tuple[tuple[str, tuple, str, int], ...]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def nbytes(self) -> int:
        return sum(item[3] for item in self.items)

    @classmethod
    def of(cls, tape) -> ResidualReport:
        items = []
        for e in tape._entries:
            value = e.output
            if value is None or value._value is None:
                continue
            nbytes = getattr(value._value, "nbytes", 0)
            items.append((f"{e.prim.name} at {e.site}" if e.site else e.prim.name,
                          tuple(value.shape), value.dtype.name, int(nbytes)))
        return cls(tuple(items))

    def __str__(self) -> str:
        lines = [f"{self.count} recorded values, {self.nbytes} bytes"]
        lines += [f"  {dtype}{list(shape)} {nbytes} B  {what}"
                  for what, shape, dtype, nbytes in self.items]
        return "\n".join(lines)


def skeletonize(tape) -> None:
    """Drop every value a tape holds, keeping the ids that link its ops for `explain`.

    (An id names a dead value once the tape is released; explain looks up only objects the
    caller still holds, whose ids cannot have been reused.)
    """
    for e in tape._entries:
        e.inputs = e.output = None
    tape._watched_ids = set(tape._watched)
    tape._read_ids = {k: [id(t) for t in ts] for k, ts in tape._reads.items()}
    tape._watched, tape._reads, tape._snapshots = {}, {}, {}


def _watched_ids(tape) -> set[int]:
    return tape._watched_ids if tape._released else set(tape._watched)


def _source_ids(tape, source) -> list[int]:
    if isinstance(source, Variable):
        if tape._released:
            return list(tape._read_ids.get(id(source), []))
        return [id(t) for t in tape._reads.get(id(source), [])]
    return [id(source)] if id(source) in _watched_ids(tape) else []


def _name(source) -> str:
    if isinstance(source, Variable):
        return f"Variable '{source.name}'"
    if isinstance(source, Tensor):
        return f"tensor {source.dtype.name}{list(source.shape)}"
    return f"a {type(source).__name__}"


def _unwatched(tape, source) -> str | None:
    name = _name(source)
    if not isinstance(source, (Tensor, Variable)):
        return f"{name} is not a Tensor or Variable: only those carry gradients"
    if not is_float(source.dtype):
        return (f"{name} has dtype {source.dtype.name}: integer and boolean values carry no "
                f"gradient (fix: make it a float, e.g. tj.constant(10.0))")
    if isinstance(source, Variable):
        return _unwatched_variable(tape, source, name)
    if id(source) not in _watched_ids(tape):
        return (f"{name} was not watched: tapes watch trainable Variables automatically, "
                f"plain tensors only after tape.watch(x) (fix: call tape.watch on it before "
                f"using it inside the tape)")
    return None


def _unwatched_variable(tape, var: Variable, name: str) -> str | None:
    if id(var) not in tape._variables:
        if not var.trainable:
            return (f"{name} is not trainable, so the tape does not watch it "
                    f"(fix: tape.watch({var._name}) or trainable=True)")
        if not tape._watch_accessed:
            return (f"{name} was never watched: the tape has watch_accessed_variables=False "
                    f"(fix: tape.watch it)")
        return f"{name} was not read while the tape was recording"
    if not _source_ids(tape, var):
        return f"{name} is watched but was never read while the tape was recording"
    return None


def _reachable(tape, starts: list[int]) -> tuple[set[int], list]:
    reach = set(starts)
    along = []
    for e in tape._entries:
        if any(k in reach for k in e.ids):
            along.append(e)
            if e.float_out and e.prim.name != "stop_gradient":
                reach.add(e.out_id)
    return reach, along


def _break_reason(tape, reach: set[int], along: list) -> str | None:
    for kind, key, detail, site in tape._notes:
        if key in reach and kind == "assign":
            return (f"it reaches the target only through the state of Variable '{detail}' "
                    f"(assigned at {site}): reading a Variable shows its current value, not how "
                    f"it was computed, so gradients stop there")
        if key in reach and kind == "numpy":
            return (f"its value left tapejit at {site} (converted to a NumPy array, e.g. by an "
                    f"np.* function): the tape cannot follow NumPy; use tapejit ops (tj.* or "
                    f"tapejit.numpy) instead")
    for e in along:
        if e.prim.name == "stop_gradient":
            return f"it passes through tj.stop_gradient at {e.site}"
        if not e.float_out:
            return (f"it flows only through an integer or boolean value ({e.prim.name} at "
                    f"{e.site}): those carry no gradient")
    return None


def explain_source(tape, source, targets=None) -> str:
    """One paragraph on whether and why `source` is connected to `targets`."""
    reason = _unwatched(tape, source)
    if reason is not None:
        return reason
    reach, along = _reachable(tape, _source_ids(tape, source))
    if targets is not None and any(id(t) in reach for t in targets):
        return f"{_name(source)} is connected to the target: its gradient is computed"
    reason = _break_reason(tape, reach, along)
    if reason is not None:
        return f"{_name(source)} is disconnected: {reason}"
    if targets is None:
        return f"{_name(source)} is watched; pass a target to check whether it is connected"
    return f"{_name(source)} is disconnected: the target was not computed from it"
