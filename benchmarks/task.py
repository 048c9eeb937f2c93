"""Units of the run plan: labelled steps producing Rows, with a rough cost for the ETA."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType

from benchmarks import peers
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
    """Isolated: one task per library, all cases in a fresh process of its own. Otherwise one
    task per case, its libraries timed side by side in this process."""
    libraries = [library for library in workload.LIBRARIES if wanted(library, options)]
    cases = workload.cases(options)
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


def _weight(params: dict, libraries: list[str]) -> float:
    work = params.get("n", 1e4) / 1e6
    return sum(1.0 + work * (3.0 if library == "autograd" else 1.0) for library in libraries)
