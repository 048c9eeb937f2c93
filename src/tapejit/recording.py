"""What a GradientTape records: the watched values (numbered: the tape's entries name their
operands by these numbers), one entry per op on them, the Variables read, and notes on
watched values that leave tapejit. The per-op hook (`on_op`) is the eager tape's hot path."""

from __future__ import annotations

import numpy as np

from tapejit import tree
from tapejit.autodiff import pruning
from tapejit.autodiff.record import Recorded, value_key
from tapejit.dtypes import is_float
from tapejit.errors import TapeWarning, op_error
from tapejit.explain import Note, TapeRecord
from tapejit.primitives.convert import stop_gradient_p
from tapejit.site import user_site, warn_at_user_line
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable
from tapejit.trace import Tracer

_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64))
_SCALAR_KEYS = {kind: value_key(kind(0)) for kind in _FLOAT_SCALARS}
"""The key of a float NumPy scalar passed as it is (record.value_key), made once."""


def _warn_if_not_float(value) -> None:
    """TF's warning for a watched value that cannot carry a gradient (int, bool)."""
    if is_float(value.dtype):
        return
    what = f"variable '{value.name}'" if isinstance(value, Variable) else "tensor"
    warn_at_user_line(f"The dtype of the watched {what} must be floating (e.g. tj.float32), "
                      f"got {value.dtype.name}: its gradient will be None (fix: create it from "
                      f"floats, e.g. tj.Variable(1.0), or pass dtype=tj.float32)", TapeWarning)


