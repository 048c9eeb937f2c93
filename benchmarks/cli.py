"""`python -m benchmarks`: parse options, run the plan with progress lines, print the tables,
write results.json, results.md and the plots."""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import peers, workloads
from benchmarks.measure import Budget
from benchmarks.results import Row, add_ratios

HERE = Path(__file__).resolve().parent
FULL_BUDGET = Budget(repeats=15, sample_s=0.02, warmup_s=0.1, max_s=4.0)
SMOKE_BUDGET = Budget(repeats=3, sample_s=0.002, warmup_s=0.01, max_s=0.5)
COLD_PROCESSES = 5
"""Fresh processes per cold first call. A cold process's first touches of memory are at the
machine's mercy: on this VM the same 64 MB of NumPy arrays took 12 ms in most fresh processes
and 38-259 ms in some (NumPy asks for transparent huge pages; without them, a steady 24-29
ms), and the chain's cold first call took 43-48 ms in some processes and 100-151 ms in
others, two of three in one run. The median of five stands two such processes."""


@dataclass
class Options:
    """Everything a run needs to know, settled from the command line."""

    workloads: list[str]
    peers: list[str]
    skipped: dict[str, str]
    sizes: list[int]
    dtypes: list[str]
    budget: Budget
    out: Path
    smoke: bool
    baselines: dict[str, str]
    compile_cases: list[str]
    memory_n: int
    isolate: bool = True
    batch: int = 256
    loop_steps: list[int] = field(default_factory=list)
    hessian_sizes: list[int] = field(default_factory=list)
    compile_timeout: float = 300.0
    compile_repeats: int = COLD_PROCESSES
    process_repeats: int = 0  # 0: each timed workload's own PROCESS_REPEATS
    scratch: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Benchmark tapejit against JAX, PyTorch, "
        "TensorFlow, autograd and NumPy; see benchmarks/README.md.")
    p.add_argument("--workloads", nargs="*", help=f"any of {', '.join(workloads.ALL)} "
                   "(space- or comma-separated; default: all)")
    p.add_argument("--peers", help=f"'all' (default: every installed peer), 'none', or some of "
                   f"{','.join(peers.PEERS)}")
    p.add_argument("--sizes", help="chain sizes, e.g. 1e3,1e5,1e7 (default 1e3…1e7 and 2e6)")
    p.add_argument("--dtypes", default="float32,float64", help="chain dtypes")
    p.add_argument("--repeats", type=int, help="timed samples per measurement (default 15)")
    p.add_argument("--out", type=Path, help="output folder (default benchmarks/results/<time>)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, no peers, 3 repeats")
    p.add_argument("--baseline", help="library for the ratios: one name for every workload, or "
                   "workload=library pairs separated by commas")
    p.add_argument("--compile-cases", help="what the compile workload compiles in fresh "
                   "processes: mlp, adam, chain, dispatch, euler-for, euler-fori, hessian, or "
                   "the groups loops (the last three) and all (default mlp,adam,chain,dispatch;"
                   " smoke: mlp)")
    p.add_argument("--loop-steps", help="Euler steps of the euler-for and euler-fori compile "
                   "cases (default 50,200,1000)")
    p.add_argument("--hessian-n", help="Rosenbrock sizes of the hessian compile case "
                   "(default 10,30,100)")
    p.add_argument("--compile-timeout", type=float, help="seconds before a loop or hessian "
                   "compile process is killed and reported as a timeout (default 300)")
    p.add_argument("--process-repeats", type=int, help="fresh processes per library of a timed "
                   "workload, in rounds; each row is the median process (default: 3 for tape, "
                   "mlp and busy, 1 for the others; 1 with --smoke)")
    p.add_argument("--compile-repeats", type=int, help="fresh processes per cold first call of "
                   "the mlp, chain and dispatch cases; the row is their median (default 5, "
                   "smoke 1)")
    p.add_argument("--memory-n", type=float, help="chain size for the memory workload (1e7)")
    p.add_argument("--in-process", action="store_true", help="time every library in this "
                   "process, side by side, and measure memory here too (the smoke default); "
                   "otherwise each library runs in a fresh process of its own")
    return p


