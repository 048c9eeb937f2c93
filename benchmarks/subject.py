"""What a workload hands the runner: one library's ready-to-call unit of work, plus the
helpers to compare its result with the NumPy reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Case:
    """One configuration of a workload; `params` is JSON so a subprocess can rebuild it."""

    name: str
    params: dict = field(default_factory=dict)


@dataclass
class Subject:
    """One library doing one case's work.

    run: a no-argument call doing the whole unit of work, returning a finished result.
    jitted, args: for tapejit's jit, the JitFunction and its arguments (phases and kernel).
    rebatch: a builder of the same function on a new batch size (compile workload).
    note: how the library was asked to do the work, when that is not obvious.
    companions: variants timed in the same process, interleaved with this one, each its
        own row (library name -> Subject): for a ratio of two ways to run the same code,
        which separate processes would bury under their own differences.
    """

    run: Callable[[], object]
    jitted: object = None
    args: tuple = ()
    rebatch: Callable[[int], Subject] | None = None
    note: str = ""
    checked: bool = True
    companions: dict[str, Subject] = field(default_factory=dict)


def leaves(value) -> list[np.ndarray]:
    """A result of any library as a flat list of float64 arrays (tuples and lists in order,
    dicts by key)."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, np.generic)):
        value = value.numpy()
    return [np.asarray(value, dtype=np.float64)]


def relative_error(result, expected) -> float:
    """Largest leafwise max|result − expected| / max|expected|; inf if the structures differ."""
    got, want = leaves(result), leaves(expected)
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
        return float("inf")
    errors = [float(np.max(np.abs(g - w), initial=0.0)) / max(float(np.max(np.abs(w),
              initial=0.0)), 1e-30) for g, w in zip(got, want)]
    return max(errors, default=0.0)


def tolerance(dtype: str) -> float:
    return 1e-3 if dtype == "float32" else 1e-7
