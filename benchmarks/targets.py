"""The design document's performance bar, checked against this run's rows."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.formatting import Table, fmt_bytes, fmt_time
from benchmarks.measure import median_interval
from benchmarks.results import Row


@dataclass(frozen=True)
class Target:
    """tapejit's `metric` on (workload, case) must be ≤ `bound`: as a ratio to `versus`'s
    value, or, with no `versus`, in seconds ('s') or in multiples of the input ('x'). With
    `cpu`, the ratio is of CPU time per call (the process's, all its threads) instead of
    wall-clock time.

    With `paired`, `versus` is a companion timed in tapejit's own processes (the same machine
    code run another way): the ratio is the median of the calls' paired ratios, and the
    target is missed only if their 95% confidence interval lies wholly above the bound. Two
    ways that run the same code differ by noise alone, so a bound of exactly 1x on the point
    estimate would be met or missed at random: the same call timed against itself this way
    read 1.000-1.003x."""

    what: str
    workload: str
    case: str
    metric: str
    bound: float
    versus: str | None = None
    unit: str = "ratio"
    library: str = "tapejit"
    cpu: bool = False
    paired: bool = False


TARGETS = (
    Target("jit(grad(x**2)) scalar call", "dispatch", "scalar", "time", 0.3, "jax"),
    Target("chain gradient, 2e6 float32", "chain", "n=2e6 float32", "time", 0.25, "numpy"),
    Target("MLP value_and_grad, batch 256", "mlp", "batch=256", "time", 1.0, "numpy"),
    Target("first tier against the kernel, chain 2e6 float32", "chain", "n=2e6 float32",
           "time", 3.0, "tapejit", library="tapejit-first-tier"),
    Target("first tier against the kernel, MLP batch 256", "mlp", "batch=256", "time", 3.0,
           "tapejit", library="tapejit-first-tier"),
    Target("chain gradient, 2e6 float32, one other core busy", "busy",
           "n=2e6 float32, 1 core busy", "time", 0.5, "numpy"),
    Target("busy machine: the parallel kernel against the serial one", "busy",
           "n=2e6 float32, 1 core busy", "time", 1.0, "tapejit-serial", paired=True),
    Target("LeNet-sized CNN step, 28x28, batch 64: CPU time", "conv", "28x28 batch=64", "time",
           1.0, "torch", cpu=True),
    Target("LeNet-sized CNN step, 8x8, batch 64: CPU time", "conv", "8x8 batch=64", "time",
           1.0, "torch", cpu=True),
    Target("LeNet-sized CNN step, 28x28, batch 64: wall time", "conv", "28x28 batch=64",
           "time", 1.0, "torch"),
    Target("eager tape, 100 scalar ops + gradient", "tape", "100 ops", "time", 0.5, "torch"),
    Target("cold first call of the MLP step", "compile", "mlp batch=256", "cold_process", 1.0,
           "jax"),
    Target("MLP step, new process, warm disk cache", "compile", "mlp batch=256",
           "warm_process", 0.05, unit="s"),
    Target("cold first call of the MLP step with Adam", "compile", "mlp+adam batch=256",
           "cold_process", 1.0, "jax"),
    Target("MLP step with Adam, new process, warm disk cache", "compile",
           "mlp+adam batch=256", "warm_process", 0.05, unit="s"),
    Target("cold first call of the chain gradient", "compile", "chain n=2e6 float32",
           "cold_process", 1.0, "jax"),
    Target("chain gradient, new process, warm disk cache", "compile", "chain n=2e6 float32",
           "warm_process", 0.05, unit="s"),
    Target("cold first call of jit(grad(x**2))", "compile", "dispatch scalar", "cold_process",
           1.0, "jax"),
    Target("jit(grad(x**2)), new process, warm disk cache", "compile", "dispatch scalar",
           "warm_process", 0.05, unit="s"),
    Target("memory growth, chain gradient 1e7 float64", "memory", "chain n=1e7 float64",
           "peak_growth", 1.2, unit="x"),
    Target("memory growth, eager tape, chain gradient 1e7 float64", "memory",
           "chain n=1e7 float64", "peak_growth", 3.0, unit="x", library="tapejit-tape"),
)


def _find(rows: list[Row], target: Target, library: str) -> Row | None:
    return next((r for r in rows if (r.workload, r.case, r.metric, r.library) == (
        target.workload, target.case, target.metric, library) and r.ok), None)


def measured(rows: list[Row], target: Target) -> tuple[float | None, str]:
    """The value compared with the bound, and how it was obtained."""
    ours = _find(rows, target, target.library)
    if ours is None:
        return None, "tapejit not measured"
    if target.unit == "s":
        return ours.value, fmt_time(ours.value)
    if target.unit == "x":
        multiple = ours.value / ours.extra["input_bytes"]
        return multiple, f"{fmt_bytes(ours.value)} = {multiple:.2f}× input"
    peer = _find(rows, target, target.versus)
    if peer is None:
        return None, f"{target.versus} not measured"
    if target.paired:
        return _paired(ours, peer)
    mine, theirs = (ours.cpu_time, peer.cpu_time) if target.cpu else (ours.value, peer.value)
    if mine is None or not theirs:
        return None, "CPU time not measured"
    ratio = mine / theirs
    return ratio, f"{_fmt(ours, mine)} vs {_fmt(peer, theirs)} = {ratio:.2f}×"


def _paired(ours: Row, peer: Row) -> tuple[float | None, str]:
    """The paired ratios' lower 95% confidence limit (what the bound is checked against)."""
    ratios = peer.extra.get("paired_ratios")
    if not ratios:
        return None, "paired calls not measured"
    low, mid, high = median_interval(ratios)
    return low, (f"{_fmt(ours, ours.value)} vs {_fmt(peer, peer.value)}; paired calls "
                 f"{mid:.3f}× (95% CI {low:.3f}–{high:.3f}×, {len(ratios)} pairs)")


def _fmt(row: Row, value: float) -> str:
    return fmt_bytes(value) if row.unit == "B" else fmt_time(value)


def _bound(target: Target) -> str:
    if target.unit == "s":
        return f"≤ {fmt_time(target.bound)}"
    if target.unit == "x":
        return f"≤ {target.bound:g}× input"
    paired = ", paired calls' 95% CI reaching it" if target.paired else ""
    return f"≤ {target.bound:g}× {target.versus}{paired}"


def verdict(value: float | None, target: Target) -> str:
    if value is None:
        return "not measured"
    over = value / target.bound
    if over <= 1:
        return "met"
    return f"missed by {over - 1:.0%}" if over < 2 else f"missed ({over:.1f}× the bound)"


def table(rows: list[Row]) -> Table | None:
    """One line per target whose workload ran; None if none did."""
    ran = {r.workload for r in rows}
    cells = []
    for target in TARGETS:
        if target.workload in ran:
            value, text = measured(rows, target)
            cells.append([target.what, _bound(target), text, verdict(value, target)])
    if not cells:
        return None
    return Table("targets (the performance bar)", ["target", "bound", "measured", "verdict"],
                 cells)
