"""The first time tapejit runs on a machine, the first tier's common kernels are compiled in a
process of its own (`python -m tapejit precompile --background`); a stamp in the first tier's
folder says it is done."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tapejit.backend.numba_cpu.kernel_cache import fingerprint, first_tier_directory
from tapejit.config import config
from tapejit.version import __version__

_STARTED: list[bool] = []


PROGRAM_LIST = 6
"""Bumped when precompile's list or the text codegen writes changes (2: threaded kernels; 3:
casts dropped where types agree, conv and pool parameters in the size table; 4: TF's
log_softmax; 5: matrix products on NumPy's BLAS; 6: solves and factorizations), so that a
machine warmed with an older list runs the new one once. What the fingerprint covers needs
no bump (stamp_path)."""


def stamp_path() -> Path:
    """Named by the version, the program list and the kernels' fingerprint (Numba, the CPU,
    vmath's sources: kernel_cache.fingerprint), so that any change that makes every first-tier
    kernel new also makes the precompile run again."""
    digest = hashlib.sha256(fingerprint().encode()).hexdigest()[:12]
    return first_tier_directory() / f"precompiled-{__version__}-{PROGRAM_LIST}-{digest}"


def start_in_background() -> None:
    """Once per process, unless TAPEJIT_PRECOMPILE=0 or the stamp is there: start the
    precompile at low priority, detached (it outlives this process if it must)."""
    if _STARTED or not config.precompile or stamp_path().exists():
        return
    _STARTED.append(True)
    try:
        subprocess.Popen([sys.executable, "-m", "tapejit", "precompile", "--background"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        pass


def yield_to_foreground() -> None:
    """Lower this process to the lowest priority: nice 10 and the idle scheduling class for
    its threads, and, when it leads a session of its own (as the precompile started above
    does), nice 19 for that session's scheduling group. Linux shares the CPU between
    sessions first ("autogroups") and applies a process's nice only within its session, so
    without the last step a detached precompile takes a whole core from the program that
    started it, whose compile worker is then left half of the other."""
    os.nice(10)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass
    if os.getsid(0) == os.getpid():
        try:
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write("19")
        except OSError:
            pass
