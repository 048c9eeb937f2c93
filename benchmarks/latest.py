"""The latest published run as rows of timings: `latest_results.json` (every number, as
report.write writes results.json) when present, else the tables of `latest_results.md`."""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

_UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_HEADING = re.compile(r"^#### (\w+): (.*?)(?: \(ratio to (\w+)\))?$")


def parse_seconds(text: str) -> float | None:
    """'1.25 µs' -> 1.25e-06; anything that is not a time -> None."""
    match = re.fullmatch(r"\s*([0-9.]+(?:e[-+]?\d+)?)\s*(ns|µs|us|ms|s)\s*", text)
    return float(match[1]) * _UNITS[match[2]] if match else None


def _row(workload: str, case: str, library: str, seconds: float, baseline) -> dict:
    return {"workload": workload, "case": case, "library": library, "seconds": seconds,
            "baseline": baseline}


def rows_from_json(path: Path) -> list[dict]:
    """The successful time measurements of a results.json."""
    data = json.loads(Path(path).read_text())
    return [_row(r["workload"], r["case"], r["library"], r["value"], r.get("baseline"))
            for r in data["rows"]
            if r.get("status") == "ok" and r.get("unit") == "s" and r.get("metric") == "time"
            and r.get("value") is not None]


def rows_from_markdown(path: Path) -> list[dict]:
    """The 'median' column of every table with 'case' and 'library' columns."""
    rows, workload, baseline, header = [], None, None, None
    for line in Path(path).read_text().splitlines():
        heading = _HEADING.match(line)
        if heading:
            workload, baseline, header = heading[1], heading[3], None
        elif line.startswith("|") and workload:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not set(cells) <= {"---"} and {"case", "library", "median"} <= set(header):
                seconds = parse_seconds(cells[header.index("median")])
                if seconds is not None:
                    rows.append(_row(workload, cells[0], cells[1], seconds, baseline))
        else:
            header = None if not line.startswith("|") else header
    return rows


def load_latest(folder: Path = HERE) -> tuple[list[dict], Path]:
    """The rows of the latest run and the file they came from."""
    folder = Path(folder)
    json_path = folder / "latest_results.json"
    if json_path.exists():
        return rows_from_json(json_path), json_path
    md_path = folder / "latest_results.md"
    return rows_from_markdown(md_path), md_path
