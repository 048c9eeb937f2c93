"""What the numbers were measured on: CPU, cores, memory, library versions, commit, date."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

from benchmarks import peers

CORE_LIBRARIES = ("tapejit", "numpy", "numba", "llvmlite", "scipy")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{'+dirty src' if dirty else ''}" if head else None


def info(measured_peers: list[str]) -> dict:
    """Machine and software facts for the results file."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(), "cores": os.cpu_count(), "usable_cores": usable,
        "memory_bytes": memory_bytes(), "platform": platform.platform(),
        "python": sys.version.split()[0], "commit": git_commit(),
        "versions": peers.versions(CORE_LIBRARIES + tuple(measured_peers)),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "threads_env": {k: v for k, v in os.environ.items()
                        if k.endswith("_NUM_THREADS") or k.startswith("NUMBA_")},
    }
