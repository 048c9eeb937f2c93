"""Jobs run in a process of their own: one library's timed cases (so no other library's
threads share the process), time to first result (cold or warm disk cache), and peak memory
growth. `python -m benchmarks.worker JOB_JSON` writes the job's JSON result to the job's
`result_path` and reports progress on stderr."""

from __future__ import annotations

import collections
import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

from benchmarks import peers
from benchmarks.formatting import summary
from benchmarks.measure import Budget, first_call, peak_growth, pin_malloc
from benchmarks.subject import Case

PROGRESS = "BENCH-PROGRESS "
ROOT = Path(__file__).resolve().parent.parent


def workload_module(name: str):
    return importlib.import_module(f"benchmarks.workloads.{name}")


def _import_library(library: str) -> float:
    start = time.perf_counter()
    base = library.split("-")[0]
    import numpy  # noqa: F401

    if base == "tapejit":
        import tapejit  # noqa: F401  (imported here, timed, only in its own worker)
    elif base in peers.PEERS:
        peers.load(base)
    return time.perf_counter() - start


def first_result(job: dict) -> dict:
    """Import, set up and call once; then, if asked, call on a new batch size."""
    import_s = _import_library(job["library"])
    module = workload_module(job["workload"])
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subject = module.build(job["library"].split("-")[0], job["params"])
        setup_s = time.perf_counter() - start
        first_s, _ = first_call(subject.run)
        out = {"import_s": import_s, "setup_s": setup_s, "first_call_s": first_s,
               "first_result_s": import_s + setup_s + first_s}
        if job["library"] == "tapejit" and subject.jitted is not None:
            subject.jitted.wait()  # the kernel, compiled in the background, is ready now
            out["kernel_ready_s"] = time.perf_counter() - start - setup_s
        out.update(_phases(subject, "phases"))
        if job.get("new_batch") and subject.rebatch is not None:
            out.update(_new_batch(subject.rebatch(job["new_batch"])))
    out["warnings"] = sorted({f"{w.category.__name__}: {w.message}"[:300] for w in caught})
    return out


def _new_batch(subject) -> dict:
    seconds, _ = first_call(subject.run)
    return {"new_batch_first_s": seconds, **_phases(subject, "new_batch_phases")}


def _phases(subject, key: str) -> dict:
    if subject.jitted is None:
        return {}
    info = subject.jitted.cache_info()
    return {key: subject.jitted.compile_stats(*subject.args),
            f"{key}_cache_info": {"hits": info.hits, "misses": info.misses, "size": info.size}}


def memory(job: dict) -> dict:
    """Peak RSS growth of a first call (compiling included) and of the next call."""
    pinned = pin_malloc()
    _import_library(job["library"])
    module = workload_module(job["workload"])
    subject = module.build(job["library"], job["params"])
    first = peak_growth(subject.run)
    if subject.jitted is not None:
        subject.jitted.wait()  # the next call runs the kernel, not the first tier
    gc.collect()
    out = {**peak_growth(subject.run), "first_call_growth_bytes": first["growth_bytes"],
           "malloc_pinned": pinned, "input_bytes": module.input_bytes(job["params"])}
    out["multiple"] = out["growth_bytes"] / out["input_bytes"]
    return out


def timed(job: dict) -> dict:
    """Every case of one timed workload for one library; a progress line per case."""
    from benchmarks.runner import measure_case

    module = workload_module(job["workload"])
    budget = Budget(**job["budget"])
    rows = []
    for case in (Case(**c) for c in job["cases"]):
        new = measure_case(module, case, [job["library"]], budget)
        print(f"{PROGRESS}{job['workload']} {case.name} · {summary(new)}", file=sys.stderr,
              flush=True)
        rows += new
    return {"rows": [r.as_dict() for r in rows]}


JOBS = {"first_result": first_result, "memory": memory, "timed": timed}


class Timeout(RuntimeError):
    """The job's process ran past its timeout and was killed."""


def launch(job: dict, env: dict[str, str] | None = None, timeout: float = 1800,
           log: Callable[[str], None] | None = None) -> dict:
    """Run a job in a fresh Python process, passing its progress lines to `log`; raises
    Timeout when it was killed after `timeout` seconds, and RuntimeError with the end of its
    stderr when it produced no result otherwise."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), environment.get("PYTHONPATH", "")) if p)
    environment[RUN_VARIABLE] = RUN_ID
    wait_for_compile_workers(log)
    with tempfile.TemporaryDirectory(prefix="bench-job-") as folder:
        result = Path(folder) / "result.json"
        command = [sys.executable, "-m", "benchmarks.worker",
                   json.dumps({**job, "result_path": str(result)})]
        with subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) as process:
            tail, killed = _follow(process, timeout, log)
        if result.exists():
            return json.loads(result.read_text())
    if killed:
        raise Timeout(f"worker killed after {timeout:g} s")
    last = next((line for line in reversed(tail) if line.strip()), "no output")
    raise RuntimeError(f"worker exited with {process.returncode}: {last[:300]}")


COMPILE_SERVER = b"tapejit.backend.numba_cpu.compile_server"
QUIET_WAIT_S = 120.0
RUN_VARIABLE = "TAPEJIT_BENCH_RUN"
RUN_ID = uuid.uuid4().hex
"""Set in every job's environment, which the job's compile worker inherits: a worker left
running by this run is told apart from other processes' (a test suite's, another run's)."""


def compile_workers(run_id: str = RUN_ID) -> list[int]:
    """Pids of tapejit compile workers started by this run's jobs (Linux /proc; none
    elsewhere)."""
    marker = f"{RUN_VARIABLE}={run_id}".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (COMPILE_SERVER in (entry / "cmdline").read_bytes()
                    and marker in (entry / "environ").read_bytes().split(b"\0")):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def wait_for_compile_workers(log: Callable[[str], None] | None = None,
                             limit: float = QUIET_WAIT_S, run_id: str = RUN_ID) -> None:
    """Wait (at most `limit` seconds) until no compile worker of this run's jobs runs. A
    process that measured tapejit leaves its worker compiling other batch sizes' kernels
    after it ends; on 2 cores that takes a core from the next measurement."""
    deadline = time.monotonic() + limit
    announced = False
    while compile_workers(run_id) and time.monotonic() < deadline:
        if log and not announced:
            log("      waiting for a previous run's tapejit compile worker to finish")
            announced = True
        time.sleep(0.2)


def _follow(process: subprocess.Popen, timeout: float, log) -> tuple[list[str], bool]:
    """Forward progress lines until the process ends (killed after `timeout` seconds); the
    end of its stderr and whether it was killed."""
    killed = threading.Event()

    def kill():
        killed.set()
        process.kill()
    timer = threading.Timer(timeout, kill)
    timer.start()
    tail: collections.deque[str] = collections.deque(maxlen=30)
    try:
        for line in process.stderr:
            if line.startswith(PROGRESS):
                if log:
                    log(line[len(PROGRESS):].rstrip())
            else:
                tail.append(line.rstrip())
        process.wait()
    finally:
        timer.cancel()
    return list(tail), killed.is_set()


def main(argv: list[str]) -> int:
    job = json.loads(argv[0])
    out = JOBS[job["kind"]](job)
    path = Path(job["result_path"])
    path.with_suffix(".tmp").write_text(json.dumps(out, default=str))
    path.with_suffix(".tmp").replace(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
