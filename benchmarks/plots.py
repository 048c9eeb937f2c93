"""PNG plots of the chain workload's scaling: time per call and throughput against n."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchmarks.results import Row

STYLE = {"tapejit": ("tab:red", "o", 2.6), "numpy": ("black", "s", 1.6),
         "copy": ("grey", "", 1.2), "jax": ("tab:blue", "^", 1.6),
         "torch": ("tab:orange", "v", 1.6), "tensorflow": ("tab:green", "D", 1.6),
         "autograd": ("tab:purple", "x", 1.6)}
LABELS = {"numpy": "NumPy by hand", "copy": "np.copyto (bandwidth)",
          "tensorflow": "TF (XLA)"}


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def chain_series(rows: list[Row]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{dtype: {library: [(n, seconds), …]}} from the chain workload's successful rows."""
    series: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for r in rows:
        if r.workload == "chain" and r.ok:
            n_text, dtype = r.case.split()
            n = int(float(n_text.removeprefix("n=")))
            series.setdefault(dtype, {}).setdefault(r.library, []).append((n, r.value))
    return series


def chain_scaling(rows: list[Row], path: Path, title: str) -> Path | None:
    """Time per call (top) and elements per second (bottom), one column per dtype,
    log-log; None when there is nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = chain_series(rows)
    if not series:
        return None
    dtypes = sorted(series)
    fig, axes = plt.subplots(2, len(dtypes), figsize=(6.5 * len(dtypes), 9), squeeze=False)
    for column, dtype in enumerate(dtypes):
        _panel(axes[0][column], series[dtype], lambda n, t: t * 1e3, "time per call (ms)",
               f"gradient time, {dtype}")
        _panel(axes[1][column], series[dtype], lambda n, t: n / t / 1e9,
               "throughput (G elements/s)", f"throughput, {dtype}")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 7), fontsize=10,
               frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _panel(ax, by_library: dict, transform, ylabel: str, title: str) -> None:
    for library, points in by_library.items():
        points = sorted(points)
        color, marker, width = STYLE.get(library, ("tab:brown", ".", 1.4))
        ax.plot([n for n, _ in points], [transform(n, t) for n, t in points], color=color,
                marker=marker or None, linewidth=width,
                linestyle="--" if library == "copy" else "-",
                label=LABELS.get(library, library))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n (elements)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
