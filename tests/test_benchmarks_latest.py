"""benchmarks/latest.py: the rows notebook 05 plots, read from a results.json or from the
tables of a results.md written by the harness's own report.write, and from the committed
latest_results.md."""

import shutil

import pytest
from benchmarks import latest, report
from benchmarks.results import Row

MACHINE = {"cpu_model": "test cpu", "cores": 2, "usable_cores": 2, "python": "3.11",
           "commit": "abc", "date": "today", "versions": {"tapejit": "0.1.0"}}


def _rows():
    timing = {"q1": 1e-6, "q3": 2e-6}
    return [
        Row("dispatch", "scalar", "tapejit", value=1.25e-6, timing=timing, baseline="jax"),
        Row("dispatch", "scalar", "jax", value=5.4e-6, timing=timing, baseline="jax"),
        Row("chain", "n=1e3 float32", "tapejit", value=4.4e-6, timing=timing),
        Row("chain", "n=1e3 float32", "numpy", value=8.05e-3, timing=timing),
        Row("mlp", "batch=256", "torch", value=2.5, timing=timing),
        Row("mlp", "batch=256", "jax", value=None, status="error: not installed"),
    ]


@pytest.mark.parametrize("text, seconds", [("1.25 µs", 1.25e-6), ("503 ms", 0.503),
                                           ("128 ns", 1.28e-7), ("2.7 s", 2.7),
                                           ("76.3 MiB", None), ("–", None), ("ok", None)])
def test_parse_seconds(text, seconds):
    assert latest.parse_seconds(text) == (pytest.approx(seconds) if seconds else None)


def test_the_json_and_the_markdown_the_harness_writes_give_the_same_rows(tmp_path):
    report.write(tmp_path, _rows(), MACHINE, {}, ["a note"], [])
    from_json = latest.rows_from_json(tmp_path / "results.json")
    from_md = latest.rows_from_markdown(tmp_path / "results.md")
    key = lambda r: (r["workload"], r["case"], r["library"])
    assert sorted(map(key, from_json)) == sorted(map(key, from_md)) == sorted(
        key(r.as_dict()) for r in _rows() if r.ok)
    for a, b in zip(sorted(from_json, key=key), sorted(from_md, key=key)):
        assert b["seconds"] == pytest.approx(a["seconds"], rel=5e-3)
    assert {r["baseline"] for r in from_md if r["workload"] == "dispatch"} == {"jax"}


def test_load_latest_prefers_the_json(tmp_path):
    report.write(tmp_path, _rows(), MACHINE, {}, [], [])
    shutil.copy(tmp_path / "results.md", tmp_path / "latest_results.md")
    rows, source = latest.load_latest(tmp_path)
    assert source.name == "latest_results.md" and len(rows) == 5
    shutil.copy(tmp_path / "results.json", tmp_path / "latest_results.json")
    rows, source = latest.load_latest(tmp_path)
    assert source.name == "latest_results.json" and len(rows) == 5


def test_the_committed_latest_results_have_tapejit_in_every_timed_workload():
    rows, source = latest.load_latest()
    workloads = {r["workload"] for r in rows}
    assert {"dispatch", "chain", "mlp", "tape"} <= workloads
    for workload in workloads:
        assert any(r["library"] == "tapejit" for r in rows if r["workload"] == workload)
    assert all(r["seconds"] > 0 for r in rows)
