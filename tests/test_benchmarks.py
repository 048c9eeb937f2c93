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
from benchmarks.cli import baselines, options_from, parser  # noqa: E402
from benchmarks.measure import Budget, median_interval, summarize, time_calls  # noqa: E402
from benchmarks.report import timed_table  # noqa: E402
from benchmarks.results import Row, add_ratios  # noqa: E402
from benchmarks.targets import TARGETS, measured, verdict  # noqa: E402
from benchmarks.workloads import chain, compile, loops, tape  # noqa: E402


def test_smoke_run_writes_every_workload_measured_and_correct(tmp_path):
    """One smoke run (about half a minute), every check on it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--peers", "none",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "results.json").is_file() and (tmp_path / "results.md").is_file()
    for name in workloads.SMOKE:
        assert f"{name}: {workloads.module(name).TITLE}" in done.stdout
        assert f"#### {name}: " in (tmp_path / "results.md").read_text()
    assert "tapejit: warm call split" in done.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    rows = data["rows"]
    assert {r["workload"] for r in rows} == set(workloads.SMOKE)
    assert {r["library"] for r in rows} >= {"tapejit", "tapejit-sync", "numpy", "numba",
                                            "pytape"}
    assert any(r["workload"] == "busy" and r["library"] == "tapejit-serial"  # timed beside
               and "tapejit's process" in r["note"] for r in rows)  # tapejit, in its process
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


def test_cpu_time_is_the_process_cpu_not_the_wall_clock():
    import time

    t = time_calls(lambda: time.sleep(0.002), Budget(repeats=3, sample_s=0.004, warmup_s=0.01))
    assert t.median >= 0.002 and t.cpu_median is not None and t.cpu_median < t.median / 2


def _conv_rows(tapejit: tuple[float, float], torch: tuple[float, float]) -> list[Row]:
    rows = [Row("conv", "28x28 batch=64", library, value=wall,
                timing={"median": wall, "q1": wall, "q3": wall, "cpu_median": cpu})
            for library, (wall, cpu) in (("tapejit", tapejit), ("torch", torch))]
    add_ratios(rows, {"conv": "torch"})
    return rows


def test_a_cpu_target_compares_cpu_times_and_a_wall_target_wall_times():
    rows = _conv_rows(tapejit=(3e-3, 3e-3), torch=(2.5e-3, 5e-3))
    by_name = {t.what: t for t in TARGETS}
    cpu = measured(rows, by_name["LeNet-sized CNN step, 28x28, batch 64: CPU time"])
    wall = measured(rows, by_name["LeNet-sized CNN step, 28x28, batch 64: wall time"])
    assert cpu[0] == pytest.approx(0.6) and "3 ms vs 5 ms" in cpu[1]
    assert wall[0] == pytest.approx(1.2)
    rows[0].timing.pop("cpu_median")
    assert measured(rows, by_name["LeNet-sized CNN step, 28x28, batch 64: CPU time"])[0] is None


def test_timed_tables_show_cpu_time_and_its_ratio():
    table = timed_table("conv", _conv_rows(tapejit=(3e-3, 3e-3), torch=(2.5e-3, 5e-3)))
    cpu, ratio = table.headers.index("CPU time"), table.headers.index("CPU × torch")
    assert [row[ratio] for row in table.cells] == ["0.60×", "1.00×"]
    assert table.cells[0][cpu] == "3 ms"


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


LOOP_CASES = [{"program": "euler-for", "size": 7}, {"program": "euler-fori", "size": 7},
              {"program": "hessian", "size": 5}]


def _numeric_euler_gradient(k: float, c: float, steps: int, h: float = 1e-6) -> list[float]:
    def loss(k, c):
        x, v = loops.START
        for _ in range(steps):
            x, v = x + loops.DT * v, v + loops.DT * (-k * np.sin(x) - c * v)
        return x * x + v * v
    return [(loss(k + h, c) - loss(k - h, c)) / (2 * h),
            (loss(k, c + h) - loss(k, c - h)) / (2 * h)]


def test_loop_references_agree_with_finite_differences():
    k, c = loops.make_input(LOOP_CASES[0])
    np.testing.assert_allclose(loops.numpy_euler_gradient(k, c, 40),
                               _numeric_euler_gradient(k, c, 40), rtol=1e-6)
    x, h = loops.make_input(LOOP_CASES[2])[0], 1e-5

    def gradient(v):
        head, tail = v[:-1], v[1:]
        g = np.zeros_like(v)
        g[:-1] += -400 * head * (tail - head**2) - 2 * (1 - head)
        g[1:] += 200 * (tail - head**2)
        return g
    numeric = np.array([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h)
                        for e in np.eye(len(x))])
    np.testing.assert_allclose(loops.numpy_rosenbrock_hessian(x), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("params", LOOP_CASES, ids=loops.case_name)
def test_loop_workload_tapejit_agrees_with_numpy(params, monkeypatch):
    """Traced, differentiated and lowered to kernel source as under jit; the kernels run as
    plain Python (disable_jit="kernels") so the test does not wait for Numba."""
    import tapejit as tj

    monkeypatch.setattr(tj.config, "disable_jit", "kernels")
    got = loops.build("tapejit", params).run()
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), loops.reference(params),
                               rtol=1e-10, atol=1e-12)


def test_loop_workload_fori_compiles_with_numba():
    params = {"program": "euler-fori", "size": 3}
    subject = loops.build("tapejit", params)
    np.testing.assert_allclose(np.asarray(subject.run(), dtype=np.float64),
                               loops.reference(params), rtol=1e-10)
    assert subject.jitted.compile_stats(*subject.args)["first_call_s"] > 0


@pytest.mark.parametrize("params", LOOP_CASES, ids=loops.case_name)
def test_loop_workload_jax_agrees_with_numpy(params):
    pytest.importorskip("jax")
    got = loops.build("jax", params).run()
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), loops.reference(params),
                               rtol=1e-10, atol=1e-12)


def test_loop_compile_cases_are_opt_in_and_expand_per_size():
    default = options_from(parser().parse_args(["--workloads", "compile"]))
    assert default.compile_cases == list(compile.DEFAULT_CASES)
    chosen = options_from(parser().parse_args(
        ["--workloads", "compile", "--compile-cases", "mlp,loops", "--loop-steps", "5,1e3",
         "--hessian-n", "4"]))
    assert chosen.compile_cases == ["mlp", "euler-for", "euler-fori", "hessian"]
    names = [name for case in chosen.compile_cases
             for name, _, _ in compile.variants(case, chosen)]
    assert names == ["mlp batch=256", "grad euler python for steps=5",
                     "grad euler python for steps=1000", "grad euler fori_loop steps=5",
                     "grad euler fori_loop steps=1000", "hessian rosenbrock n=4"]
    with pytest.raises(ValueError, match="--loop-steps"):
        options_from(parser().parse_args(["--loop-steps", "0"]))
    with pytest.raises(ValueError, match="compile case"):
        options_from(parser().parse_args(["--compile-cases", "loop"]))


def test_a_loop_case_past_its_timeout_is_reported_as_a_timeout(tmp_path):
    options = options_from(parser().parse_args(["--peers", "none", "--compile-timeout", "0.2"]))
    options.scratch = tmp_path
    rows = compile.run_case("hessian rosenbrock n=3", loops.NAME,
                            {"program": "hessian", "size": 3}, "tapejit", options)
    assert [(r.metric, r.status) for r in rows] == [("cold_process", "timeout: > 0.2 s")]


def test_cold_and_warm_rows_are_medians_of_fresh_processes_each_cold_one_with_an_empty_cache(
        monkeypatch, tmp_path):
    from benchmarks.results import Row

    seen, firsts = [], iter([0.3, 0.1, 0.2, 0.04, 0.05, 0.03])

    def process_row(name, library, metric, job, env, timeout=None):
        seen.append((metric, env["TAPEJIT_CACHE_DIR"], env.get("TAPEJIT_SYNC_COMPILE")))
        return Row(compile.NAME, name, library, metric, next(firsts), extra={}, note="n")
    monkeypatch.setattr(compile, "_process_row", process_row)
    assert options_from(parser().parse_args(["--peers", "none"])).compile_repeats == 5
    options = options_from(parser().parse_args(["--peers", "none", "--compile-repeats", "3"]))
    options.scratch = tmp_path
    rows = compile.run_case("dispatch scalar", "dispatch", {"dtype": "float32"}, "tapejit",
                            options)
    cold, = [r for r in rows if r.metric == "cold_process"]
    assert cold.value == 0.2 and cold.note == "median of 3 cold processes (300, 100, 200 ms); n"
    warm, = [r for r in rows if r.metric == "warm_process"]
    assert warm.value == 0.04 and warm.note == "median of 3 warm processes (40, 50, 30 ms); n"
    assert [m for m, _, _ in seen] == ["cold_process"] * 3 + ["warm_process"] * 3
    assert len({folder for _, folder, _ in seen[:3]}) == 3  # each cold one empty
    assert [f for _, f, _ in seen[3:]] == [f for _, f, _ in seen[:3]]  # then each one warm
    assert options_from(parser().parse_args(["--smoke"])).compile_repeats == 1


def test_program_size_reports_time_and_peak_memory_of_a_fresh_process(capsys):
    from benchmarks import program_size

    assert program_size.main(["--ops", "5", "--modes", "sync"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1].split("|")
    assert row[1].strip() == "5" and row[2].strip() == "sync"
    assert float(row[3].split()[0]) > 0 and int(row[5].split()[0]) > 50


def test_the_harness_waits_only_for_its_own_runs_compile_workers():
    """A job's compile worker that outlives the job takes a core from the next measurement:
    the harness waits for it, and only for workers its own jobs started."""
    import time

    from benchmarks import worker

    sleeper = [sys.executable, "-c", "import time; time.sleep(60)",
               worker.COMPILE_SERVER.decode()]
    ours = subprocess.Popen(sleeper, env={**os.environ, worker.RUN_VARIABLE: "run-a"})
    other = subprocess.Popen(sleeper, env={**os.environ, worker.RUN_VARIABLE: "run-b"})
    try:
        deadline = time.monotonic() + 10  # a loaded machine may take a while to start it
        while worker.compile_workers("run-a") != [ours.pid] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.compile_workers("run-a") == [ours.pid], f"exit code {ours.poll()}"
        started = time.monotonic()
        worker.wait_for_compile_workers(limit=0.5, run_id="run-a")  # it never ends: the limit
        assert time.monotonic() - started >= 0.5
        ours.kill()
        ours.wait()
        started = time.monotonic()
        worker.wait_for_compile_workers(limit=30, run_id="run-a")  # run-b's is not waited for
        assert time.monotonic() - started < 5
    finally:
        for process in (ours, other):
            process.kill()
            process.wait()


def test_a_timed_workload_runs_its_libraries_in_rounds_and_keeps_the_median(monkeypatch):
    from benchmarks import task

    speeds = iter([3e-4, 1e-4, 9e-4, 2e-4, 4e-4, 6e-4])  # tapejit, pytape, round by round
    order = []

    def isolated(workload, library, cases, options, log):
        order.append(library)
        return [Row(tape.NAME, c.name, library, value=next(speeds), note="n") for c in cases]
    monkeypatch.setattr(task, "_isolated", isolated)
    options = options_from(parser().parse_args(["--peers", "none"]))
    (plan,) = task.timed_tasks(tape, options)  # tape's own default: 3 processes each
    rows = plan.run(lambda line: None)
    assert order == ["tapejit", "pytape"] * 3  # rounds, so a drift falls on both alike
    by_library = {r.library: r for r in rows}
    assert by_library["tapejit"].value == 4e-4 and by_library["pytape"].value == 2e-4
    assert by_library["tapejit"].note == "median of 3 processes (300 µs, 900 µs, 400 µs); n"
    assert by_library["pytape"].extra["process_values"] == [1e-4, 2e-4, 6e-4]
    one = options_from(parser().parse_args(["--peers", "none", "--process-repeats", "1"]))
    assert len(task.timed_tasks(tape, one)) == 2  # one process per library, as before
    assert options_from(parser().parse_args(["--smoke"])).process_repeats == 1


def test_median_interval_covers_the_median_as_often_as_it_says():
    import random

    rng = random.Random(0)
    covered = sum(low <= 0.0 <= high for low, _, high in (
        median_interval([rng.gauss(0.0, 1.0) for _ in range(45)]) for _ in range(400)))
    assert 0.92 <= covered / 400 <= 0.99
    assert median_interval([3.0, 1.0, 2.0]) == (1.0, 2.0, 3.0)


def _paired_rows(ratios: list[float]) -> list[Row]:
    case = "n=2e6 float32, 1 core busy"
    return [Row("busy", case, "tapejit", value=3.5e-3),
            Row("busy", case, "tapejit-serial", value=3.49e-3,
                extra={"paired_ratios": ratios})]


@pytest.mark.parametrize("ratios,met", [([1.002, 0.998, 1.004, 0.999, 1.001] * 9, True),
                                        ([1.012, 1.008, 1.015, 1.01, 1.011] * 9, False)])
def test_a_paired_target_is_missed_only_when_the_whole_interval_is_above_the_bound(ratios,
                                                                                  met):
    """The same code run two ways: a ratio a hair over 1x is noise unless the interval says
    otherwise; a steady 1% loss is a miss."""
    target = next(t for t in TARGETS if t.paired)
    value, text = measured(_paired_rows(ratios), target)
    assert (verdict(value, target) == "met") == met
    assert "95% CI" in text and "45 pairs" in text
    assert measured(_paired_rows([]), target)[0] is None


class _VirtualClock:
    """Stands in for the `time` module: it moves only when a subject says it worked, so
    timings are exact whatever else the machine is doing."""

    def __init__(self):
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def perf_counter(self) -> float:
        return self.now

    process_time = perf_counter


def test_interleaved_companions_get_their_subjects_time_over_theirs_round_by_round(
        monkeypatch):
    import benchmarks.measure
    from benchmarks.runner import time_subjects
    from benchmarks.subject import Subject

    clock = _VirtualClock()
    monkeypatch.setattr(benchmarks.measure, "time", clock)
    slow = Subject(lambda: clock.advance(0.002))
    slow.companions["fast"] = Subject(lambda: clock.advance(0.001))
    rows = [Row("w", "c", "slow"), Row("w", "c", "fast")]
    time_subjects([(rows[0], slow), (rows[1], slow.companions["fast"])],
                  Budget(repeats=4, sample_s=0.004, warmup_s=0.005))
    assert rows[1].extra["paired_ratios"] == pytest.approx([2.0] * 4)
    assert "paired_ratios" not in rows[0].extra


def test_the_median_process_keeps_every_processs_paired_ratios():
    from benchmarks.task import median_row

    rows = [Row("w", "c", "x", value=v, extra={"paired_ratios": [v, v]}) for v in (3, 1, 2)]
    assert median_row(rows).extra["paired_ratios"] == [1, 1, 2, 2, 3, 3]


def test_the_adam_step_is_one_adam_update_of_the_numpy_gradients():
    """The compile workload's MLP step with Adam, run eagerly in tapejit, against NumPy's
    hand-written gradients and update (batch 8: the program does not depend on it)."""
    from benchmarks.workloads import mlp

    import tapejit as tj

    weights = mlp.make_params()
    args = (*weights, *(np.zeros_like(w) for w in weights * 2), *mlp.make_batch(8))
    want = mlp.numpy_adam_step(*args)
    got = mlp.adam_step(mlp._tj_value_and_grad(tj), tj.math.sqrt)(*args)
    assert len(got) == len(want) == 13
    np.testing.assert_allclose(np.asarray(got[0]), want[0], rtol=1e-5)
    for a, b in zip(got[5:], want[5:]):  # the moments: a tenth of g, a thousandth of g*g
        np.testing.assert_allclose(np.asarray(a), b, rtol=2e-4, atol=1e-9)
    for a, b, w in zip(got[1:5], want[1:5], weights):
        # a first step moves each weight by about the learning rate times sign(g); where g
        # is near EPSILON, float32 rounding of g moves that by a few percent
        np.testing.assert_allclose(np.asarray(a), b, atol=0.05 * mlp.LEARNING_RATE)
        assert np.median(np.abs(np.asarray(a) - w)) > 0.5 * mlp.LEARNING_RATE


def test_the_adam_compile_case_runs_only_libraries_with_an_adam_step():
    options = options_from(parser().parse_args(["--compile-cases", "adam"]))
    labels = [t.label for t in compile.tasks(options)]
    assert labels and all("mlp+adam" in label or "precompile" in label for label in labels)
    assert {label.split("· ")[1].split(" ")[0] for label in labels if "mlp+adam" in label} <= {
        "tapejit", "tapejit-sync", "jax"}
