"""Numbers, rows and tables as text: times, byte counts, ratios, progress summaries, Table."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.results import Row


@dataclass
class Table:
    title: str
    headers: list[str]
    cells: list[list[str]]

    def text(self) -> str:
        widths = [max(len(x) for x in column) for column in zip(self.headers, *self.cells)]
        lines = [self.title, "  ".join(h.ljust(w) for h, w in zip(self.headers, widths)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                  for row in self.cells]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| " + " | ".join(self.headers) + " |",
                 "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                  for row in self.cells]
        return "\n".join(lines)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "–"
    for scale, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def fmt_ratio(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def summary(rows: list[Row]) -> str:
    """'library: median' for each row (or its status), for progress lines."""

    def value(r: Row) -> str:
        if not r.ok:
            return r.status
        return fmt_bytes(r.value) if r.unit == "B" else fmt_time(r.value)

    return "; ".join(f"{r.library}{'' if r.metric == 'time' else ' ' + r.metric}: {value(r)}"
                     for r in rows)
