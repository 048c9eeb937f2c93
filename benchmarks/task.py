"""Units of the run plan: labelled steps producing Rows, with a rough cost for the ETA."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType

from benchmarks import peers
from benchmarks.formatting import fmt_time
from benchmarks.results import Row


@dataclass
class Task:
    label: str
    weight: float
    run: Callable[[Callable[[str], None]], list[Row]]


def wanted(library: str, options) -> bool:
    """tapejit and the in-harness references always run; peers only when selected and
    installed."""
    base = library.split("-")[0]
    return base not in peers.PEERS or base in options.peers


def timed_tasks(workload: ModuleType, options) -> list[Task]:
    """Isolated: one task per library, all cases in a fresh process of its own, or, with
    several processes per library (`process_repeats`), one task timing them in rounds.
    Otherwise one task per case, its libraries timed side by side in this process."""
    libraries = [library for library in workload.LIBRARIES if wanted(library, options)]
    cases = workload.cases(options)
    repeats = process_repeats(workload, options)
    if options.isolate and repeats > 1:
        return [Task(f"{workload.NAME} · {', '.join(libraries)} ({len(cases)} cases, "
                     f"{repeats} rounds of one process each)",
                     repeats * sum(_weight(c.params, libraries) + 2.0 for c in cases),
                     lambda log: _in_rounds(workload, libraries, cases, options, repeats, log))]
    if options.isolate:
        return [Task(f"{workload.NAME} · {library} ({len(cases)} cases, own process)",
                     sum(_weight(c.params, [library]) for c in cases) + 2.0,
                     lambda log, library=library: _isolated(workload, library, cases,
                                                            options, log))
                for library in libraries]
    return [Task(f"{workload.NAME} {case.name} · {', '.join(libraries)}",
                 _weight(case.params, libraries),
                 lambda log, case=case: _in_process(workload, case, libraries, options))
            for case in cases]


def _in_process(workload: ModuleType, case, libraries: list[str], options) -> list[Row]:
    from benchmarks.runner import measure_case

    return measure_case(workload, case, libraries, options.budget)


def _isolated(workload: ModuleType, library: str, cases: list, options, log) -> list[Row]:
    from benchmarks import worker

    job = {"kind": "timed", "workload": workload.NAME, "library": library,
           "cases": [asdict(c) for c in cases], "budget": asdict(options.budget)}
    try:
        out = worker.launch(job, log=lambda line: log(f"      {line}"))
    except Exception as e:
        return [Row(workload.NAME, c.name, library, status=f"error: {e}") for c in cases]
    return [Row(**r) for r in out["rows"]]


def process_repeats(workload: ModuleType, options) -> int:
    """Fresh processes per library: `--process-repeats`, else the workload's own default
    (PROCESS_REPEATS), else one."""
    return options.process_repeats or getattr(workload, "PROCESS_REPEATS", 1)


def _in_rounds(workload: ModuleType, libraries: list[str], cases: list, options,
               repeats: int, log) -> list[Row]:
    """Every library in a fresh process, round after round (so a drift of the machine's
    speed over minutes falls on all of them alike), then per case and library the row of
    the median process."""
    rounds = []
    for r in range(repeats):
        log(f"      round {r + 1} of {repeats}")
        rounds.append([row for library in libraries
                       for row in _isolated(workload, library, cases, options, log)])
    return [median_row([rows[k] for rows in rounds]) for k in range(len(rounds[0]))]


def median_row(rows: list[Row], kind: str = "processes", shown: str | None = None) -> Row:
    """The row of the median value among fresh processes, its note naming them all (`shown`,
    or each value as a time): one process's speed can differ from the next one's by tens of
    percent. Paired ratios (runner.time_subjects) are pooled over the processes."""
    ok = sorted((r for r in rows if r.ok), key=lambda r: r.value)
    if not ok:
        return rows[0]
    row = ok[(len(ok) - 1) // 2]
    if len(rows) > 1:
        shown = shown or ", ".join(fmt_time(r.value) if r.ok else "failed" for r in rows)
        row.note = f"median of {len(rows)} {kind} ({shown}); {row.note}".rstrip("; ")
        row.extra["process_values"] = [r.value if r.ok else None for r in rows]
        pooled = [x for r in ok for x in r.extra.get("paired_ratios", ())]
        if pooled:
            row.extra["paired_ratios"] = pooled
    return row


def _weight(params: dict, libraries: list[str]) -> float:
    work = params.get("n", 1e4) / 1e6
    return sum(1.0 + work * (3.0 if library == "autograd" else 1.0) for library in libraries)
