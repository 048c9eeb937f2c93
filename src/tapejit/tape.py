"""GradientTape: records ops on watched values and derives gradients by linearize + transpose
of the recorded program. Eagerly it holds NumPy values; under jit it records tracers."""

from __future__ import annotations

import contextlib
import enum
import time

import numpy as np

from tapejit import tree
from tapejit.autodiff.vjp import VJP, vjp_program
from tapejit.backend.interpret import eval_program
from tapejit.dtypes import is_float
from tapejit.errors import TapeError, op_error
from tapejit.ir import Eqn, Lit, Program, TensorType, Var
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def type_of_value(x) -> TensorType:
    return TensorType(x.dtype, tuple(x.shape))


class _Recorded:
    """One recorded op: output = prim[params](inputs), the user's line, and the ids of its
    inputs and output (how the tape links ops into a graph)."""

    __slots__ = ("prim", "params", "inputs", "output", "site", "ids", "out_id", "float_out")

    def __init__(self, prim, params, inputs, output, site, ids, out_id, float_out) -> None:
        self.prim, self.params, self.inputs, self.output, self.site = (
            prim, params, inputs, output, site)
        self.ids, self.out_id, self.float_out = ids, out_id, float_out


class GradientTape:
    """Records operations on watched values so `gradient` can differentiate them.

    Args:
        persistent: allow several gradient/jacobian calls (values are held until the tape
            is deleted); otherwise the first call releases them.
        watch_accessed_variables: watch every trainable Variable read while recording.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._watched: dict[int, object] = {}
        self._entries: list[_Recorded] = []
        self._variables: dict[int, Variable] = {}
        self._explicit: set[int] = set()
        self._reads: dict[int, list] = {}
        self._notes: list[tuple] = []
        self._released = False
        self._snapshots: dict[int, tuple] = {}  # user arrays the backward pass will read

    # --- recording -------------------------------------------------------------------------

    def __enter__(self) -> GradientTape:
        if self._released:
            raise TapeError("this non-persistent tape was already used for a gradient; "
                            "create a new GradientTape")
        STATE.tapes.append(self)
        return self

    def __exit__(self, *exc) -> None:
        if self in STATE.tapes:
            STATE.tapes.remove(self)

    @contextlib.contextmanager
    def stop_recording(self):
        """A block whose ops this tape does not record (other tapes still do)."""
        position = next((i for i, t in enumerate(STATE.tapes) if t is self), None)
        if position is None:
            yield
            return
        STATE.tapes.pop(position)
        try:
            yield
        finally:
            STATE.tapes.insert(position, self)

    def reset(self) -> None:
        """Forget everything recorded so far (recording continues if inside the block)."""
        self.__init__(self._persistent, self._watch_accessed)

    def watch(self, tensor) -> None:
        """Watch tensors or Variables (any nested structure of them)."""
        for item in tree.leaves(tensor):
            if isinstance(item, Variable):
                self._variables.setdefault(id(item), item)
                self._explicit.add(id(item))
            elif isinstance(item, Tensor):
                self._watched[id(item)] = item
            else:
                raise op_error(TypeError, "GradientTape.watch",
                               f"cannot watch a {type(item).__name__}: only Tensors and "
                               f"Variables carry gradients",
                               "convert it first: x = tj.constant(x); tape.watch(x)", user_site())

    def watched_variables(self) -> tuple[Variable, ...]:
        """Variables this tape watches, in the order they were first watched or read."""
        return tuple(self._variables.values())

    def _record(self, prim, args, params, out) -> None:
        watched = self._watched
        ids = tuple(map(id, args))
        for k in ids:
            if k in watched:
                break
        else:
            return
        watched[id(out)] = out
        float_out = out.dtype.kind == "f"
        # lines are found (a frame walk) only where `explain` may cite them
        site = user_site() if not float_out or prim.name == "stop_gradient" else None
        self._entries.append(_Recorded(prim, params, args, out, site, ids, id(out), float_out))
        for a in args:
            if type(a) is np.ndarray and id(a) not in self._snapshots:
                self._snapshots[id(a)] = (a, a.copy(), user_site())

    def _on_read(self, var: Variable, tensor) -> None:
        key = id(var)
        if key in self._explicit or (self._watch_accessed and var.trainable):
            self._variables.setdefault(key, var)
            self._watched[id(tensor)] = tensor
            reads = self._reads.setdefault(key, [])
            if not any(r is tensor for r in reads):
                reads.append(tensor)

    def _note_escape(self, tensor) -> None:
        if id(tensor) in self._watched:
            self._notes.append(("numpy", id(tensor), None, user_site()))

    def _note_assign(self, var: Variable, value) -> None:
        if id(value) in self._watched:
            self._notes.append(("assign", id(value), var.name, user_site()))

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
            TapeError: a second call on a non-persistent tape.
            TypeError: a source that is not a Tensor or Variable.
        """
        self._check_usable("gradient")
        targets = self._targets(target)
        source_leaves, source_def = tree.flatten(sources)
        self._check_sources(source_leaves)
        cts = self._output_gradients(targets, tree.flatten(target)[1], output_gradients)
        grads = self._gradients(targets, source_leaves, cts)
        grads = self._fill_unconnected(grads, source_leaves, unconnected_gradients)
        self._debug_none_hints(grads, source_leaves, targets)
        self._release_if_done()
        return tree.unflatten(source_def, grads)

    def _check_usable(self, what: str) -> None:
        if self._released:
            raise op_error(TapeError, f"GradientTape.{what}",
                           "a non-persistent tape can compute gradients only once (its recorded "
                           "values were released after the first call)",
                           "create the tape with tj.GradientTape(persistent=True) to call "
                           "gradient/jacobian several times", user_site())

    def _release_if_done(self) -> None:
        """A non-persistent tape drops its values; a data-free skeleton stays for `explain`."""
        if not self._persistent:
            from tapejit.explain import skeletonize

            skeletonize(self)
            self._released = True

    def _targets(self, target) -> list:
        out = []
        for t in tree.leaves(target):
            if isinstance(t, Variable):
                with self.stop_recording():
                    t = t.read()
            if not isinstance(t, Tensor):
                raise op_error(TypeError, "GradientTape.gradient",
                               f"the target must be a tensor, got {type(t).__name__}",
                               "pass the tensor computed inside the tape", user_site())
            out.append(t)
        return out

    def _check_sources(self, sources) -> None:
        for i, s in enumerate(sources):
            if not isinstance(s, (Tensor, Variable)):
                raise op_error(TypeError, "GradientTape.gradient",
                               f"source #{i} is a {type(s).__name__}, not a Tensor or Variable",
                               "pass the tensors/Variables to differentiate with respect to "
                               "(watch plain tensors with tape.watch(x))", user_site())

    def _output_gradients(self, targets, target_def, output_gradients) -> list:
        from tapejit.ops import full_like

        if output_gradients is None:
            return [full_like(t, 1) for t in targets]
        try:
            given = tree.flatten_up_to(target_def, output_gradients)
        except ValueError as e:
            raise op_error(ValueError, "GradientTape.gradient",
                           f"output_gradients do not match the targets' structure: {e}",
                           "give one cotangent per target, in the target's structure",
                           user_site()) from None
        from tapejit.operands import as_operand, cast

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
            tensors = [source] if id(source) in self._watched else []
        return [t for t in tensors if is_float(t.dtype)]

    def _gradients(self, targets, sources, cts) -> list:
        return self.prepare(targets, sources).run(cts)

    def prepare(self, targets, sources) -> PreparedGradient:
        """Derive the backward program once; `run(cts)` then applies it to cotangents."""
        self._check_snapshots()
        groups = [self._source_tensors(s) for s in sources]
        unique = list({id(t): t for g in groups for t in g}.values())
        if not unique:
            return PreparedGradient(self, groups, unique, None, [], [])
        if self._alone_and_eager(targets, unique):
            return EagerGradient(self._entries, groups, unique, targets)
        program, values, kept = self.forward_program(targets, unique)
        start = time.perf_counter()
        vjp = vjp_program(program, range(len(unique)))
        if STATE.backward_log is not None and STATE.traces:
            STATE.backward_log.append((vjp.program, time.perf_counter() - start))
        residuals = [values[id(v)] for v in vjp.residuals]
        return PreparedGradient(self, groups, unique, vjp, residuals, kept)

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

    def _alone_and_eager(self, targets, sources) -> bool:
        """Nothing else records the backward pass and every value is concrete."""
        from tapejit.trace import Tracer

        return (not STATE.traces and all(t is self for t in STATE.tapes)
                and not any(isinstance(x, Tracer) for x in (*targets, *sources)))

    def forward_program(self, targets, sources) -> tuple[Program, dict, list[int]]:
        """The recorded ops linking `sources` to `targets` as a Program.

        Returns the program (inputs: the sources, then other values it reads), a map from each
        var's id to its recorded value, and the indices of the targets it outputs (targets
        that do not depend on the sources are left out).
        """
        return _ProgramBuilder(self._entries).build(targets, sources)

    def _fill_unconnected(self, grads, sources, unconnected) -> list:
        if UnconnectedGradients(unconnected) is UnconnectedGradients.NONE:
            return grads
        from tapejit.ops import full_like

        with self.stop_recording():
            return [full_like(s, 0) if g is None else g for g, s in zip(grads, sources)]

    def _debug_none_hints(self, grads, sources, targets) -> None:
        from tapejit.config import debug_level

        if debug_level() < 1:
            return
        from tapejit.explain import explain_source

        for i, (g, s) in enumerate(zip(grads, sources)):
            if g is None:
                print(f"tapejit: gradient of source #{i} is None: "
                      f"{explain_source(self, s, targets).splitlines()[0]}")

    # --- jacobians -------------------------------------------------------------------------

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i] / d source[j] for every element: shape target.shape + source.shape."""
        from tapejit.jacobians import tape_jacobian

        self._check_usable("jacobian")
        result = tape_jacobian(self, target, sources, unconnected_gradients)
        self._release_if_done()
        return result

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: (batch, *target.shape[1:], *source.shape[1:])."""
        from tapejit.jacobians import tape_batch_jacobian

        self._check_usable("batch_jacobian")
        result = tape_batch_jacobian(self, target, source, unconnected_gradients)
        self._release_if_done()
        return result

    # --- inspection ------------------------------------------------------------------------

    def explain(self, source, target=None) -> str:
        """Why `source` has (or lacks) a gradient, naming the user's line where it disconnects."""
        from tapejit.explain import explain_source

        targets = None if target is None else self._targets(target)
        return explain_source(self, source, targets)

    def lower(self, target, sources):
        """The forward program recorded from `sources` to `target` and its backward program."""
        from tapejit.explain import TapeIR

        self._check_usable("lower")
        targets = self._targets(target)
        tensors = list({id(t): t for s in tree.leaves(sources)
                        for t in self._source_tensors(s)}.values())
        program, _, _ = self.forward_program(targets, tensors)
        return TapeIR(program, vjp_program(program, range(len(tensors))).program)

    def residuals(self):
        """The values this tape holds for the backward pass, with their bytes."""
        from tapejit.explain import ResidualReport

        return ResidualReport.of(self)


