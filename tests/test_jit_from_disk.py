"""Eager vs jit with kernels loaded from disk by a fresh process, over the whole op table
and a parallel kernel; loading them never refreshes Numba's CPU target (only compiles do)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapejit as tj
from tests.optable import one_per_primitive
from tests.test_jit import JIT_PARAMS, _args, forward_and_gradients

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from numba.core import base
    refreshes = []
    refresh = base.BaseContext.refresh
    base.BaseContext.refresh = lambda self: (refreshes.append(1), refresh(self))[1]
    import tapejit as tj
    from tests.test_jit import JIT_PARAMS, _args, forward_and_gradients
    from tests.optable import one_per_primitive
    from tests.test_jit_from_disk import PARALLEL_X, parallel_chain
    report = {{}}
    chain = tj.jit(parallel_chain)
    value = chain(PARALLEL_X).numpy()
    report["parallel chain"] = {{"from_disk": chain.compile_stats(PARALLEL_X)["kernel_from_disk"],
                                "values": [value.tolist()]}}
    for param in one_per_primitive(JIT_PARAMS):
        case, shapes = param.values
        args = _args(case, shapes)
        fn = tj.jit(forward_and_gradients(case))
        out = fn(*args)
        stats = fn.compile_stats(*args)
        leaves = tj.tree.leaves(out)
        report[case.id] = {{"from_disk": stats["kernel_from_disk"],
                           "values": [np.asarray(x.numpy(), np.float64).tolist() for x in leaves]}}
    print(json.dumps({{"cases": report, "refreshes": len(refreshes)}}))
""")

PARALLEL_X = np.linspace(-2.0, 2.0, 40_000)


def parallel_chain(x):
    """Big enough for a parallel kernel (a prange: the threading layer starts on load)."""
    return tj.math.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x))


def _eager(case, args):
    out = forward_and_gradients(case)(*map(tj.constant, args))
    return [np.asarray(x.numpy(), np.float64) for x in tj.tree.leaves(out)]


@pytest.mark.xdist_group("op_table_kernels")  # after test_jit compiled them, same worker
def test_a_fresh_process_loads_every_kernel_from_disk_and_matches_eager():
    expected = {}
    for param in one_per_primitive(JIT_PARAMS):
        case, shapes = param.values
        args = _args(case, shapes)
        tj.jit(forward_and_gradients(case))(*args)  # on disk now (test_jit compiled it)
        expected[case.id] = _eager(case, args)
    chain = tj.jit(parallel_chain)
    assert "parallel=True" in chain.lower(PARALLEL_X).source
    chain(PARALLEL_X)
    expected["parallel chain"] = [np.asarray(parallel_chain(tj.constant(PARALLEL_X)).numpy())]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=root)], capture_output=True,
                          text=True, timeout=600, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["refreshes"] == 0
    report = child["cases"]
    not_loaded = [name for name, r in report.items() if not r["from_disk"]]
    assert not not_loaded, f"compiled again instead of loading from disk: {not_loaded}"
    for name, want in expected.items():
        for got, w in zip(report[name]["values"], want):
            np.testing.assert_allclose(np.asarray(got, np.float64).reshape(w.shape), w,
                                       rtol=1e-11, atol=1e-14,
                                       err_msg=name)
