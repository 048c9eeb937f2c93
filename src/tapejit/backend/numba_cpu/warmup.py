"""The first time tapejit runs on a machine, the first tier's common kernels are compiled in a
process of its own (`python -m tapejit precompile --background`); a stamp in the first tier's
folder says it is done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tapejit.backend.numba_cpu.kernel_cache import first_tier_directory
from tapejit.config import config
from tapejit.version import __version__

_STARTED: list[bool] = []


PROGRAM_LIST = 3
"""Bumped when precompile's list or the kernels' text changes (2: threaded kernels; 3: casts
dropped where types agree, conv and pool parameters in the size table), so that a machine
warmed with an older list runs the new one once."""


def stamp_path() -> Path:
    return first_tier_directory() / f"precompiled-{__version__}-{PROGRAM_LIST}"


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