class PreparedGradient:
    """A backward program bound to a tape's recorded values, ready for cotangents."""

    def __init__(self, tape, groups, unique, vjp: VJP | None, residuals, kept) -> None:
        self.tape, self.groups, self.unique, self.vjp = tape, groups, unique, vjp
        self.residuals, self.kept = residuals, kept

    def run(self, cts) -> list:
        """Gradient per source group for the targets' cotangents `cts`."""
        if self.vjp is None:
            return [None] * len(self.groups)
        args = self.residuals + [cts[i] for i in self.kept] + list(self.vjp.const_values)
        with self.tape.stop_recording():
            results = iter(_as_tensor(r) for r in eval_program(self.vjp.program, args))
            by_tensor = {id(t): next(results) if ok else None
                         for t, ok in zip(self.unique, self.vjp.connected)}
            return [_sum([by_tensor[id(t)] for t in g]) for g in self.groups]


def relevant_entries(entries, targets, sources) -> tuple[list[_Recorded], set[int]]:
    """The entries on a path from a source to a target, in order, and the ids of every value
    reachable from the sources."""
    reach = {id(s) for s in sources}
    forward = []
    for e in entries:
        for k in e.ids:
            if k in reach:
                reach.add(e.out_id)
                forward.append(e)
                break
    needed = {id(t) for t in targets if id(t) in reach}
    kept = []
    for e in reversed(forward):
        if e.out_id in needed:
            kept.append(e)
            needed.update(k for k in e.ids if k in reach)
    kept.reverse()
    return kept, reach