class Recorder:
    """The recording half of GradientTape (see tapejit.tape)."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._number: dict[int, int] = {}  # id of a watched value -> its number on this tape
        self._held: list = []  # watched values no entry holds (their ids must stay unique)
        self._leaves: list[tuple] = []  # (number, value_key) of each watched leaf
        self._entries: list[Recorded] = []
        self._variables: dict[int, Variable] = {}
        self._explicit: set[int] = set()
        self._reads: dict[int, list] = {}
        self._notes: list[Note] = []
        self._snapshots: dict[int, tuple] = {}  # user arrays the backward pass will read
        self._released: TapeRecord | None = None
        self._used = False
        self._trace_depth = 0
        self._pruner = pruning.Pruner()  # big values freed during the forward pass

    def watch(self, tensor) -> None:
        """Watch tensors or Variables (any nested structure of them)."""
        for item in tree.leaves(tensor):
            if isinstance(item, Variable):
                self._variables.setdefault(id(item), item)
                self._explicit.add(id(item))
                _warn_if_not_float(item)
            elif isinstance(item, Tensor):
                self._watch_value(item)
                _warn_if_not_float(item)
            else:
                raise op_error(ValueError, "GradientTape.watch",
                               f"Passed in object of type {type(item)}, not tf.Tensor or "
                               f"tf.Variable (tapejit watches tj.Tensor and tj.Variable)",
                               "convert it first: x = tj.constant(x); tape.watch(x)", user_site())

    def watched_variables(self) -> tuple[Variable, ...]:
        """Variables this tape watches, in order of construction (as TF)."""
        return tuple(sorted(self._variables.values(), key=lambda v: v._created))

    def on_op(self, prim, args, params, out) -> None:
        """Called by `bind` for every op while this tape is recording. The common case (one
        Tensor out, one or two operands) is spelled out: it is the eager tape's per-op cost."""
        if type(out) is not Tensor:
            self._on_other_op(prim, args, params, out)
            return
        number = self._number
        if len(args) == 2:
            a, b = args
            ia, ib = id(a), id(b)
            la, lb = number.get(ia), number.get(ib)
            if la is None:
                if lb is None:
                    return
                la = _SCALAR_KEYS.get(type(a)) or self._outside(a)
            elif lb is None:
                lb = _SCALAR_KEYS.get(type(b)) or self._outside(b)
            ids, links = (ia, ib), (la, lb)
        elif len(args) == 1:
            k = id(args[0])
            link = number.get(k)
            if link is None:
                return
            ids, links = (k,), (link,)
        else:
            ids = tuple(map(id, args))
            found = [number.get(k) for k in ids]
            if found.count(None) == len(found):
                return
            links = tuple(self._outside(a) if n is None else n for a, n in zip(args, found))
        value = out._value
        kind = type(value)
        if kind is np.ndarray:
            out_key, float_out = (value.dtype, value.shape), value.dtype.kind == "f"
        else:
            out_key, float_out = kind, kind in _FLOAT_SCALARS
        out_id = id(out)
        number[out_id] = len(number)
        out_ids = (out_id,)
        key = None if None in links else (prim, tuple(params.items()) if params else (), links,
                                          out_key)
        if float_out and prim is not stop_gradient_p:
            entry = Recorded(prim, params, args, (out,), ids, out_ids, key)
        else:  # lines are found (a frame walk) only where `explain` may cite them
            entry = Recorded.of(prim, params, args, (out,), user_site(), ids, float_out, key)
        self._entries.append(entry)
        if kind is np.ndarray or self._pruner.pending:
            self._track(entry)

    def before_op(self) -> None:
        """Called by `bind` before an op on an array runs: the values only this tape holds
        now are freed before the op's result is made, not after."""
        if self._pruner.pending:
            self._pruner.prune()

    def references(self, tensor) -> int | None:
        """How many references this tape holds to `tensor` when the value waits to be freed
        (the pruner's count: the gradient can compute it again), else None: a value the tape
        keeps, or one it does not know and the next op's entry may keep."""
        return self._pruner.references(tensor)

    def gave_up(self, tensor) -> None:
        """Called by `trace.bind_into` when `tensor`, a temporary, gave its array to an op's
        result."""
        self._pruner.give_up(tensor)

    def _track(self, entry) -> None:
        """Pruning (autodiff.pruning): a big output may be freed when this non-persistent
        tape is the only thing recording; while any waits, each op's reads are noted."""
        value = entry.outputs[0]._value
        if not self._pruner.pending and value.nbytes < pruning.PRUNE_BYTES:
            return
        candidate = (not self._persistent and type(value) is np.ndarray
                     and value.nbytes >= pruning.PRUNE_BYTES
                     and len(STATE.tapes) == 1 and not STATE.traces)
        if candidate or self._pruner.pending:
            self._pruner.track(entry, self._number, candidate)

    def _outside(self, operand):
        """The key of an operand the tape does not watch; a NumPy array is kept as it is now
        (the backward pass reads it, and `gradient` checks it did not change)."""
        kind = type(operand)
        if kind is np.ndarray:
            self._snapshot(operand)
        elif kind in _SCALAR_KEYS:
            return _SCALAR_KEYS[kind]
        return value_key(operand)

    def _on_other_op(self, prim, args, params, out) -> None:
        """An op with several outputs, or on traced values (these have no chain key)."""
        first = out[0] if type(out) is tuple else out
        if type(first) is Tracer and first._trace.level >= self._trace_depth:
            return  # a body being traced (a loop's, a branch's), or a derivation's work
        ids = tuple(map(id, args))
        if not any(k in self._number for k in ids):
            return
        outs = out if type(out) is tuple else (out,)
        for o in outs:
            self._watch_value(o)
        float_out = any(o.dtype.kind == "f" for o in outs)
        site = user_site() if not float_out or prim.name == "stop_gradient" else None
        self._entries.append(Recorded.of(prim, params, args, outs, site, ids, float_out))
        if self._pruner.pending:
            self._pruner.keep_all(args)
        for a in args:
            if type(a) is np.ndarray:
                self._snapshot(a)

    def _snapshot(self, array: np.ndarray) -> None:
        if id(array) not in self._snapshots:
            self._snapshots[id(array)] = (array, array.copy(), user_site())

    def _watch_value(self, tensor) -> None:
        """Watch `tensor`, numbering it (the tape's entries name operands by these numbers);
        a watched value that no recorded op made is a leaf of the chain."""
        key = id(tensor)
        if key in self._number:
            return
        self._held.append(tensor)
        self._leaves.append((len(self._number), value_key(tensor)))
        self._number[key] = len(self._number)

    def watches(self, tensor) -> bool:
        """Whether gradients can flow to `tensor` on this tape (it is watched or computed
        from watched values)."""
        return id(tensor) in self._number

    def on_read(self, var: Variable, tensor) -> None:
        """Called when a Variable is read while this tape is recording."""
        key = id(var)
        reads = self._reads.get(key)
        if reads is not None and reads[-1] is tensor:
            return  # read again, unchanged
        if key in self._explicit or (self._watch_accessed and var.trainable):
            if key not in self._variables:
                _warn_if_not_float(var)
            self._variables.setdefault(key, var)
            self._watch_value(tensor)
            reads = self._reads.setdefault(key, [])
            if not any(r is tensor for r in reads):
                reads.append(tensor)

    def on_escape(self, tensor) -> None:
        """Called when a tensor is converted to a NumPy array while this tape records."""
        if id(tensor) in self._number:
            self._notes.append(Note("numpy", id(tensor), None, user_site()))

    def on_constant(self, tensor) -> None:
        """Called when tj.constant copies a tensor's value while this tape records."""
        if id(tensor) in self._number:
            self._notes.append(Note("constant", id(tensor), None, user_site()))

    def on_assign(self, var: Variable, value) -> None:
        """Called when a Variable is assigned while this tape records."""
        if id(value) in self._number:
            self._notes.append(Note("assign", id(value), var.name, user_site()))
