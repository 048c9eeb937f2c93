"""`python -m tapejit precompile` and the background run a machine's first use starts."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import tapejit as tj
from tapejit import precompile
from tapejit.backend.numba_cpu import warmup


def test_precompile_runs_each_program_on_the_first_tier_and_leaves_a_stamp(monkeypatch, tmp_path):
    monkeypatch.setattr(tj.config, "first_tier_dir", str(tmp_path))
    few = [("sin", tj.value_and_grad(lambda x: tj.reduce_sum(tj.math.sin(x))),
            (np.ones((2, 3), np.float32),)),
           ("loop", tj.grad(lambda x: tj.lax.fori_loop(0, 3, lambda i, c: c * x, x)), (0.5,))]
    monkeypatch.setattr(precompile, "_programs", lambda dtype: few)
    big = np.ones(precompile.THREADED_MIN, np.float32)
    monkeypatch.setattr(precompile, "_threaded_programs",
                        lambda dtype: [("exp", tj.math.exp, (big,))])
    out = io.StringIO()
    assert precompile.precompile(stream=out) == 0
    assert "6 of 6 programs" in out.getvalue()
    assert warmup.stamp_path().exists()
    kernels = list((tmp_path / "kernels").glob("k_*.py"))
    assert kernels
    assert any("parallel=True" in k.read_text() for k in kernels)  # the threaded exp
    assert not tj.config.first_tier_compile_threaded


def test_the_stamp_changes_with_the_kernels_fingerprint(monkeypatch):
    """A new Numba, CPU or vmath source makes every first-tier kernel new: the stamp too, so
    a warmed machine precompiles again."""
    from tapejit.backend.numba_cpu import kernel_cache

    before = warmup.stamp_path()
    monkeypatch.setattr(kernel_cache, "_FINGERPRINT", [kernel_cache.fingerprint() + "x"])
    assert warmup.stamp_path() != before
    assert warmup.stamp_path().parent == before.parent


def test_the_program_list_stages_on_the_first_tier():
    """Every program of the list traces, and the first tier can run it (no compiling)."""
    from tapejit.backend.executable import first_tier
    from tapejit.lowering import lower_programs

    for name, fn, args in precompile._programs(np.float32):
        fused = lower_programs(fn, args)[3]
        assert first_tier(fused) is not None, name


def test_a_first_use_starts_it_once_unless_turned_off(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(tj.config, "first_tier_dir", str(tmp_path))
    monkeypatch.setattr(warmup.subprocess, "Popen", lambda *a, **k: started.append(a[0]))
    monkeypatch.setattr(warmup, "_STARTED", [])
    monkeypatch.setattr(tj.config, "precompile", False)
    warmup.start_in_background()
    assert started == []
    monkeypatch.setattr(tj.config, "precompile", True)
    warmup.start_in_background()
    warmup.start_in_background()
    assert len(started) == 1 and started[0][-2:] == ["precompile", "--background"]


LOWERED = """
import os, sys
from tapejit.backend.numba_cpu.warmup import yield_to_foreground
def group_nice():
    return (open("/proc/self/autogroup").read().split() or ["none"])[-1]
before = group_nice()
yield_to_foreground()
print(os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0) == os.SCHED_IDLE,
      before, group_nice())
"""


def _autogroup_nice() -> str:
    """This process's session group nice, or "none" where the kernel prints nothing: a process
    in a control group of its own (a container, a CI job) is not scheduled by autogroups,
    though a child in a new session may be."""
    return (open("/proc/self/autogroup").read().split() or ["none"])[-1]


@pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"),
                    reason="Linux's session scheduling groups (autogroups) only")
@pytest.mark.parametrize("own_session", [True, False])
def test_the_background_precompile_yields_even_across_sessions(own_session):
    """Linux shares the CPU between sessions before it looks at nice values: the precompile,
    detached in a session of its own, lowers its session's group too (it took a whole core
    from the main job's compile worker); run from a shell's session, it leaves the
    session's group alone."""
    before = _autogroup_nice()
    out = subprocess.run([sys.executable, "-c", LOWERED], capture_output=True, text=True,
                         check=True, start_new_session=own_session).stdout.split()
    assert int(out[0]) >= 10 and out[1] == "True"
    child_before, child_after = out[2], out[3]
    assert child_after == ("19" if own_session and child_before != "none" else child_before)
    assert _autogroup_nice() == before


def test_the_threaded_list_runs_a_group_on_the_threaded_block_interpreter():
    """The threaded interpreter is used only once compiled: precompile's list must reach it."""
    from tapejit.backend.numba_cpu import first_tier_interpreter as interpreter
    from tapejit.backend.numba_cpu.block_code import BLOCK
    from tapejit.lowering import lower_programs

    (fn, args), = [(fn, args) for name, fn, args in precompile._threaded_programs(np.float32)
                   if "block interpreter" in name]
    groups = [e.params for e in lower_programs(fn, args)[3].eqns if e.prim.kind == "fused"]
    assert any(interpreter.interpreted(g["body"], tuple(g["shape"])) is not None
               and np.prod(g["shape"]) >= interpreter.THREADED_BLOCKS * BLOCK for g in groups)
