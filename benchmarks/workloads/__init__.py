"""The workload families: timed in this process (dispatch, chain, mlp, tape, conv, busy) and run in
fresh processes (compile, memory)."""

from __future__ import annotations

import importlib
from types import ModuleType

TIMED = ("dispatch", "chain", "mlp", "tape", "conv", "busy")
PROCESS = ("compile", "memory")
ALL = TIMED + PROCESS
SMOKE = tuple(name for name in ALL if name != "conv")  # conv compiles for ~10 s


def module(name: str) -> ModuleType:
    if name not in ALL:
        raise ValueError(f"unknown workload {name!r}; choose from {', '.join(ALL)}")
    return importlib.import_module(f"benchmarks.workloads.{name}")
