"""Why a gradient is None, what a tape holds, and its programs as text. Reads a TapeRecord,
the read-only account a tape gives of itself."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from tapejit.autodiff.record import Recorded, forward_reach
from tapejit.dtypes import is_float
from tapejit.ir import Program, Site
from tapejit.site import numpy_hint
from tapejit.tensor import Tensor, Variable


@dataclass(frozen=True)
class Note:
    """Something a tape saw that cuts a gradient: a watched value that left tapejit
    ("numpy"), became a constant ("constant") or a Variable's state ("assign")."""

    kind: str
    value_id: int
    detail: str | None
    site: Site | None


@dataclass(frozen=True)
class TapeRecord:
    """What a tape watched and recorded, by value ids (a released tape keeps only these)."""

    entries: tuple[Recorded, ...]
    watched: AbstractSet[int]
    variables: Mapping[int, Variable]
    reads: Mapping[int, tuple[int, ...]]
    notes: tuple[Note, ...]
    watch_accessed: bool


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
    def of(cls, entries) -> ResidualReport:
        items = []
        for e in entries:
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


def _source_ids(record: TapeRecord, source) -> list[int]:
    if isinstance(source, Variable):
        return list(record.reads.get(id(source), ()))
    return [id(source)] if id(source) in record.watched else []


def _name(source) -> str:
    if isinstance(source, Variable):
        return f"Variable '{source.name}'"
    if isinstance(source, Tensor):
        return f"tensor {source.dtype.name}{list(source.shape)}"
    return f"a {type(source).__name__}"


def _unwatched(record: TapeRecord, source) -> str | None:
    name = _name(source)
    if not isinstance(source, (Tensor, Variable)):
        return f"{name} is not a Tensor or Variable: only those carry gradients"
    if not is_float(source.dtype):
        return (f"{name} has dtype {source.dtype.name}: integer and boolean values carry no "
                f"gradient (fix: make it a float, e.g. tj.constant(10.0))")
    if isinstance(source, Variable):
        return _unwatched_variable(record, source, name)
    if id(source) not in record.watched:
        return (f"{name} was not watched: tapes watch trainable Variables automatically, "
                f"plain tensors only after tape.watch(x) (fix: call tape.watch on it before "
                f"using it inside the tape)")
    return None


def _unwatched_variable(record: TapeRecord, var: Variable, name: str) -> str | None:
    if id(var) not in record.variables:
        if not var.trainable:
            return (f"{name} is not trainable, so the tape does not watch it "
                    f"(fix: tape.watch({var._name}) or trainable=True)")
        if not record.watch_accessed:
            return (f"{name} was never watched: the tape has watch_accessed_variables=False "
                    f"(fix: tape.watch it)")
        return f"{name} was not read while the tape was recording"
    if not _source_ids(record, var):
        return f"{name} is watched but was never read while the tape was recording"
    return None


def _carries_gradient(entry: Recorded) -> bool:
    return entry.float_out and entry.prim.name != "stop_gradient"


def _break_reason(record: TapeRecord, reach: set[int], along: list) -> str | None:
    for note in record.notes:
        if note.value_id in reach and note.kind == "assign":
            return (f"it reaches the target only through the state of Variable "
                    f"'{note.detail}' (assigned at {note.site}): reading a Variable shows its "
                    f"current value, not how it was computed, so gradients stop there")
        if note.value_id in reach and note.kind == "numpy":
            return (f"its value left tapejit at {note.site} (converted to a NumPy array, e.g. "
                    f"by an np.* function): the tape cannot follow NumPy (fix: "
                    f"{numpy_hint(note.site)})")
        if note.value_id in reach and note.kind == "constant":
            return (f"a constant was made from its value at {note.site} (tj.constant copies "
                    f"values, as tf.constant does; fix: tj.convert_to_tensor or tj.stack keep "
                    f"the gradient)")
    for e in along:
        if e.prim.name == "stop_gradient":
            return f"it passes through tj.stop_gradient at {e.site}"
        if not e.float_out:
            return (f"it flows only through an integer or boolean value ({e.prim.name} at "
                    f"{e.site}): those carry no gradient")
    return None


def explain_source(record: TapeRecord, source, targets=None) -> str:
    """One paragraph on whether and why `source` is connected to `targets`."""
    reason = _unwatched(record, source)
    if reason is not None:
        return reason
    reach, along = forward_reach(record.entries, _source_ids(record, source), _carries_gradient)
    if targets is not None and any(id(t) in reach for t in targets):
        return f"{_name(source)} is connected to the target: its gradient is computed"
    reason = _break_reason(record, reach, along)
    if reason is not None:
        return f"{_name(source)} is disconnected: {reason}"
    if targets is None:
        return f"{_name(source)} is watched; pass a target to check whether it is connected"
    return f"{_name(source)} is disconnected: the target was not computed from it"
