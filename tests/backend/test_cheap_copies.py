"""Kernels, and the vmath functions they call, copy and permute arrays without Numba's slice
assignment from an array or its `transpose(axes)`: both type a formatted error message,
seconds of string code per new process (in vmath, once per machine: 27 s to 11 s for the
convolution on one core). Checked in a fresh process (Numba compiles such helpers once per
process), with an empty Numba cache (so vmath compiles too), by listing what Numba compiled
for a program that pads, transposes, updates a slice and stacks a scan's rows, and for a
convolution and a max pooling with their gradients; the results are checked against eager
ones there too. (Numba's own np.linalg copies with slice assignment; linear algebra kernels
still pay it.)"""

from __future__ import annotations

import json
import os
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

def cnn(x, w):
    h = tj.nn.conv2d(x, w, 1, "SAME")
    return tj.reduce_sum(tj.nn.max_pool2d(h, 2, 2, "VALID") ** 2)

x = np.arange(24.0).reshape(2, 3, 4)
rows = tj.jit(program)(x)
same = bool(np.array_equal(rows.numpy(), program(x).numpy()))
rng = np.random.default_rng(0)
images, kernel = rng.normal(size=(2, 6, 6, 3)), rng.normal(size=(3, 3, 3, 4))
step = tj.value_and_grad(cnn, argnums=(0, 1))
got, want = tj.jit(step)(images, kernel), step(images, kernel)
close = all(np.allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
            for a, b in zip([got[0], *got[1]], [want[0], *want[1]]))
print(json.dumps({"names": compiled, "same": same and close}))
"""


def test_kernels_never_compile_numbas_formatted_shape_errors(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=600, check=True, env=env)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    names = found["names"]
    assert found["same"]
    assert any(name == "entry" for name in names) and "conv_chunk" in names
    slow = [n for n in names if "raise_with_shape_context" in n or "transpose" in n]
    assert slow == []
    # one compile of each convolution helper: no argument typed as a literal 0 or True
    assert names.count("_im2col_dot") == 1 and names.count("window_select_part") == 1
