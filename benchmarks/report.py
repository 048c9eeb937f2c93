"""Turns Rows into tables (console text and Markdown) and writes the JSON and Markdown files."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import targets, workloads
from benchmarks.formatting import Table, fmt_bytes, fmt_ratio, fmt_time
from benchmarks.results import Row

PHASES = ("trace_s", "autodiff_s", "passes_s", "fusion_s", "codegen_s", "load_s",
          "first_call_s")


def _iqr(row: Row) -> str:
    t = row.timing
    return f"{fmt_time(t['q1'])}–{fmt_time(t['q3'])}" if t else "–"


def _status_or(row: Row, text: str) -> str:
    return text if row.status == "ok" else row.status


def timed_table(name: str, rows: list[Row]) -> Table:
    module = workloads.module(name)
    baseline = next((r.baseline for r in rows if r.baseline), module.BASELINE)
    base_cpu = {r.case: r.cpu_time for r in rows if r.library == baseline}
    cells = [[r.case, r.library, _status_or(r, fmt_time(r.value)), _iqr(r),
              fmt_ratio(r.ratio), fmt_time(r.cpu_time),
              fmt_ratio(_cpu_ratio(r.cpu_time, base_cpu.get(r.case))),
              fmt_time(r.extra.get("first_call_s")), fmt_time(r.extra.get("second_call_s")),
              r.extra.get("check", "–"), r.note]
             for r in rows]
    return Table(f"{name}: {module.TITLE} (ratio to {baseline})",
                 ["case", "library", "median", "IQR", f"× {baseline}", "CPU time",
                  f"CPU × {baseline}", "1st call", "2nd call", "check", "how"], cells)


def _cpu_ratio(ours: float | None, base: float | None) -> float | None:
    return ours / base if ours is not None and base else None


def breakdown_table(rows: list[Row]) -> Table:
    cells = [_breakdown_cells(r) for r in rows if "tapejit" in r.extra]
    return Table("tapejit: warm call split and first-call phases",
                 ["workload", "case", "total", "dispatch", "kernel", "numba floor", "trace",
                  "autodiff", "passes", "fusion", "codegen", "load", "numba compile+run",
                  "from disk"], cells)


def _breakdown_cells(row: Row) -> list[str]:
    t = row.extra["tapejit"]
    phases = t["phases"]
    dispatch = fmt_time(t["dispatch_s"]) if t["dispatch_s"] > 0 else "≈0 (noise)"
    return ([row.workload, row.case, fmt_time(row.value), dispatch,
             fmt_time(t["kernel"]["median"]), fmt_time(t["numba_floor"]["median"])]
            + [fmt_time(phases.get(p)) for p in PHASES]
            + [str(phases.get("kernel_from_disk", "–"))])


def compile_table(rows: list[Row]) -> Table:
    by_key: dict[tuple, dict[str, Row]] = {}
    for r in rows:
        by_key.setdefault((r.case, r.library), {})[r.metric] = r
    baseline = next((r.baseline for r in rows if r.baseline), "jax")
    cells = [_compile_cells(case, library, metrics)
             for (case, library), metrics in by_key.items()]
    return Table(f"compile: {workloads.module('compile').TITLE} (ratio to {baseline})",
                 ["case", "library", "cold: first call", "cold: import+setup+call",
                  f"cold × {baseline}", "warm cache: first call", "warm: import+setup+call",
                  f"warm × {baseline}", "new batch: first call", "notes"], cells)


def _compile_cells(case: str, library: str, metrics: dict[str, Row]) -> list[str]:
    cold, warm, batch = (metrics.get(m) for m in ("cold_process", "warm_process", "new_batch"))
    notes = [f"{label}: {r.note}" for label, r in (("cold", cold), ("warm", warm),
                                                   ("new batch", batch)) if r and r.note]
    return [case, library, _metric(cold, "first_call_s"), _metric(cold, "first_result_s"),
            fmt_ratio(cold.ratio if cold else None), _metric(warm, "first_call_s", "n/a"),
            _metric(warm, "first_result_s", "n/a"), fmt_ratio(warm.ratio if warm else None),
            _metric(batch, "new_batch_first_s"), "; ".join(notes)]


def _metric(row: Row | None, key: str, missing: str = "–") -> str:
    if row is None:
        return missing
    return _status_or(row, fmt_time(row.extra.get(key)))


def memory_table(rows: list[Row]) -> Table:
    baseline = next((r.baseline for r in rows if r.baseline), "numpy")
    cells = [[r.case, r.library, _status_or(r, fmt_bytes(r.value)), _multiple(r, "growth_bytes"),
              fmt_ratio(r.ratio), fmt_bytes(r.extra.get("first_call_growth_bytes")),
              _multiple(r, "first_call_growth_bytes"), r.note] for r in rows]
    return Table(f"memory: {workloads.module('memory').TITLE}",
                 ["case", "library", "peak growth", "× input", f"× {baseline}",
                  "1st call growth", "× input", "how"], cells)


def _multiple(row: Row, key: str) -> str:
    if not row.ok or key not in row.extra:
        return "–"
    return f"{row.extra[key] / row.extra['input_bytes']:.2f}×"


def tables(rows: list[Row]) -> list[Table]:
    """One table per workload present, in run order, then tapejit's breakdown."""
    out = []
    for name in dict.fromkeys(r.workload for r in rows):
        group = [r for r in rows if r.workload == name]
        out.append({"compile": compile_table, "memory": memory_table}.get(
            name, lambda g, n=name: timed_table(n, g))(group))
    if any("tapejit" in r.extra for r in rows):
        out.append(breakdown_table(rows))
    bar = targets.table(rows)
    return ([bar] if bar else []) + out


def machine_line(machine: dict) -> str:
    return (f"{machine['cpu_model']}, {machine['cores']} cores "
            f"({machine['usable_cores']} usable), Python {machine['python']}, "
            f"commit {machine['commit']}, {machine['date']}")


def markdown(rows: list[Row], machine: dict, notes: list[str], plots: list[str]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    parts = ["# tapejit benchmark results", "", f"Machine: {machine_line(machine)}", "",
             f"Versions: {versions}", ""]
    parts += [f"- {n}" for n in notes] + [""]
    for table in tables(rows):
        parts += [table.markdown(), ""]
    parts += [f"![{Path(p).stem}]({Path(p).name})" for p in plots]
    return "\n".join(parts) + "\n"


def write(out: Path, rows: list[Row], machine: dict, meta: dict, notes: list[str],
          plots: list[str]) -> None:
    """results.json (every number) and results.md (the tables) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine, **meta, "notes": notes, "plots": plots,
            "rows": [r.as_dict() for r in rows]}
    (out / "results.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    (out / "results.md").write_text(markdown(rows, machine, notes, plots))