def _split(values) -> list[str]:
    items = values if isinstance(values, list) else [values]
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def options_from(args: argparse.Namespace) -> Options:
    from benchmarks.workloads import chain, compile, loops

    smoke = args.smoke
    chosen, skipped = peers.select(args.peers if args.peers else ("none" if smoke else "all"))
    names = _split(args.workloads) if args.workloads else list(
        workloads.SMOKE if smoke else workloads.ALL)
    for name in names:
        workloads.module(name)
    budget = SMOKE_BUDGET if smoke else FULL_BUDGET
    if args.repeats:
        budget = Budget(args.repeats, budget.sample_s, budget.warmup_s, budget.max_s)
    sizes = [int(float(s)) for s in _split(args.sizes)] if args.sizes else list(
        chain.SMOKE_SIZES if smoke else chain.DEFAULT_SIZES)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    compile_cases = compile.expand(_split(args.compile_cases) if args.compile_cases else list(
        compile.SMOKE_CASES if smoke else compile.DEFAULT_CASES))
    _check_choices("compile case", compile_cases, compile.CASES)
    _check_choices("dtype", _split(args.dtypes), ("float32", "float64"))
    return Options(
        workloads=names, peers=chosen, skipped=skipped, sizes=sizes,
        dtypes=_split(args.dtypes), budget=budget,
        out=args.out or HERE / "results" / stamp, smoke=smoke,
        baselines=baselines(args.baseline, names), compile_cases=compile_cases,
        memory_n=int(args.memory_n or (100_000 if smoke else 10_000_000)),
        isolate=not (smoke or args.in_process),
        loop_steps=_counts(args.loop_steps, loops.DEFAULT_STEPS, "--loop-steps"),
        hessian_sizes=_counts(args.hessian_n, loops.DEFAULT_HESSIAN_N, "--hessian-n"),
        compile_timeout=args.compile_timeout or compile.LOOP_TIMEOUT_S,
        compile_repeats=max(1, args.compile_repeats or (1 if smoke else COLD_PROCESSES)),
        process_repeats=max(0, args.process_repeats or (1 if smoke else 0)))


def _counts(spec: str | None, default: tuple[int, ...], flag: str) -> list[int]:
    """Positive integers from '50,200,1e3', or the default."""
    if not spec:
        return list(default)
    try:
        counts = [int(float(part)) for part in _split(spec)]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise ValueError(f"{flag} takes positive integers separated by commas, not {spec!r}")
    return counts


def _check_choices(what: str, chosen: list[str], allowed: tuple[str, ...]) -> None:
    wrong = [c for c in chosen if c not in allowed]
    if wrong:
        raise ValueError(f"unknown {what} {', '.join(wrong)}; choose from {', '.join(allowed)}")


def baselines(spec: str | None, names: list[str]) -> dict[str, str]:
    """Each workload's default baseline, overridden by --baseline."""
    chosen = {name: workloads.module(name).BASELINE for name in names}
    for part in _split(spec) if spec else []:
        if "=" in part:
            workload, library = part.split("=", 1)
            chosen[workload.strip()] = library.strip()
        else:
            chosen = dict.fromkeys(chosen, part)
    return chosen


def plan(options: Options) -> list:
    from benchmarks.task import timed_tasks

    tasks = []
    for name in options.workloads:
        module = workloads.module(name)
        tasks += module.tasks(options) if name in workloads.PROCESS else timed_tasks(
            module, options)
    return tasks


def execute(tasks: list, log=print) -> list[Row]:
    """Run every task, printing a line before and after each with a rough ETA."""
    rows: list[Row] = []
    total = sum(t.weight for t in tasks) or 1.0
    started, done = time.perf_counter(), 0.0
    for i, task in enumerate(tasks, 1):
        log(f"[{i}/{len(tasks)}] {task.label} …")
        new = task.run(log)
        rows += new
        done += task.weight
        elapsed = time.perf_counter() - started
        eta = elapsed / done * (total - done)
        log(f"      {_last_line(new)}   (elapsed {elapsed:.0f} s, ~{eta:.0f} s left)")
    return rows


def _last_line(rows: list[Row]) -> str:
    from benchmarks.formatting import summary

    return summary(rows) if len({r.case for r in rows}) <= 1 else f"{len(rows)} results"


