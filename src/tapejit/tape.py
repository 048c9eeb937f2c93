"""GradientTape: records ops on watched values; gradients come from the backward pass of the
recorded program (autodiff/). Eagerly it holds NumPy values; under jit it records tracers."""

from __future__ import annotations

import contextlib

import numpy as np

from tapejit import tree
from tapejit.autodiff.backward import (
    ChainGradient,
    EagerGradient,
    PreparedGradient,
    UnconnectedGradients,
)
from tapejit.autodiff.chain import build_chain, cached_chain, chain_signature
from tapejit.autodiff.pruning import Pruner
from tapejit.autodiff.record import recorded_program
from tapejit.autodiff.vjp import vjp_program
from tapejit.debug import debug, debugging
from tapejit.dtypes import is_float
from tapejit.errors import TapeError, op_error
from tapejit.explain import ResidualReport, TapeIR, TapeRecord, explain_source
from tapejit.jacobians import batch_jacobian_of, jacobian_of
from tapejit.ops import as_operand, cast, full_like
from tapejit.recompute import RecomputedGradient
from tapejit.recording import Recorder
from tapejit.site import numpy_hint, user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable
from tapejit.trace import Tracer

__all__ = ["GradientTape", "UnconnectedGradients"]

class GradientTape(Recorder):
    """Records operations on watched values so `gradient` can differentiate them.

    Args:
        persistent: allow several gradient/jacobian calls (values are held until the tape
            is deleted); otherwise the first call releases them.
        watch_accessed_variables: watch every trainable Variable read while recording.
    """

    # --- recording -------------------------------------------------------------------------

    def __enter__(self) -> GradientTape:
        if self._recording:
            raise op_error(ValueError, "GradientTape", "Tape is still recording, This can "
                           "happen if you try to re-enter an already-active tape.",
                           "leave the inner `with tape:`; one block records on a tape",
                           user_site())
        if self._released is not None:  # as TF: a released tape records afresh
            self.__init__(self._persistent, self._watch_accessed)
        self._used = True
        self._trace_depth = len(STATE.traces)
        STATE.tapes.append(self)
        return self

    def __exit__(self, *exc) -> None:
        if self in STATE.tapes:
            STATE.tapes.remove(self)
        self._pruner.prune()  # the block's last values, now that its locals let go

    @property
    def _recording(self) -> bool:
        return any(t is self for t in STATE.tapes)

    @contextlib.contextmanager
    def stop_recording(self):
        """A block whose ops this tape does not record (other tapes still do).

        Raises:
            RuntimeError: the tape never recorded (or was released), as in TF.
            ValueError: the tape is not recording now.
        """
        self._check_recording("stop_recording")
        position = next(i for i, t in enumerate(STATE.tapes) if t is self)
        STATE.tapes.pop(position)
        try:
            yield
        finally:
            STATE.tapes.insert(position, self)

    def _check_recording(self, what: str) -> None:
        if what == "stop_recording" and (not self._used or self._released is not None):
            raise op_error(RuntimeError, f"GradientTape.{what}", "Trying to stop recording a "
                           "tape which is not recording.", "use it inside the tape's `with` "
                           "block", user_site())
        if not self._recording:
            raise op_error(ValueError, f"GradientTape.{what}", "Tape is not recording.",
                           "use it inside the tape's `with` block", user_site())

    def reset(self) -> None:
        """Forget everything recorded so far; recording goes on (inside the `with` block only,
        as in TF)."""
        self._check_recording("reset")
        self.__init__(self._persistent, self._watch_accessed)
        self._used = True

    # --- differentiation -------------------------------------------------------------------

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(each source), in the structure of `sources`.

        Args:
            target: a tensor or a nested list/tuple/dict of tensors (their sum is differentiated).
            sources: a tensor/Variable or nested structure of them.
            output_gradients: cotangents for the targets (same structure); default ones.
            unconnected_gradients: NONE gives None for unconnected sources, ZERO gives zeros.
        Returns:
            Gradients shaped and typed like their sources, in the structure of `sources`.
        Raises:
            TapeError (a RuntimeError): a second call on a non-persistent tape.
            ValueError: an unknown `unconnected_gradients`.
            TypeError: a source that is not a Tensor or Variable.

        Called inside the tape's `with` block, a non-persistent tape stops recording; a
        persistent one records the gradient's own ops, so it can be differentiated again
        (as TF does).
        """
        self._check_usable("gradient")
        unconnected = _unconnected(unconnected_gradients)
        self._start_gradient()
        targets = self._targets(target)
        source_leaves, source_def = tree.flatten(sources)
        self._check_sources(source_leaves)
        cts = self._output_gradients(targets, tree.flatten(target)[1], output_gradients)
        prepared = self.prepare(targets, source_leaves, once=True)
        self._release_if_done(keep_entries=type(prepared) in _RELEASING_THEMSELVES)
        grads = prepared.run(cts)  # a released tape's backward drops each op's values
        grads = self._fill_unconnected(grads, source_leaves, unconnected)
        self._debug_none_hints(grads, source_leaves, targets)
        return tree.unflatten(source_def, grads)

    def _check_usable(self, what: str) -> None:
        if self._released is not None:
            raise op_error(TapeError, f"GradientTape.{what}",
                           "GradientTape.gradient can only be called once on non-persistent "
                           "tapes (its recorded values were released by the first gradient, "
                           "jacobian or batch_jacobian)",
                           "create the tape with tj.GradientTape(persistent=True) to call "
                           "gradient/jacobian several times", user_site())

    def _start_gradient(self) -> None:
        """Inside the `with` block: a non-persistent tape stops recording for good; a
        persistent one goes on recording, the gradient's ops included."""
        if self._recording and not self._persistent:
            self.__exit__()

    def _release_if_done(self, keep_entries: bool = False) -> None:
        """A non-persistent tape drops its values; a data-free record stays for `explain`.
        `gradient` releases before the backward pass runs, so that values go as their ops'
        steps finish: the pass holds them then (the generated one reads the entries, which
        it releases itself: `keep_entries`)."""
        if self._persistent:
            return
        released = self.explain_record(final=True)
        if not keep_entries:
            for e in self._entries:  # Recorded.release, spelled out: it runs for every op
                e.inputs = e.outputs = None
        self._held, self._number, self._reads, self._snapshots = [], {}, {}, {}
        self._pruner = Pruner()
        self._released = released

    def _targets(self, target) -> list:
        out = []
        for t in tree.leaves(target):
            if isinstance(t, Variable):
                t = self._read_target(t)
            if not isinstance(t, Tensor):
                raise self._not_a_target(t)
            out.append(t)
        return out

    def _read_target(self, var: Variable):
        """A Variable target is read as if inside the block (TF converts it so): a
        trainable one is then its own watched source."""
        tensor = var.read()
        if not self._recording and self._released is None:
            self.on_read(var, tensor)
        return tensor

    def _not_a_target(self, target) -> Exception:
        problem = f"the target must be a tensor, got {type(target).__name__}"
        escapes = [n for n in self._notes if n.kind == "numpy"]
        if isinstance(target, (np.ndarray, np.generic)) and escapes:
            site = escapes[-1].site
            return op_error(TypeError, "GradientTape.gradient",
                            f"{problem}: a watched value went through NumPy at {site}, and "
                            f"NumPy results carry no gradient", numpy_hint(site), user_site())
        return op_error(TypeError, "GradientTape.gradient", problem,
                        "pass the tensor computed inside the tape", user_site())

    def _check_sources(self, sources) -> None:
        for i, s in enumerate(sources):
            if not isinstance(s, (Tensor, Variable)):
                raise op_error(TypeError, "GradientTape.gradient",
                               f"source #{i} is a {type(s).__name__}, not a Tensor or Variable",
                               "pass the tensors/Variables to differentiate with respect to "
                               "(watch plain tensors with tape.watch(x))", user_site())

    def _output_gradients(self, targets, target_def, output_gradients) -> list:
        if output_gradients is None:
            return [_ones_like(t) for t in targets]
        try:
            given = tree.flatten_up_to(target_def, output_gradients)
        except ValueError as e:
            raise op_error(ValueError, "GradientTape.gradient",
                           f"output_gradients do not match the targets' structure: {e}",
                           "give one cotangent per target, in the target's structure",
                           user_site()) from None
        cts = []
        for t, g in zip(targets, given):
            g = cast(as_operand(g, "GradientTape.gradient"), t.dtype)
            if tuple(g.shape) != tuple(t.shape):
                raise op_error(ValueError, "GradientTape.gradient",
                               f"output_gradients of shape {tuple(g.shape)} for a target of "
                               f"shape {tuple(t.shape)}", "give each cotangent its target's shape",
                               user_site())
            cts.append(g)
        return cts

    def _source_tensors(self, source) -> list:
        if isinstance(source, Variable):
            tensors = self._reads.get(id(source), [])
        else:
            tensors = [source] if id(source) in self._number else []
        return [t for t in tensors if is_float(t.dtype)]

    def prepare(self, targets, sources, once: bool = False):
        """Derive the backward pass once; `run(cts)` then applies it to cotangents. With
        `once` (a non-persistent tape's gradient), the eager pass runs a single time and
        drops each op's values when its step is done."""
        self._check_snapshots()
        groups = [self._source_tensors(s) for s in sources]
        unique = list({id(t): t for g in groups for t in g}.values())
        if not unique:
            return PreparedGradient(groups, unique, None, [], [])
        pruner = self._pruner
        nothing_records = self._nothing_records(targets, unique)
        if pruner.freed_residuals():
            if once and nothing_records:
                return RecomputedGradient(self._entries, targets, groups, unique, pruner,
                                          self._signature(targets, unique))
            pruner.restore(self._entries)
        if nothing_records:
            release = once and not self._persistent
            return self._chain_gradient(targets, groups, unique, release) or EagerGradient(
                self._entries, groups, unique, targets, release)
        prepared = PreparedGradient.derive(self._entries, targets, groups, unique)
        if not pruner.pruned.isdisjoint(map(id, prepared.residuals)):
            pruner.restore(self._entries)  # values the op-by-op pass would not have read
        return prepared

    def _signature(self, targets, unique) -> tuple | None:
        """The name of the recorded chain and of the gradient asked (autodiff.chain)."""
        number = self._number
        return chain_signature(self._entries, self._leaves, [number[id(t)] for t in unique],
                               [number.get(id(t)) for t in targets])

    def _chain_gradient(self, targets, groups, unique, release) -> ChainGradient | None:
        """The generated backward function of this chain when it was differentiated before
        (autodiff.chain); None the first time, when the op-by-op pass runs."""
        signature = self._signature(targets, unique)
        if signature is None:
            return None
        entries = self._entries
        function = cached_chain(signature, lambda: build_chain(entries, targets, unique))
        if function is None:
            return None
        return ChainGradient(function, entries, groups, unique, release)

    def _check_snapshots(self) -> None:
        """A NumPy array an op read must still hold what it held then: the backward pass
        reads it again, and a changed array would silently give a wrong gradient."""
        for array, saved, site in self._snapshots.values():
            if not np.array_equal(array, saved, equal_nan=array.dtype.kind == "f"):
                raise op_error(TapeError, "GradientTape.gradient",
                               f"a NumPy array {array.dtype}{list(array.shape)} used at {site} "
                               f"was modified in place after the tape recorded it, so its "
                               f"gradient would be wrong", "modify a copy instead, or pass "
                               "tj.constant(array) (tapejit copies it)", user_site())

    def _nothing_records(self, targets, sources) -> bool:
        """No tape (this one included) and no trace would see the backward pass, and every
        value is concrete: it can run as plain NumPy."""
        return (not STATE.traces and not STATE.tapes
                and not any(isinstance(x, Tracer) for x in (*targets, *sources)))

    def _fill_unconnected(self, grads, sources, unconnected) -> list:
        if unconnected is UnconnectedGradients.NONE:
            return grads
        return [full_like(s, 0) if g is None else g for g, s in zip(grads, sources)]

    def _debug_none_hints(self, grads, sources, targets) -> None:
        if not debugging(1):
            return
        for i, (g, s) in enumerate(zip(grads, sources)):
            if g is None:
                reason = explain_source(self.explain_record(), s, targets).splitlines()[0]
                debug(1, f"gradient of source #{i} is None: {reason}")

    # --- jacobians -------------------------------------------------------------------------

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i] / d source[j] for every element: shape target.shape + source.shape.
        A source the target does not depend on gets zeros (as TF's jacobian), an empty
        target or source an empty jacobian."""
        self._check_jacobian("jacobian", unconnected_gradients, experimental_use_pfor)
        (target,) = self._targets([target])
        leaves, treedef = tree.flatten(sources)
        self._check_sources(leaves)
        result = jacobian_of(self.prepare([target], leaves), target, leaves)
        self._release_if_done()
        return tree.unflatten(treedef, result)

    def _check_jacobian(self, what: str, unconnected, use_pfor: bool) -> None:
        self._check_usable(what)
        _unconnected(unconnected)
        if not use_pfor and not self._persistent:
            raise op_error(RuntimeError, f"GradientTape.{what}",
                           f"GradientTape must be created with persistent=True to compute the "
                           f"{what} with eager execution enabled and with "
                           f"experimental_use_pfor set to False.",
                           "create it with tj.GradientTape(persistent=True)", user_site())
        self._start_gradient()

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: (batch, *target.shape[1:], *source.shape[1:]).

        Raises:
            ValueError: target or source of rank below 2, or batch sizes that differ.
        """
        self._check_jacobian("batch_jacobian", unconnected_gradients, experimental_use_pfor)
        (target,) = self._targets([target])
        self._check_sources([source])
        if target.ndim < 2 or source.ndim < 2 or target.shape[0] != source.shape[0]:
            raise op_error(ValueError, "GradientTape.batch_jacobian",
                           f"Need first dimension of target shape ({tuple(target.shape)}) and "
                           f"source shape ({tuple(source.shape)}) to match.",
                           "both need rank 2 or more and the same batch size first; use "
                           "jacobian for unbatched values", user_site())
        result = batch_jacobian_of(self.prepare([target], [source]), target, source)
        self._release_if_done()
        return result

    # --- inspection ------------------------------------------------------------------------

    def explain_record(self, final: bool = False) -> TapeRecord:
        """A read-only record of what this tape watched and recorded (for `explain`); a
        `final` one (the tape is releasing, its map of watched values is not changed again)
        holds that map's keys rather than a copy."""
        if self._released is not None:
            return self._released
        return TapeRecord(
            entries=tuple(self._entries),
            watched=self._number.keys() if final else frozenset(self._number),
            variables=dict(self._variables),
            reads={k: tuple(id(t) for t in ts) for k, ts in self._reads.items()},
            notes=tuple(self._notes), watch_accessed=self._watch_accessed)

    def explain(self, source, target=None) -> str:
        """Why `source` has (or lacks) a gradient, naming the user's line where it disconnects."""
        targets = None if target is None else self._targets(target)
        return explain_source(self.explain_record(), source, targets)

    def lower(self, target, sources) -> TapeIR:
        """The forward program recorded from `sources` to `target` and its backward program."""
        self._check_usable("lower")
        targets = self._targets(target)
        tensors = list({id(t): t for s in tree.leaves(sources)
                        for t in self._source_tensors(s)}.values())
        program, _, _ = recorded_program(self._entries, targets, tensors)
        return TapeIR(program, vjp_program(program, range(len(tensors))).program)

    def residuals(self) -> ResidualReport:
        """The values this tape holds for the backward pass, with their bytes."""
        pruned = self._pruner.pruned
        return ResidualReport.of([e for e in self._entries
                                  if e.outputs is None or id(e.outputs[0]) not in pruned])


_RELEASING_THEMSELVES = (ChainGradient, RecomputedGradient)
"""Prepared gradients that read the tape's entries as they run and release them after."""


def _ones_like(target):
    """The default cotangent of a target (a plain scalar for an eager 0-d one)."""
    if type(target) is Tensor and isinstance(target._value, np.generic):
        return Tensor(target._value.dtype.type(1))
    return full_like(target, 1)


def _unconnected(value) -> UnconnectedGradients:
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise op_error(ValueError, "GradientTape.gradient",
                       f"Unknown value for unconnected_gradients: {value!r}",
                       "pass tj.UnconnectedGradients.NONE or .ZERO ('none' or 'zero')",
                       user_site()) from None
