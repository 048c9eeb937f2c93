"""How many threads a parallel kernel should use, from how busy other processes keep the CPUs
this process may run on.

Linux counts each CPU's busy time (/proc/stat); this process's own CPU time, all its threads,
is `time.process_time()`. Their difference over a window is the cores other processes used.
Measured here with one process spinning on one of two cores: 0.77-1.0 cores while tapejit ran
on one or both of them, and 0.0-0.05 on an idle machine. A parallel loop that shares a core
with a busy process waits at its end for the thread there, so a kernel runs on the cores the
others leave free; on this machine that is the serial kernel whenever another core is busy,
with no trial calls to find it out (ThreadChoice's trials cost a few tenths of a percent).

The reading is a cache of the machine's state, shared by every kernel of the process and
refreshed at most every WINDOW seconds (a read of /proc/stat takes about 15 us).
"""

from __future__ import annotations

import functools
import os
import time

STAT = "/proc/stat"
WINDOW = 0.25
"""Seconds between two readings: long enough that /proc/stat's 10 ms ticks move the estimate
by under 0.1 core on two CPUs, short enough that a machine getting busy or idle is noticed
within a few of a training loop's steps."""
SLACK = 0.3
"""Cores of other load tolerated before a kernel gives up a thread. While tapejit runs on all
cores, a spinning process got only about half a core, so the threshold sits below that;
an idle machine's daemons read 0.0-0.05."""
_BUSY_FIELDS = (0, 2, 5, 6, 7)  # user, system, irq, softirq, steal; not nice, not idle, iowait
_NICE = 1


class OtherLoad:
    """Cores that other processes keep busy among `cpus` (this process's affinity), from the
    counters' change since the previous reading."""

    __slots__ = ("cpus", "tick", "count_nice", "last", "cores")

    def __init__(self, cpus: set[int], tick: float, count_nice: bool) -> None:
        self.cpus = {f"cpu{c}".encode() for c in cpus}
        self.tick = tick
        self.count_nice = count_nice  # niced processes yield to us unless we are niced too
        self.last = self._reading()
        self.cores = 0.0

    @classmethod
    def open(cls) -> OtherLoad | None:
        """The machine's load, or None where Linux's counters cannot be read."""
        try:
            load = cls(os.sched_getaffinity(0), 1 / os.sysconf("SC_CLK_TCK"), os.nice(0) > 0)
        except (OSError, AttributeError, ValueError):
            return None
        return load if load.last is not None else None

    def _reading(self) -> tuple[float, float, float] | None:
        """(wall-clock, the CPUs' busy seconds, this process's CPU seconds), None if the
        counters are unreadable or list none of our CPUs."""
        try:
            with open(STAT, "rb") as stat:
                text = stat.read()
        except OSError:
            return None
        fields = _BUSY_FIELDS + ((_NICE,) if self.count_nice else ())
        busy, seen = 0, 0
        for line in text.split(b"\n"):
            name, _, rest = line.partition(b" ")
            if name in self.cpus:
                values = rest.split()
                busy += sum(int(values[i]) for i in fields if i < len(values))
                seen += 1
        if not seen:
            return None
        return time.perf_counter(), busy * self.tick, time.process_time()

    def busy_cores(self, now: float) -> float:
        """Other processes' cores over the last window, read again once WINDOW has passed."""
        last = self.last
        if now - last[0] < WINDOW:
            return self.cores
        reading = self._reading()
        if reading is not None and reading[0] > last[0]:
            wall = reading[0] - last[0]
            self.cores = max(0.0, (reading[1] - last[1] - (reading[2] - last[2])) / wall)
            self.last = reading
        return self.cores

    def threads(self, most: int, now: float) -> int:
        """Threads for a parallel call that may use up to `most`: one per core the other
        processes leave free (all of them while their load is under SLACK), at least one."""
        others = self.busy_cores(now)
        if others < SLACK:
            return most
        taken = int(others - SLACK) + 1
        return max(1, min(most, len(self.cpus) - taken))


@functools.cache
def machine_load() -> OtherLoad | None:
    """The process's one OtherLoad (None off Linux), opened at the first parallel kernel."""
    return OtherLoad.open()