def ordered(rows: list[Row]) -> list[Row]:
    """Rows grouped by workload, then case (first-seen order), then the workload's library
    order, so isolated runs (one library at a time) print like side-by-side ones."""
    first = {}
    for r in rows:
        first.setdefault((r.workload,), len(first))
        first.setdefault((r.workload, r.case), len(first))

    def library_rank(r: Row) -> int:
        names = workloads.module(r.workload).LIBRARIES
        return names.index(r.library) if r.library in names else len(names)

    return sorted(rows, key=lambda r: (first[(r.workload,)], first[(r.workload, r.case)],
                                       library_rank(r)))


def run_notes(options: Options, rows: list[Row], plotted: bool) -> list[str]:
    notes = [reason for reason in options.skipped.values() if "not installed" in reason]
    measured = {(r.workload, r.library) for r in rows if r.ok}
    notes += [f"{workload}: no ratios, its baseline {library} was not measured"
              for workload, library in options.baselines.items()
              if (workload, library) not in measured]
    notes.append(f"repeats ≤ {options.budget.repeats} samples of ≥ "
                 f"{options.budget.sample_s * 1e3:g} ms each, after warm-up; spread = IQR")
    notes.append("each library timed in a fresh process of its own" if options.isolate else
                 "libraries timed side by side in one process; memory measured in-process")
    if options.smoke:
        notes.append("smoke run: tiny sizes")
    if not plotted:
        notes.append("plots skipped: matplotlib not installed" if not _has_matplotlib()
                     else "plots skipped: no chain results")
    return notes


def _has_matplotlib() -> bool:
    from benchmarks import plots

    return plots.available()


def draw(rows: list[Row], options: Options, machine: dict) -> list[str]:
    from benchmarks import plots
    from benchmarks.report import machine_line

    if not plots.available():
        return []
    path = plots.chain_scaling(rows, options.out / "chain_scaling.png",
                               "gradient of sum(softplus(sin(x)*x + exp(-x*x)))\n"
                               + machine_line(machine))
    return [str(path)] if path else []


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        options = options_from(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    options.scratch = Path(tempfile.mkdtemp(prefix="tapejit-bench-"))
    saved = os.environ.get("TAPEJIT_CACHE_DIR")
    os.environ["TAPEJIT_CACHE_DIR"] = str(options.scratch / "run-cache")  # the workers' cache
    try:
        return _run(options)
    finally:
        if saved is None:  # a caller in the same process (a test) keeps its own cache
            os.environ.pop("TAPEJIT_CACHE_DIR", None)
        else:
            os.environ["TAPEJIT_CACHE_DIR"] = saved
        shutil.rmtree(options.scratch, ignore_errors=True)


def _run(options: Options) -> int:
    from benchmarks import machine, report

    for reason in options.skipped.values():
        if "not installed" in reason:
            print(reason, file=sys.stderr)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    tasks = plan(options)
    print(f"{len(tasks)} measurements; peers: {', '.join(options.peers) or 'none'}; "
          f"output: {options.out}", file=sys.stderr)
    rows = ordered(execute(tasks, log=lambda line: print(line, file=sys.stderr, flush=True)))
    add_ratios(rows, options.baselines)
    info = machine.info(options.peers)
    info["load_average_at_start"] = load_before
    options.out.mkdir(parents=True, exist_ok=True)
    plotted = draw(rows, options, info)
    notes = run_notes(options, rows, bool(plotted))
    if load_before is not None and load_before > 0.5:
        notes.append(f"the machine was busy when the run started (load average {load_before:.2f}"
                     f" on {os.cpu_count()} cores): timings may be noisy")
    report.write(options.out, rows, info, _meta(options), notes, plotted)
    print("\n" + f"Machine: {report.machine_line(info)}")
    for table in report.tables(rows):
        print("\n" + table.text())
    print("\n" + "\n".join(f"note: {n}" for n in notes))
    print(f"\nwrote {options.out / 'results.json'}, {options.out / 'results.md'}"
          + "".join(f", {p}" for p in plotted))
    return 0


def _meta(options: Options) -> dict:
    return {"options": {"workloads": options.workloads, "peers": options.peers,
                        "sizes": options.sizes, "dtypes": options.dtypes,
                        "budget": asdict(options.budget), "smoke": options.smoke,
                        "compile_cases": options.compile_cases, "memory_n": options.memory_n,
                        "batch": options.batch, "loop_steps": options.loop_steps,
                        "hessian_sizes": options.hessian_sizes,
                        "compile_timeout_s": options.compile_timeout},
            "baselines": options.baselines, "skipped": options.skipped}
