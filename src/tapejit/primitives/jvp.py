"""JVP helpers: a rule per input (`defjvp`) and the rule of ops without a derivative."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.primitives.broadcast import broadcast_to


def zero_jvp(primals, tangents, out, **params):
    """The JVP of an op whose output does not change with its inputs (comparisons, sign)."""
    return None


def defjvp(*rules: Callable | None) -> Callable:
    """A JVP from one rule per input: rule(t, *primals, out, **params) -> that input's term.

    Terms of absent (zero) tangents are skipped; each term is broadcast to the output's
    shape and the terms are summed.
    """
    def jvp(primals, tangents, out, **params):
        total = None
        for rule, t in zip(rules, tangents):
            if t is None or rule is None:
                continue
            term = broadcast_to(rule(t, *primals, out, **params), out.shape)
            total = term if total is None else total + term
        return total

    return jvp
