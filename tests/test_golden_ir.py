"""Printed forward and backward programs of a few functions match files under ir/golden/.

Regenerate with TAPEJIT_UPDATE_GOLDEN=1 after an intended change, and review the diff.
"""

import os
from pathlib import Path

import numpy as np
import pytest

import tapejit as tj

GOLDEN = Path(__file__).resolve().parents[1] / "ir" / "golden"
f32 = np.float32


def _sin_mul(x, y):
    return tj.reduce_sum(tj.math.sin(x) * y)


def _dense_softplus(x, w, b):
    return tj.reduce_mean(tj.nn.softplus(x @ w + b) ** 2)


def _broadcast(x, y):
    return tj.reduce_sum(tj.math.exp(x + y) / y)


def _softmax_xent(logits, labels):
    return tj.reduce_mean(tj.nn.softmax_cross_entropy_with_logits(labels, logits))


def _slices(x):
    return tj.reduce_sum(tj.concat([x[1:, ::2], x[:1, 1::2] * 2.0], 0) ** 3)


def _scan(h, xs):
    """A staged scan (eagerly a tj.lax.scan would run as Python and record every step)."""
    from tapejit.lax import scan_as

    step = lambda c, x: (tj.math.tanh(c * x), c * x)
    carry, ys = scan_as(True, step, h, xs, None, False)
    return tj.reduce_sum(carry) + tj.reduce_sum(ys)


CASES = {
    "sin_mul": (_sin_mul, [np.ones(4, f32), np.ones(4, f32)]),
    "dense_softplus": (_dense_softplus, [np.ones((2, 3), f32), np.ones((3, 2), f32),
                                         np.ones(2, f32)]),
    "broadcast": (_broadcast, [np.ones((3, 1), f32), np.ones((1, 4), f32)]),
    "softmax_xent": (_softmax_xent, [np.ones((2, 5), f32), np.ones((2, 5), f32)]),
    "slices": (_slices, [np.ones((3, 4), f32)]),
    "scan": (_scan, [np.ones(2, f32), np.ones((5, 2), f32)]),
}


def _programs(fn, args):
    from tapejit.lowering import lower_programs

    tensors = [tj.constant(a) for a in args]
    with tj.GradientTape() as tape:
        tape.watch(tensors)
        out = fn(*tensors)
    ir = tape.lower(out, tensors)
    fused = lower_programs(tj.value_and_grad(fn, tuple(range(len(args)))), args)[3]
    return {"forward": str(ir.forward), "backward": str(ir.backward), "fused": str(fused)}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("which", ["forward", "backward", "fused"])
def test_printed_program_matches_golden(name, which):
    fn, args = CASES[name]
    text = _programs(fn, args)[which] + "\n"
    path = GOLDEN / f"{name}.{which}.txt"
    if os.environ.get("TAPEJIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with TAPEJIT_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} changed; diff it and regenerate if intended"


def test_make_ir_matches_the_tape_forward_program():
    fn, args = CASES["sin_mul"]
    assert str(tj.make_ir(fn)(*args)) == _programs(fn, args)["forward"]