def _raw(x):
    return x._value if isinstance(x, Tensor) else x


class EagerGradient:
    """The backward pass run op by op with cached single-op VJPs (see autodiff.eager)."""

    def __init__(self, entries, groups, unique, targets) -> None:
        from tapejit.autodiff.eager import op_vjp

        relevant, reach = relevant_entries(entries, targets, unique)
        self.groups, self.unique, self.targets = groups, unique, targets
        self.reach = reach
        self.sources = {id(t) for t in unique}
        self.plan = []
        for e in relevant:
            values = [a._value if type(a) is Tensor else _raw(a) for a in e.inputs]
            wrt = tuple(i for i, k in enumerate(e.ids)
                        if k in reach and values[i].dtype.kind == "f")
            output = e.output._value
            vjp = op_vjp(e.prim, e.params, values, output, wrt)
            self.plan.append((e.out_id, vjp, values, e.ids, output))

    def run(self, cts) -> list:
        env: dict[int, object] = {}
        for target, ct in zip(self.targets, cts):
            if id(target) in self.reach:
                _accumulate(env, id(target), _raw(ct))
        sources = self.sources
        for out_id, vjp, inputs, input_ids, output in reversed(self.plan):
            ct = env.get(out_id) if out_id in sources else env.pop(out_id, None)
            if ct is None:
                continue
            for position, in_ct in zip(vjp.wrt, vjp.run(inputs, output, ct)):
                key = input_ids[position]
                env[key] = in_ct if key not in env else env[key] + in_ct
        found = {id(t): env.get(id(t)) for t in self.unique}
        return [_sum([None if found[id(t)] is None else Tensor(found[id(t)]) for t in g])
                for g in self.groups]


