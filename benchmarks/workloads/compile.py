"""Compile: the first call of a workload in fresh processes with empty disk caches, again
in as many second fresh processes on those (now warm) caches, and the first call on a new batch size
in the same process (tapejit should reuse its compiled kernels there). The loop and hessian
cases (`--compile-cases loops`) take only the cold process, each under a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks import worker
from benchmarks.results import Row
from benchmarks.task import Task, median_row, wanted
from benchmarks.workloads import chain, loops, mlp

NAME = "compile"
TITLE = "first call: fresh process, empty then warm disk cache; a new batch size"
BASELINE = "jax"
LIBRARIES = ("tapejit", "tapejit-sync", "numpy", "jax", "torch", "tensorflow", "autograd")
PERSISTENT = {"tapejit": "TAPEJIT_CACHE_DIR", "tapejit-sync": "TAPEJIT_CACHE_DIR",
              "jax": "BENCH_JAX_CACHE_DIR"}
# tapejit: the default, the first tier answering while the kernel compiles in a thread (its
# row also reports when the kernel was ready); tapejit-sync: TAPEJIT_SYNC_COMPILE=1, the
# first call waits for the kernel. The first tier's shared kernels are precompiled first
# (`python -m tapejit precompile`, as a machine's first use of tapejit does), in the
# machine's first-tier folder (TAPEJIT_FIRST_TIER_DIR); --smoke skips that and compiles what
# the first tier lacks on demand.
DEFAULT_CASES = ("mlp", "adam", "chain", "dispatch")
LOOP_CASES = loops.PROGRAMS
CASES = DEFAULT_CASES + LOOP_CASES
GROUPS = {"loops": LOOP_CASES, "all": CASES}
SMOKE_CASES = ("mlp",)
NEW_BATCH = {"mlp": 128}
CASE_LIBRARIES = {"adam": mlp.ADAM_LIBRARIES}
"""Cases that only some libraries run (the others lack the program)."""
LOOP_TIMEOUT_S = 300.0


def target(case: str, options) -> dict:
    """The workload parameters compiled in this case."""
    return {"mlp": {"batch": options.batch}, "adam": {"batch": options.batch, "adam": True},
            "chain": {"n": 2_000_000 if not options.smoke else 10_000, "dtype": "float32"},
            "dispatch": {"dtype": "float32"}}[case]


def case_name(case: str, options) -> str:
    params = target(case, options)
    if case == "chain":
        return f"chain n={chain.size_label(params['n'])} float32"
    if case == "adam":
        return f"mlp+adam batch={params['batch']}"
    return f"mlp batch={params['batch']}" if case == "mlp" else "dispatch scalar"


def expand(cases: list[str]) -> list[str]:
    """Case names with the groups ('loops', 'all') replaced by their members, in order."""
    return list(dict.fromkeys(c for case in cases for c in GROUPS.get(case, (case,))))


def variants(case: str, options) -> list[tuple[str, str, dict]]:
    """(row name, workload module, params) of each program compiled for a case: one for the
    workload cases, one per size for the loop and hessian cases."""
    if case not in LOOP_CASES:
        workload = mlp.NAME if case == "adam" else case
        return [(case_name(case, options), workload, target(case, options))]
    sizes = options.hessian_sizes if case == "hessian" else options.loop_steps
    return [(loops.case_name(params), loops.NAME, params)
            for params in ({"program": case, "size": size} for size in sizes)]


def tasks(options) -> list[Task]:
    runs = [Task(f"compile {name} · {library} (fresh processes)",
                 _weight(workload, params, library),
                 lambda log, v=(name, workload, params), library=library:
                 run_case(*v, library, options))
            for case in options.compile_cases
            for name, workload, params in variants(case, options)
            for library in LIBRARIES
            if wanted(library, options) and _runs(case, workload, library)]
    if options.smoke or not any(t.label.endswith("· tapejit (fresh processes)") for t in runs):
        return runs
    return [Task("compile · precompile the first tier (python -m tapejit precompile)", 6.0,
                 lambda log: _precompile(options))] + runs


def _precompile(options) -> list[Row]:
    """The first tier's kernels compiled (or found) in the machine's folder; no rows."""
    env = {**os.environ, **_common_env(options)}
    subprocess.run([sys.executable, "-m", "tapejit", "precompile"], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return []


def _common_env(options) -> dict[str, str]:
    """Every tapejit process: no background precompile (the first task did it, or --smoke
    skips it and the first tier compiles what it lacks)."""
    return {"TAPEJIT_PRECOMPILE": "0"}


def _weight(workload: str, params: dict, library: str) -> float:
    if workload == loops.NAME:
        return 1.0 + params["size"] / 20
    return 8.0 if library == "tensorflow" else 4.0


def _runs(case: str, workload: str, library: str) -> bool:
    """Whether `library` has the case's program (tapejit-sync: tapejit's)."""
    from benchmarks.workloads import module

    if workload == loops.NAME:
        return library in loops.LIBRARIES
    return library.split("-")[0] in CASE_LIBRARIES.get(case, module(workload).LIBRARIES)


def run_case(name: str, workload: str, params: dict, library: str, options) -> list[Row]:
    """Fresh processes with empty caches, then as many warm ones, each on a cache its cold
    process filled, when the library keeps a disk cache; the median of each (the loop and
    hessian programs: one cold process, killed after `options.compile_timeout` s)."""
    envs = [{**_common_env(options), **_cache_env(name, library, options.scratch, run)}
            for run in range(options.compile_repeats)]
    job = {"kind": "first_result", "workload": workload, "library": library,
           "params": params, "new_batch": NEW_BATCH.get(workload)}
    if workload == loops.NAME:
        return [_process_row(name, library, "cold_process", job, envs[0],
                             options.compile_timeout)]
    cold = _median_row([_process_row(name, library, "cold_process", job, env) for env in envs],
                       "cold")
    rows = [cold] + _new_batch_rows(name, library, cold)
    if library in PERSISTENT:
        warm_job = {**job, "new_batch": None}
        rows.append(_median_row([_process_row(name, library, "warm_process", warm_job, env)
                                 for env in envs], "warm"))
    return rows


def _median_row(rows: list[Row], kind: str) -> Row:
    """The median first call among fresh processes."""
    times = ", ".join(f"{r.value * 1e3:.0f}" if r.ok else "failed" for r in rows)
    return median_row(rows, f"{kind} processes", f"{times} ms")


def _cache_env(name: str, library: str, scratch: Path, run: int = 0) -> dict[str, str]:
    case = name.replace(" ", "_")
    folder = scratch / "compile" / case / library / f"run{run}"
    folder.mkdir(parents=True, exist_ok=True)
    env = {"TAPEJIT_CACHE_DIR": str(scratch / "compile" / case / "tapejit-unused")}
    if library in PERSISTENT:
        env[PERSISTENT[library]] = str(folder)
    if library == "tapejit-sync":
        env["TAPEJIT_SYNC_COMPILE"] = "1"
    return env


def _process_row(name: str, library: str, metric: str, job: dict, env: dict,
                 timeout: float | None = None) -> Row:
    row = Row(NAME, name, library, metric)
    try:
        out = worker.launch(job, env, **({"timeout": timeout} if timeout else {}))
    except worker.Timeout:
        row.status = f"timeout: > {timeout:g} s"
        return row
    except Exception as e:
        row.status = f"error: {e}"
        return row
    row.value, row.extra = out["first_call_s"], out
    row.note = _note(out.get("phases"), out.get("phases_cache_info"))
    return row


def _new_batch_rows(name: str, library: str, cold: Row) -> list[Row]:
    if not cold.ok or "new_batch_first_s" not in cold.extra:
        return []
    extra = {k: v for k, v in cold.extra.items() if k.startswith("new_batch")}
    return [Row(NAME, name, library, "new_batch", extra["new_batch_first_s"], extra=extra,
                note=_note(extra.get("new_batch_phases"),
                           extra.get("new_batch_phases_cache_info")))]


def _note(phases: dict | None, info: dict | None = None) -> str:
    if not phases:
        return ""
    source = "kernel from disk" if phases.get("kernel_from_disk") else "not from disk"
    text = f"Numba first call {phases.get('first_call_s', 0) * 1e3:.0f} ms ({source})"
    return text + (f", {info['misses']} traces" if info else "")
