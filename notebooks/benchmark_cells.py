"""The cells of 05_benchmarks.ipynb (built by make_notebooks.py): the latest benchmark run,
tapejit beside its peers."""

BENCHMARKS = [
    ("md", """# 05 · Benchmarks: tapejit beside its peers

`python -m benchmarks` times tapejit, JAX, PyTorch, TensorFlow, autograd and hand-written NumPy
on the same workloads, each library in a fresh process, and writes every number to
`results.json` and the tables to `results.md`. This notebook reads the latest published run:
`benchmarks/latest_results.json` when it is there, otherwise the tables of
`benchmarks/latest_results.md`, and plots the median times."""),
    ("code", """import sys
from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

ROOT = Path.cwd().parent
sys.path.insert(0, str(ROOT))
from benchmarks.latest import load_latest  # noqa: E402

rows, source = load_latest(ROOT / "benchmarks")
print(f"{len(rows)} timings from {source.relative_to(ROOT)}")
print((ROOT / "benchmarks" / "latest_results.md").read_text().splitlines()[2])
times = defaultdict(dict)            # (workload, case) -> library -> seconds
for row in rows:
    times[row["workload"], row["case"]][row["library"]] = row["seconds"]
COLORS = {"tapejit": "C3", "numpy": "C7", "jax": "C0", "torch": "C1", "tensorflow": "C2",
          "autograd": "C4", "numba": "C5", "copy": "C8"}"""),
    ("md", """## One call, small and medium programs
- **dispatch**: `jit(grad(x**2))` on a Python float: the fixed cost of a jitted call;
- **mlp**: value and gradient of a 784-512-10 MLP on a batch of 256;
- **tape**: 100 scalar operations on a Variable, then the gradient, eagerly.

Bars are median times (log scale), tapejit in red."""),
    ("code", """cases = [(w, c) for w, c in times if w in ("dispatch", "mlp", "tape")]
fig, axes = plt.subplots(1, len(cases), figsize=(4 * len(cases), 3))
for axis, key in zip(np.atleast_1d(axes), cases):
    libraries = sorted(times[key], key=times[key].get)
    seconds = [times[key][lib] for lib in libraries]
    axis.barh(libraries, seconds, color=[COLORS.get(lib, "C9") for lib in libraries])
    axis.set_xscale("log")
    axis.set_title(f"{key[0]}: {key[1]}")
    axis.set_xlabel("seconds (median)")
    axis.invert_yaxis()
fig.tight_layout()"""),
    ("md", """## A long elementwise chain as the size grows
The gradient of `sum(softplus(sin(x)*x + exp(-x*x)))`: tapejit fuses the forward and backward
passes into one loop, so past the dispatch cost it runs near memory bandwidth (`copy`)."""),
    ("code", """chain = defaultdict(dict)            # dtype -> library -> [(n, seconds)]
for (workload, case), by_library in times.items():
    if workload == "chain":
        size, dtype = case.split()
        for library, seconds in by_library.items():
            chain[dtype].setdefault(library, []).append((float(size[2:]), seconds))
fig, axes = plt.subplots(1, len(chain), figsize=(6 * len(chain), 4), squeeze=False)
for axis, (dtype, by_library) in zip(axes[0], sorted(chain.items())):
    for library, points in sorted(by_library.items()):
        n, seconds = zip(*sorted(points))
        axis.loglog(n, seconds, "o-", label=library, color=COLORS.get(library, "C9"),
                    linewidth=3 if library == "tapejit" else 1)
    axis.set(title=f"chain gradient, {dtype}", xlabel="elements", ylabel="seconds (median)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
fig.tight_layout()"""),
    ("md", """## tapejit's time as a multiple of each peer's
Below 1: tapejit is faster. One row per case, one column per peer that ran it."""),
    ("code", """peers = ["numpy", "jax", "torch", "tensorflow", "autograd"]
print(f"{'case':<28}" + "".join(f"{p:>11}" for p in peers))
for (workload, case), by_library in times.items():
    if "tapejit" in by_library:
        ratios = [by_library["tapejit"] / by_library[p] if p in by_library else None
                  for p in peers]
        print(f"{workload + ' ' + case:<28}"
              + "".join(f"{r:>10.2f}x" if r else f"{'-':>11}" for r in ratios))"""),
]
