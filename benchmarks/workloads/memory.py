"""Memory: how far the peak RSS rises during one chain gradient, in bytes and as a multiple
of the input's bytes: the first call (compiling included) and the next one (the steady state,
the row's value); each library in a fresh process."""

from __future__ import annotations

from benchmarks import worker
from benchmarks.results import Row
from benchmarks.task import Task, wanted
from benchmarks.workloads import chain

NAME = "memory"
TITLE = "peak RSS growth during the chain gradient (multiple of the input's bytes)"
BASELINE = "numpy"
LIBRARIES = chain.MEMORY_LIBRARIES
NOTES = {"tapejit": "tj.jit(tj.grad)", "tapejit-tape": "eager GradientTape",
         "tapejit-tape-persistent": "eager GradientTape(persistent=True)",
         "numpy": "gradient written by hand", "jax": "jax.jit(jax.grad)",
         "torch": "eager autograd.grad",
         "tensorflow": "tf.function(jit_compile=True); TF keeps its buffers between calls",
         "autograd": ""}

SETTINGS = {library: {"TAPEJIT_SYNC_COMPILE": "1"}
            for library in ("tapejit-tape", "tapejit-tape-persistent")}
"""The eager tape's gradient may run a fused kernel (tapejit.recompute): its first call
compiles it, so that the next call, the row's value, runs it (a jit row waits for its
kernel the same way)."""


def tasks(options) -> list[Task]:
    params = {"n": options.memory_n, "dtype": "float64"}
    name = f"chain n={chain.size_label(params['n'])} float64"
    return [Task(f"memory {name} · {library}", 5.0 if options.isolate else 1.0,
                 lambda log, library=library: [measure(name, library, params, options)])
            for library in LIBRARIES if wanted(library, options)]


def measure(name: str, library: str, params: dict, options) -> Row:
    """One library's growth, in a fresh process unless the run is a smoke run."""
    row = Row(NAME, name, library, "peak_growth", unit="B", note=NOTES.get(library, ""))
    job = {"kind": "memory", "workload": "chain", "library": library, "params": params}
    try:
        out = worker.launch(job, env=SETTINGS.get(library)) if options.isolate else \
            worker.memory(job)
    except Exception as e:
        row.status = f"error: {type(e).__name__}: {e}"
        return row
    row.value, row.extra = float(out["growth_bytes"]), out
    if not options.isolate:
        row.note = (row.note + "; in-process").lstrip("; ")
    return row
