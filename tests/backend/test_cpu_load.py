"""A parallel kernel runs on the cores other processes leave free, judged from Linux's CPU
counters less this process's own CPU time."""

from __future__ import annotations

import subprocess
import sys
import time

import numba
import pytest

from tapejit.backend.numba_cpu import cpu_load, thread_choice
from tapejit.backend.numba_cpu.cpu_load import OtherLoad


class Machine:
    """A fake /proc/stat and clocks: `run(seconds, ours, others)` advances the wall clock
    and charges the CPUs' busy ticks and this process's CPU time."""

    def __init__(self, tmp_path, monkeypatch, cpus: int = 2, extra_cpus: int = 0) -> None:
        self.path = tmp_path / "stat"
        self.wall = self.own = 0.0
        self.ticks = [[0] * 8 for _ in range(cpus + extra_cpus)]
        self.cpus = cpus
        monkeypatch.setattr(cpu_load, "STAT", str(self.path))
        monkeypatch.setattr(cpu_load.time, "perf_counter", lambda: self.wall)
        monkeypatch.setattr(cpu_load.time, "process_time", lambda: self.own)
        self.write()

    def write(self) -> None:
        total = [sum(column) for column in zip(*self.ticks)]
        lines = ["cpu  " + " ".join(map(str, total))]
        lines += [f"cpu{i} " + " ".join(map(str, t)) for i, t in enumerate(self.ticks)]
        self.path.write_text("\n".join(lines + ["intr 1 2 3", "ctxt 5"]) + "\n")

    def run(self, seconds: float, ours: float, others: float, field: int = 0,
            on_cpus: tuple[int, ...] = (1,)) -> None:
        """`ours` in cores; `others` in cores on each of `on_cpus`, ticked to `field`."""
        self.wall += seconds
        self.own += ours * seconds
        self.ticks[0][0] += round(ours * seconds * 100)
        for cpu in on_cpus:
            self.ticks[cpu][field] += round(others * seconds * 100)
            self.ticks[cpu][3] += round((1 - others) * seconds * 100)
        self.write()

    def load(self, niced: bool = False) -> OtherLoad:
        return OtherLoad(set(range(self.cpus)), 0.01, niced)


def test_an_idle_machine_keeps_every_thread_and_a_busy_core_costs_one(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch)
    load = machine.load()
    machine.run(1.0, ours=1.0, others=0.02)
    assert load.threads(2, machine.wall) == 2
    machine.run(1.0, ours=1.0, others=1.0)
    assert load.threads(2, machine.wall) == 1
    assert load.busy_cores(machine.wall) == pytest.approx(1.0)
    machine.run(1.0, ours=1.0, others=0.0)  # the other process stopped
    assert load.threads(2, machine.wall) == 2


def test_a_contended_busy_process_still_counts(tmp_path, monkeypatch):
    """While tapejit runs on every core, a spinning process got about half a core: still
    over SLACK, so tapejit does not take its core back and forth."""
    machine = Machine(tmp_path, monkeypatch)
    load = machine.load()
    machine.run(1.0, ours=1.5, others=0.5)
    assert load.threads(2, machine.wall) == 1


def test_a_larger_machine_gives_up_only_the_cores_in_use(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch, cpus=8)
    load = machine.load()
    machine.run(1.0, ours=1.0, others=1.0)
    assert load.threads(8, machine.wall) == 7
    assert load.threads(4, machine.wall) == 4  # the caller's own limit comes first
    machine.run(1.0, ours=1.0, others=1.0, on_cpus=(2, 3))
    assert load.threads(8, machine.wall) == 6


def test_the_reading_is_refreshed_once_a_window(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch)
    load = machine.load()
    machine.run(cpu_load.WINDOW / 2, ours=1.0, others=1.0)
    assert load.threads(2, machine.wall) == 2  # no window yet: nothing known
    machine.run(cpu_load.WINDOW / 2, ours=1.0, others=1.0)
    assert load.threads(2, machine.wall) == 1
    machine.run(cpu_load.WINDOW / 2, ours=1.0, others=0.0)
    assert load.threads(2, machine.wall) == 1  # within the window the last reading holds


def test_only_the_cpus_this_process_may_use_are_counted(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch, cpus=2, extra_cpus=2)
    load = machine.load()
    machine.run(1.0, ours=1.0, others=1.0, on_cpus=(3,))
    assert load.threads(2, machine.wall) == 2


def test_niced_processes_yield_unless_this_one_is_niced_too(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch)
    ours, niced = machine.load(), machine.load(niced=True)
    machine.run(1.0, ours=1.0, others=1.0, field=1)
    assert ours.threads(2, machine.wall) == 2
    assert niced.threads(2, machine.wall) == 1


def test_no_counters_fall_back_to_timing_both_ways(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_load, "STAT", str(tmp_path / "missing"))
    assert OtherLoad.open() is None
    monkeypatch.setattr(thread_choice, "machine_load", lambda: None)
    assert isinstance(thread_choice.choose_threads(lambda: 1), thread_choice.ThreadChoice)


def test_fewer_threads_for_a_call_and_the_callers_own_count_after(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch)
    load = machine.load()
    machine.run(1.0, ours=1.0, others=1.0)
    counts = []
    choice = thread_choice.FreeCores(lambda x: counts.append(numba.get_num_threads()) or x,
                                     load)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        assert [choice(i) for i in range(3)] == [0, 1, 2]
        assert numba.get_num_threads() == 2
        numba.set_num_threads(1)
        choice(0)
        machine.run(1.0, ours=1.0, others=0.0)
        numba.set_num_threads(2)
        choice(0)
    finally:
        numba.set_num_threads(before)
    assert counts == [1, 1, 1, 1, 2]


@pytest.mark.skipif(OtherLoad.open() is None, reason="reads Linux's /proc/stat")
def test_a_spinning_process_reads_as_a_busy_core():
    load = OtherLoad.open()
    spinner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.1)
        load.busy_cores(time.perf_counter() + cpu_load.WINDOW)  # from here on
        time.sleep(2 * cpu_load.WINDOW)
        assert load.busy_cores(time.perf_counter()) >= 0.4
    finally:
        spinner.kill()
        spinner.wait()


def test_counters_that_vanish_keep_the_last_reading(tmp_path, monkeypatch):
    machine = Machine(tmp_path, monkeypatch)
    load = machine.load()
    machine.run(1.0, ours=1.0, others=1.0)
    assert load.threads(2, machine.wall) == 1
    machine.path.unlink()
    machine.wall += 1.0
    assert load.threads(2, machine.wall) == 1
