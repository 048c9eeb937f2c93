"""Per-thread state: the stack of active traces and of recording tapes, and the random
generators (NumPy's for initial weights, tj.random's keys)."""

from __future__ import annotations

import threading


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.traces: list = []
        self.tapes: list = []
        self.rng = None
        self.generator = None


STATE = _ThreadState()
