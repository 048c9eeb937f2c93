"""Eager vs jit with kernels loaded from disk by a fresh process, over the whole op table."""

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
    import tapejit as tj
    from tests.test_jit import JIT_PARAMS, _args, forward_and_gradients
    from tests.optable import one_per_primitive
    report = {{}}
    for param in one_per_primitive(JIT_PARAMS):
        case, shapes = param.values
        args = _args(case, shapes)
        fn = tj.jit(forward_and_gradients(case))
        out = fn(*args)
        stats = fn.compile_stats(*args)
        leaves = tj.tree.leaves(out)
        report[case.id] = {{"from_disk": stats["kernel_from_disk"],
                           "values": [np.asarray(x.numpy(), np.float64).tolist() for x in leaves]}}
    print(json.dumps(report))
""")


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
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=root)], capture_output=True,
                          text=True, timeout=600, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    not_loaded = [name for name, r in report.items() if not r["from_disk"]]
    assert not not_loaded, f"compiled again instead of loading from disk: {not_loaded}"
    for name, want in expected.items():
        for got, w in zip(report[name]["values"], want):
            np.testing.assert_allclose(np.asarray(got, np.float64).reshape(w.shape), w,
                                       rtol=1e-11, atol=1e-14,
                                       err_msg=name)
