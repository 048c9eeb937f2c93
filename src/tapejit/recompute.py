"""The gradient of a non-persistent tape that freed values its backward pass reads
(autodiff.pruning): the recorded forward program and its backward program run as one
jit-compiled function of the values the tape still holds. The freed values are never whole
again: the fused kernel computes each element's forward values where the backward reads
them, so the gradient needs little more memory than its result.

Its bits are the kernel's, as `tj.jit` of the same computation gives, not those of the
op-by-op NumPy pass that a persistent tape (or a tape that freed nothing the backward reads)
runs. The compiled function is remembered under the tape's chain signature, so a training
loop that records the same chain every step compiles it once.
"""

from __future__ import annotations

from tapejit.autodiff.backward import EagerGradient, by_group
from tapejit.autodiff.pruning import Pruner
from tapejit.autodiff.record import recomputing_program
from tapejit.autodiff.vjp import vjp_program
from tapejit.debug import debug
from tapejit.ir import Program, walk
from tapejit.jit import JitFunction, jit
from tapejit.lru import LRU
from tapejit.trace import bind_eqn, eval_program

CACHE_SIZE = 64
"""Fused gradient functions remembered (one per recorded chain and set of freed values)."""

_FUNCTIONS = LRU(lambda: CACHE_SIZE)  # (chain signature, entry positions) -> _Fused


class _Fused:
    """One recorded program's forward-and-backward function and which sources it reaches."""

    def __init__(self, program: Program, n_sources: int) -> None:
        vjp = vjp_program(program, range(n_sources))
        n_inputs = len(program.inputs)

        def forward_and_backward(*args):
            env: dict = {}
            walk(program, list(args[:n_inputs]), bind_eqn, env)
            residuals = [env[id(v)] for v in vjp.residuals]
            return tuple(eval_program(vjp.program,
                                      [*residuals, *args[n_inputs:], *vjp.const_values]))

        self.function: JitFunction | None = jit(forward_and_backward) if any(
            vjp.connected) else None
        self.connected = vjp.connected


def _fused(program: Program, n_sources: int, key) -> _Fused:
    try:
        found = _FUNCTIONS.get(key) if key is not None else None
    except TypeError:  # params that cannot be hashed
        key = found = None
    if found is None:
        found = _Fused(program, n_sources)
        if key is not None:
            _FUNCTIONS.set(key, found)
    return found


class RecomputedGradient:
    """A prepared gradient (as autodiff.backward's) that recomputes what the tape freed.
    It holds the tape's entries until it ran: should the fused function fail (a primitive
    jit cannot stage, say), the freed values are computed again whole and the op-by-op pass
    runs instead."""

    def __init__(self, entries, targets, groups, unique, pruner: Pruner,
                 signature: tuple | None) -> None:
        self.entries, self.targets, self.pruner = entries, targets, pruner
        self.groups, self.unique, self.signature = groups, unique, signature

    def run(self, cts) -> list:
        """Gradients per source group for the targets' cotangents `cts`; the tape's values
        are let go."""
        try:
            return self._run_fused(cts)
        except Exception as e:  # noqa: BLE001 (the op-by-op pass answers, or says why not)
            debug(1, f"the fused gradient failed ({type(e).__name__}: {e}); the freed values "
                     f"are computed again and the gradient runs op by op")
            self.pruner.restore(self.entries)
            return EagerGradient(self.entries, self.groups, self.unique, self.targets,
                                 release=True).run(cts)
        finally:
            for e in self.entries:
                e.inputs = e.outputs = None

    def _run_fused(self, cts) -> list:
        program, inputs, kept, positions = recomputing_program(
            self.entries, self.targets, self.unique, self.pruner.pruned)
        key = None if self.signature is None else (self.signature, positions)
        fused = _fused(program, len(self.unique), key)
        found = iter(() if fused.function is None else
                     fused.function(*inputs, *[cts[i] for i in kept]))
        del inputs
        raw = [next(found)._value if ok else None for ok in fused.connected]
        return by_group(raw, self.unique, self.groups)
