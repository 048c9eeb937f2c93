"""Per-thread state: the stack of active traces and of recording tapes, and the RNG."""

from __future__ import annotations

import threading


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.traces: list = []
        self.tapes: list = []
        self.rng = None


STATE = _ThreadState()
