"""tapejit's first tier held in place (never its kernel), to time it against the kernel."""

from __future__ import annotations

from collections.abc import Callable


def first_tier_step(fn: Callable) -> Callable:
    """`fn` run on tapejit's first tier at every call (lowered at the first one)."""
    from tapejit.compiled import first_tier_runner  # loads only where tapejit is measured

    runner: list[Callable] = []

    def step(*args):
        if not runner:
            runner.append(first_tier_runner(fn, args))
        return runner[0](*args)
    return step
