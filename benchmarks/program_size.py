"""Compile time and memory against program size: `jit(grad)` of an n-op elementwise chain
(sin, scale, shift, tanh, exp in turn) over 1000 float64 values, Python loops left unrolled
(TAPEJIT_REROLL=0), each n in a fresh process with an empty kernel cache.

`sync`: the caller compiles every kernel itself (TAPEJIT_SYNC_COMPILE=1), so its peak RSS is
the compiling process's. `default`: the first tier answers and the compile worker builds the
kernels; the time is until they are ready, and both processes' peaks are shown.

    python -m benchmarks.program_size --ops 100,1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

PROBE = r"""
import json, sys, threading, time
import numpy as np
import tapejit as tj
from tapejit.backend.numba_cpu import compile_worker

STEPS = [tj.math.sin, lambda x: x * 1.01, lambda x: x + 0.1, tj.math.tanh,
         lambda x: tj.math.exp(x * 0.1)]
n = int(sys.argv[1])

def chain(x):
    for i in range(n):
        x = STEPS[i % len(STEPS)](x)
    return tj.reduce_sum(x)

def peak_mb(pid="self"):
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmHWM:")[1].split()[0]) // 1024

worker_peaks, done = {}, []
def watch():
    while not done:
        pid = compile_worker.worker_pid()
        if pid:
            try:
                worker_peaks[pid] = peak_mb(pid)
            except OSError:
                pass
        time.sleep(0.1)

threading.Thread(target=watch, daemon=True).start()
f = tj.jit(tj.grad(chain))
start = time.perf_counter()
f(np.ones(1000))
first = time.perf_counter() - start
f.wait()
ready = time.perf_counter() - start
done.append(True)
print(json.dumps({"first_call_s": first, "kernels_ready_s": ready, "caller_peak_mb": peak_mb(),
                  "worker_peak_mb": max(worker_peaks.values(), default=0)}))
"""


def measure(ops: int, mode: str) -> dict:
    """One fresh process compiling the n-op chain's gradient."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tier:
        env = {**os.environ, "TAPEJIT_CACHE_DIR": cache, "TAPEJIT_FIRST_TIER_DIR": tier,
               "TAPEJIT_REROLL": "0", "TAPEJIT_PRECOMPILE": "0",
               "TAPEJIT_SYNC_COMPILE": "1" if mode == "sync" else "0"}
        done = subprocess.run([sys.executable, "-c", PROBE, str(ops)], env=env, check=True,
                              capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", default="100,1000", help="chain lengths, comma-separated")
    parser.add_argument("--modes", default="sync,default", help="sync and/or default")
    args = parser.parse_args(argv)
    print("| ops | mode | first call | kernels ready | caller peak | worker peak |")
    print("|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        for ops in (int(n) for n in args.ops.split(",")):
            r = measure(ops, mode)
            worker = f"{r['worker_peak_mb']} MB" if r["worker_peak_mb"] else "–"
            print(f"| {ops} | {mode} | {r['first_call_s']:.1f} s | {r['kernels_ready_s']:.1f} s "
                  f"| {r['caller_peak_mb']} MB | {worker} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
