"""A kernel's temporaries reuse freed memory instead of faulting pages in on every call
(backend/numba_cpu/heap.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import resource
    import numpy as np
    import tapejit as tj
    f = tj.jit(lambda a, b: tj.reduce_sum(tj.math.exp(a @ b) @ b))
    a, b = np.full((400, 400), 1e-3), np.eye(400)
    expected = 400 * 400 * np.exp(1e-3)
    for _ in range(3):
        assert abs(float(f(a, b)) - expected) < 1e-6 * expected
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        f(a, b)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _page_faults(keep: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(TAPEJIT_KEEP_FREED_MEMORY=keep, TAPEJIT_SYNC_COMPILE="1",
               TAPEJIT_PRECOMPILE="0")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="tunes glibc's allocator only")
def test_repeated_calls_fault_no_pages_in_unless_turned_off():
    """Each call frees about 2.5 MB of temporaries; with glibc's own thresholds the next
    call faults them in again (thousands of faults), with tapejit's none."""
    assert _page_faults("0") > 1000
    assert _page_faults("1") < 100
