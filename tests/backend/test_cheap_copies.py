"""Kernels copy and permute arrays without Numba's slice assignment from an array or its
`transpose(axes)`: both type a formatted error message, seconds of string code per new
process. Checked in a fresh process (Numba compiles such helpers once per process) by
listing what Numba compiled for a program that pads, transposes, updates a slice and stacks
a scan's rows; the results are checked against eager ones there too. (Numba's own
np.linalg copies with slice assignment; linear algebra kernels still pay it.)"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, numpy as np
from numba.core import event
import tapejit as tj
from tapejit.ops import dynamic_update_slice

compiled = []
class Names(event.Listener):
    def on_start(self, ev):
        what = ev.data["dispatcher"]
        compiled.append(getattr(what, "py_func", what).__qualname__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Names())

def program(x):
    t = tj.transpose(x, (2, 0, 1))
    p = tj.pad(t, [[1, 0], [0, 2], [1, 1]])
    u = dynamic_update_slice(p, tj.ones((1, 2, 2), x.dtype), (1, 1, 1))
    _, rows = tj.lax.scan(lambda c, r: (c + 1.0, r * c), 1.0, u)
    return rows

x = np.arange(24.0).reshape(2, 3, 4)
rows = tj.jit(program)(x)
same = bool(np.array_equal(rows.numpy(), program(x).numpy()))
print(json.dumps({"names": compiled, "same": same}))
"""


def test_kernels_never_compile_numbas_formatted_shape_errors():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=600, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["same"]
    assert any(name == "entry" for name in found["names"])
    slow = [n for n in found["names"] if "raise_with_shape_context" in n or "transpose" in n]
    assert slow == []
