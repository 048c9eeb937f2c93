"""The benchmark harness's smoke pass, so it never rots: it runs, writes its files and shows
every workload. No timing is asserted (the machines are shared and noisy)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import pytape, workloads  # noqa: E402
from benchmarks.cli import baselines  # noqa: E402
from benchmarks.measure import summarize  # noqa: E402
from benchmarks.results import Row, add_ratios  # noqa: E402
from benchmarks.workloads import chain, tape  # noqa: E402


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--peers", "none",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    return done, out


def test_smoke_run_finishes_and_writes_results(smoke):
    done, out = smoke
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "results.json").is_file() and (out / "results.md").is_file()


def test_smoke_table_shows_every_workload(smoke):
    done, out = smoke
    for name in workloads.SMOKE:
        assert f"{name}: {workloads.module(name).TITLE}" in done.stdout
        assert f"#### {name}: " in (out / "results.md").read_text()
    assert "tapejit: warm call split" in done.stdout


def test_smoke_json_rows_measured_and_correct(smoke):
    _, out = smoke
    data = json.loads((out / "results.json").read_text())
    rows = data["rows"]
    assert {r["workload"] for r in rows} == set(workloads.SMOKE)
    assert {r["library"] for r in rows} >= {"tapejit", "numpy", "numba", "pytape"}
    failed = [(r["workload"], r["case"], r["library"], r["status"]) for r in rows
              if r["status"] != "ok"]
    assert not failed
    assert all(r["extra"].get("check", "ok") == "ok" for r in rows)
    assert data["machine"]["cpu_model"] and data["machine"]["versions"]["numba"]


def test_unknown_peer_is_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--peers", "nosuchpeer"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "nosuchpeer" in done.stderr


def test_summary_statistics():
    t = summarize([4.0, 1.0, 3.0, 2.0, 5.0])
    assert (t.median, t.min, t.max, t.q1, t.q3, t.repeats) == (3.0, 1.0, 5.0, 2.0, 4.0, 5)


def test_ratios_are_to_the_baseline_of_the_same_case():
    rows = [Row("w", "a", "x", value=2.0), Row("w", "a", "base", value=4.0),
            Row("w", "b", "x", value=1.0)]
    add_ratios(rows, {"w": "base"})
    assert [r.ratio for r in rows] == [0.5, 1.0, None]


def test_baseline_option():
    assert baselines(None, ["chain", "tape"]) == {"chain": "numpy", "tape": "torch"}
    assert baselines("jax", ["chain", "tape"]) == {"chain": "jax", "tape": "jax"}
    assert baselines("tape=autograd", ["chain", "tape"])["tape"] == "autograd"


def test_size_labels():
    assert [chain.size_label(n) for n in (1000, 2_000_000, 12345)] == ["1e3", "2e6", "12345"]


def test_reference_gradients_agree():
    x = chain.make_input({"n": 5, "dtype": "float64"})
    h = 1e-6
    loss = lambda v: np.sum(np.logaddexp(0, np.sin(v) * v + np.exp(-v * v)))  # noqa: E731
    numeric = [(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(5)]
    np.testing.assert_allclose(chain.numpy_gradient(x), numeric, rtol=1e-6)
    subject = tape.build("pytape", {"rounds": 25})
    assert abs(subject.run() - tape.reference({"rounds": 25})) < 1e-4 * abs(
        tape.reference({"rounds": 25}))


def test_pytape_accumulates_a_reused_input():
    t = pytape.Tape()
    x = pytape.Value(np.float64(2.0), t)
    assert t.gradient(x * 3.0 + x, x) == 4.0
