"""Settings applied before Numba's first compile: OpenMP's threads spin only briefly before
they sleep, unless the user chose otherwise (long spins made parallel kernels many times
slower than serial ones whenever another process was busy)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import os; from tapejit.backend.numba_cpu.numba_setup import configure; configure(); "
         "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))")


@pytest.mark.parametrize("given,expected", [
    ({}, "None 10000"),
    ({"OMP_WAIT_POLICY": "active"}, "active None"),
    ({"GOMP_SPINCOUNT": "1000"}, "None 1000"),
    ({"OMP_WAIT_POLICY": "passive"}, "passive None"),
])
def test_openmp_threads_spin_briefly_unless_the_user_chose(given, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env={**env, **given}, timeout=120, check=True)
    assert done.stdout.split("\n")[0] == expected


def test_importing_any_vmath_module_settles_numbas_settings_first():
    """A vmath module compiled before configure() fixes Numba's CPU features for the whole
    process to others than the compile worker's: every kernel the worker compiled then
    missed Numba's cache here (the pooling tests, importing vmath.windows directly, made
    the worker and from-disk tests compile everything again)."""
    code = ("import tapejit.backend.numba_cpu.vmath.windows\n"
            "from tapejit.backend.numba_cpu import numba_setup\n"
            "print(bool(numba_setup._DONE))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["True"]
