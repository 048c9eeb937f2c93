"""Kernels compile in a worker process (a pool of one), off the caller's thread and off its
GIL: the caller's first tier keeps answering at full speed meanwhile, and then loads the
compiled code from the shared disk cache. A worker that dies (killed, out of memory) loses
nothing: the request reports failure, the caller compiles the kernel itself, and the next
request starts a new worker. TAPEJIT_COMPILE_WORKERS=0 compiles in the caller's thread."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

from tapejit.backend.numba_cpu import compiled_code
from tapejit.backend.numba_cpu.compile_server import read_frame, write_frame
from tapejit.backend.numba_cpu.kernel_cache import CacheEntry
from tapejit.config import config
from tapejit.debug import debug

_MAX_DEATHS = 3  # a worker that keeps dying is given up on for this process
RETIRE_MB = 1024  # LLVM keeps what it compiled: a worker this big is replaced


class _Worker:
    """One child process and the lock that keeps its requests in turn."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ, TAPEJIT_WIDE_VECTORS=str(int(config.wide_vectors)),
                   PYTHONPATH=os.pathsep.join(
                       [package_root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tapejit.backend.numba_cpu.compile_server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def ask(self, request: tuple) -> dict | None:
        """The worker's answer, or None if it died."""
        try:
            write_frame(self.process.stdin, pickle.dumps(request))
            frame = read_frame(self.process.stdout)
        except (OSError, ValueError):
            frame = None
        return None if frame is None else json.loads(frame)

    def retire(self) -> None:
        """Let it end once it has finished what it is compiling (at the end of its input)."""
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def stop(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.worker: _Worker | None = None
        self.deaths = 0

    def start(self) -> bool:
        """Start the worker unless it runs (lock held); False once it has died too often."""
        if self.worker is None:
            if self.deaths >= _MAX_DEATHS:
                return False
            self.worker = _Worker()
        return True

    def compile(self, request: tuple) -> dict | None:
        with self.lock:
            if not self.start():
                return None
            answer = self.worker.ask(request)
            if answer is None:
                self.deaths += 1
                self.worker.stop()
                self.worker = None
            elif answer.get("rss_mb", 0) > RETIRE_MB:
                self.worker.retire()
                self.worker = None
            return answer

    def pid(self) -> int | None:
        worker = self.worker  # read without the lock, which a compile holds throughout
        return None if worker is None else worker.process.pid


_POOL = _Pool()


def start_compile_worker() -> None:
    """Start the worker now, so that it has loaded Numba by the time a kernel needs it (while
    the first tier answers the call that found the kernel missing). A compile holds the
    pool's lock until the worker answers: the worker runs then, and waiting for the lock
    would hold this call up until another kernel is compiled."""
    if config.compile_workers >= 1 and _POOL.lock.acquire(blocking=False):
        try:
            _POOL.start()
        finally:
            _POOL.lock.release()


def compile_in_worker(handle: CacheEntry, signature: tuple, later: tuple[str, ...] = ()
                      ) -> dict | None:
    """Have the worker compile `handle`'s kernel for `signature` into the disk cache, and
    the kernel texts `later` for the same signature when it is idle. The worker's answer
    ({"ok", "seconds", "error"}), or None when no worker could answer."""
    if config.compile_workers < 1 or handle.kernels is None:
        return None
    request = ("compile", handle.source, handle.key, str(handle.path), str(handle.kernels),
               signature, later)
    answer = _POOL.compile(request)
    debug(1, f"compile worker: {answer}")
    if answer is None:
        _sweep_after_death(handle)
    return answer


def _sweep_after_death(handle: CacheEntry) -> None:
    """A worker killed while writing Numba's files may leave some without their manifest:
    they are ours, not an intruder's, so they go without the cache's tampering warning."""
    with compiled_code.exclusive(handle.kernels, handle.key):
        if compiled_code.problem(handle.kernels, handle.numba_folder, handle.key):
            compiled_code.purge(handle.kernels, handle.numba_folder, handle.key)


def drain() -> bool:
    """Wait until the worker has compiled everything it was asked to compile later (tests
    and benchmarks); False when no worker answered."""
    if config.compile_workers < 1 or _POOL.worker is None:
        return False
    return _POOL.compile(("drain",)) is not None


def worker_pid() -> int | None:
    """The running worker's process id (tests kill it to check nothing is lost)."""
    return _POOL.pid()