def _accumulate(env: dict, key: int, value) -> None:
    env[key] = value if key not in env else env[key] + value


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _sum(terms):
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


class _ProgramBuilder:
    """Turns recorded entries into a Program over the values linking sources to targets."""

    def __init__(self, entries: list[_Recorded]) -> None:
        self.entries = entries
        self.var_of: dict[int, Var] = {}
        self.values: dict[int, object] = {}
        self.inputs: list[Var] = []

    def _input(self, value) -> Var:
        var = Var(type_of_value(value))
        self.var_of[id(value)] = var
        self.values[id(var)] = value
        self.inputs.append(var)
        return var

    def _atom(self, value):
        if id(value) in self.var_of:
            return self.var_of[id(value)]
        if isinstance(value, np.generic):
            return Lit(value)
        return self._input(value)

    def build(self, targets, sources) -> tuple[Program, dict, list[int]]:
        for s in sources:
            self._input(s)
        eqns = []
        for e in relevant_entries(self.entries, targets, sources)[0]:
            ins = tuple(self._atom(a) for a in e.inputs)
            out = Var(type_of_value(e.output))
            self.var_of[id(e.output)] = out
            self.values[id(out)] = e.output
            eqns.append(Eqn(e.prim, ins, (out,), e.params, e.site))
        kept = [i for i, t in enumerate(targets) if id(t) in self.var_of]
        outputs = tuple(self.var_of[id(targets[i])] for i in kept)
        return Program(tuple(self.inputs), tuple(eqns), outputs), self.values, kept
