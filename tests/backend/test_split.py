"""Big programs compile as several kernels (backend/split.py) and loops of bounded length
(passes/fuse.py), and compute exactly what one kernel or eager execution computes; a kernel
Numba cannot compile is remembered, not retried."""

import dataclasses

import numpy as np
import pytest

import tapejit as tj
import tapejit.backend.executable as executable
import tapejit.passes.fuse as fuse
from tapejit.backend.numba_cpu.kernel_cache import default_cache
from tapejit.backend.split import program_weight, split_program
from tapejit.lowering import lower_programs

STEPS = [tj.math.sin, lambda x: x * 1.01, lambda x: x + 0.1, tj.math.tanh,
         lambda x: tj.math.exp(x * 0.1)]


def chain(x, n=24):
    for i in range(n):
        x = STEPS[i % len(STEPS)](x)
    return tj.reduce_sum(x) + tj.reduce_sum(tj.math.square(x), axis=0)


@pytest.fixture
def small_kernels(monkeypatch):
    monkeypatch.setattr(executable, "KERNEL_BUDGET", 12)
    monkeypatch.setattr(fuse, "MAX_GROUP", 8)


def test_split_parts_read_only_what_came_before(small_kernels):
    _, _, _, fused = lower_programs(tj.value_and_grad(chain), (np.ones(5),))
    parts = split_program(fused, budget=12)
    assert len(parts) > 2
    assert all(program_weight(p) <= 12 or len(p.eqns) == 1 for p in parts)
    available = {id(v) for v in fused.inputs}
    for part in parts:
        assert all(id(v) in available for v in part.inputs)
        available.update(id(v) for e in part.eqns for v in e.outputs)
    assert parts[-1].outputs == fused.outputs
    assert sum(program_weight(p) for p in parts) == program_weight(fused)


def test_a_split_program_equals_one_kernel_and_eager(monkeypatch):
    x = np.linspace(-1.0, 1.0, 37)
    one_value, one_grad = tj.jit(tj.value_and_grad(chain))(x)
    monkeypatch.setattr(executable, "KERNEL_BUDGET", 12)
    monkeypatch.setattr(fuse, "MAX_GROUP", 8)
    f = tj.jit(tj.value_and_grad(chain))
    value, grad = f(x)
    assert f.lower(x).source.count("---- kernel") > 2
    assert float(value) == float(one_value)
    np.testing.assert_array_equal(grad.numpy(), one_grad.numpy())
    eager_value, eager_grad = tj.value_and_grad(chain)(x)
    np.testing.assert_allclose(float(value), float(eager_value), rtol=1e-13)
    np.testing.assert_allclose(grad.numpy(), eager_grad.numpy(), rtol=1e-13)
    np.testing.assert_array_equal(f(x)[1].numpy(), grad.numpy())


def test_outputs_from_early_parts_and_inputs_pass_through(small_kernels):
    def many(x, y):
        first = tj.math.sin(x) * 2.0
        return first, y, chain(x, 12), 3.0 * first

    x, y = np.linspace(0.0, 1.0, 6), np.arange(4.0)
    got = tj.jit(many)(x, y)
    want = many(tj.constant(x), tj.constant(y))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-13)
    assert got[1].numpy() is not y


def test_loops_are_bounded(small_kernels):
    _, _, _, fused = lower_programs(chain, (np.ones(5),))
    bodies = [len(e.params["body"].eqns) for e in fused.eqns if e.prim.name == "fused"]
    assert len(bodies) > 2 and max(bodies) <= fuse.MAX_GROUP


def test_a_kernel_numba_cannot_compile_is_not_retried(monkeypatch):
    """The failure is kept beside the kernel: a new process (here: an empty memory cache and
    a new jit) goes to the interpreter without compiling again."""
    original = executable.NUMBA.lower

    def broken(program, **kw):
        source = original(program, **kw)
        head, rest = source.text.split("def entry(", 1)
        signature, body = rest.split(":\n", 1)
        text = f"{head}def entry({signature}:\n    _ = name_numba_cannot_type\n{body}"
        return dataclasses.replace(source, text=text)

    monkeypatch.setattr(executable.NUMBA, "lower", broken)
    x = np.linspace(0.0, 1.0, 5)
    fn = lambda t: t * 2.0 + 1.2345  # noqa: E731
    with pytest.warns(RuntimeWarning, match="failed to compile"):
        np.testing.assert_allclose(tj.jit(fn)(x).numpy(), x * 2.0 + 1.2345)
    default_cache().clear_memory()
    compiled = []
    monkeypatch.setattr(executable.NUMBA, "load", lambda source: compiled.append(source))
    again = tj.jit(fn)
    with pytest.warns(RuntimeWarning, match="remembered from an earlier process"):
        np.testing.assert_allclose(again(x).numpy(), x * 2.0 + 1.2345)
    assert not compiled
    assert "name_numba_cannot_type" in again.lower(x).source.splitlines()[0]
