"""The harness's records: one Row per (workload, case, library, metric), and ratios to a
baseline library measured in the same run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

METRICS = {
    "time": "warm call, seconds (median of repeats)",
    "cold_process": "fresh process, empty disk cache: seconds to the first result",
    "warm_process": "fresh process, warm disk cache: seconds to the first result",
    "new_batch": "same process, a new batch size after the first: seconds of its first call",
    "peak_growth": "peak RSS growth during one call, bytes",
}


@dataclass
class Row:
    """One measurement. `value` is seconds (unit 's') or bytes (unit 'B'); `status` is 'ok',
    'error: …' or 'skipped: …'."""

    workload: str
    case: str
    library: str
    metric: str = "time"
    value: float | None = None
    unit: str = "s"
    timing: dict | None = None
    status: str = "ok"
    note: str = ""
    extra: dict = field(default_factory=dict)
    ratio: float | None = None
    baseline: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.value is not None

    @property
    def cpu_time(self) -> float | None:
        """The process's CPU seconds per call (all its threads), median of the samples;
        None where it was not measured."""
        return (self.timing or {}).get("cpu_median") if self.ok else None

    def as_dict(self) -> dict:
        return asdict(self)


def add_ratios(rows: list[Row], baselines: dict[str, str]) -> None:
    """Set each row's ratio to the value of its workload's baseline library for the same case
    and metric (no ratio when the baseline was not measured or is zero)."""
    reference = {(r.workload, r.case, r.metric): r.value for r in rows
                 if r.ok and r.library == baselines.get(r.workload)}
    for row in rows:
        row.baseline = baselines.get(row.workload)
        base = reference.get((row.workload, row.case, row.metric))
        if row.ok and base:
            row.ratio = row.value / base
