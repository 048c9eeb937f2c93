"""Kernels compile in a worker process while the first tier answers: the caller then loads
the compiled code from disk, with the same bits; a killed worker loses nothing."""

from __future__ import annotations

import os
import signal
import threading
import warnings

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu.compile_worker import drain, worker_pid


@pytest.fixture(autouse=True)
def _tiered_with_a_worker():
    """The suite waits for kernels (conftest); these tests take the default path."""
    old = tj.config.sync_compile, tj.config.compile_workers
    tj.config.update("sync_compile", False)
    tj.config.update("compile_workers", 1)
    yield
    tj.config.update("sync_compile", old[0])
    tj.config.update("compile_workers", old[1])


def _program(scale: float, fn=tj.math.tanh):
    return tj.jit(tj.grad(lambda x: tj.reduce_sum(fn(x * scale) * x)))


def test_the_worker_compiles_and_the_caller_loads_the_same_bits_from_disk():
    f, x = _program(1.25), np.linspace(-2.0, 2.0, 37)
    first = f(x).numpy()
    f.wait()
    stats = f.compile_stats(x)
    assert stats["worker_compile_s"] > 0 and stats["kernel_from_disk"]
    assert worker_pid() is not None
    np.testing.assert_array_equal(f(x).numpy(), first)
    np.testing.assert_allclose(first, np.tanh(1.25 * x) + 1.25 * x / np.cosh(1.25 * x) ** 2,
                               rtol=1e-12)


def test_a_killed_worker_loses_no_result_and_the_next_kernel_starts_a_new_one():
    f, x = _program(0.75, tj.math.sigmoid), np.linspace(-1.0, 1.0, 23)
    first = f(x).numpy()
    pid = worker_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # while it compiles
    with warnings.catch_warnings(record=True) as caught:  # the compile thread's too
        warnings.simplefilter("always")
        f.wait()
    assert not [w for w in caught if issubclass(w.category, tj.CacheWarning)]
    assert "worker_compile_s" not in f.compile_stats(x)  # the caller compiled it itself
    np.testing.assert_array_equal(f(x).numpy(), first)
    assert f.cache_info().misses == 1
    g, y = _program(0.5, tj.math.sin), np.linspace(0.0, 1.0, 11)
    g(y)
    g.wait()
    assert worker_pid() not in (None, pid) and g.compile_stats(y)["worker_compile_s"] > 0
    np.testing.assert_allclose(g(y).numpy(), np.sin(0.5 * y) + 0.5 * y * np.cos(0.5 * y),
                               rtol=1e-14, atol=1e-16)


def test_a_new_signature_answers_while_the_worker_compiles_another_kernel():
    """A compile in progress holds the pool's lock until the worker answers; a new
    signature's first call must not wait for it (it did: the main job's second jitted
    function waited 27 s for the first one's kernel)."""
    from tapejit.backend.numba_cpu import compile_worker

    f, x = _program(1.75, tj.math.exp), np.linspace(-1.0, 1.0, 7)
    answers: list = []
    with compile_worker._POOL.lock:  # as a compile in progress holds it
        caller = threading.Thread(target=lambda: answers.append(f(x).numpy()), daemon=True)
        caller.start()
        caller.join(timeout=60)
        answered = bool(answers)
    caller.join()
    f.wait()
    assert answered
    want = np.exp(1.75 * x) * (1.0 + 1.75 * x)
    np.testing.assert_allclose(answers[0], want, rtol=1e-12)
    np.testing.assert_array_equal(f(x).numpy(), answers[0])


def test_no_worker_compiles_in_the_callers_thread():
    tj.config.update("compile_workers", 0)
    f, x = _program(2.5, tj.math.softplus), np.linspace(-1.0, 1.0, 9)
    first = f(x).numpy()
    f.wait()
    stats = f.compile_stats(x)
    assert "worker_compile_s" not in stats and "worker_error" not in stats
    np.testing.assert_array_equal(f(x).numpy(), first)


def test_the_worker_compiles_the_other_side_of_the_parallel_threshold_when_idle():
    f = _program(1.5, tj.math.cos)
    small, big = np.linspace(-1.0, 1.0, 5000), np.linspace(-1.0, 1.0, 40_000)
    f(small)
    f.wait()
    assert drain()
    f(big)  # its text is the sibling's: on disk already, loaded without the first tier
    stats = f.compile_stats(big)
    assert stats["kernel_from_disk"] and "first_tier_s" not in stats
    np.testing.assert_allclose(f(big).numpy(), np.cos(1.5 * big) - 1.5 * big * np.sin(1.5 * big),
                               rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("n", [5000, 40_000])
def test_a_sibling_text_is_the_text_the_other_sizes_generate(n):
    """Near the threshold; far below it (50 values) no parallel sibling is compiled."""
    from tapejit.backend.numba_cpu.codegen import generate, sibling

    other_n = 40_000 if n == 5000 else 5000
    fn = tj.grad(lambda x: tj.reduce_sum(tj.math.exp(x) * x))
    program, other = (tj.jit(fn).lower(np.ones(k)).fused for k in (n, other_n))
    text = sibling(program, generate(program))
    assert text is not None and text.text == generate(other).text


def test_a_worker_grown_too_big_is_replaced_after_its_answer(monkeypatch):
    from tapejit.backend.numba_cpu import compile_worker

    monkeypatch.setattr(compile_worker, "RETIRE_MB", 1)
    f, x = _program(0.25, tj.math.log1p), np.linspace(-1.0, 1.0, 13)
    f(x)
    f.wait()
    assert f.compile_stats(x)["worker_compile_s"] > 0 and worker_pid() is None  # retired
    g, y = _program(0.25, tj.math.expm1), np.linspace(-1.0, 1.0, 7)
    g(y)
    g.wait()
    assert g.compile_stats(y)["worker_compile_s"] > 0  # by a new worker: retiring is no death


def test_no_parallel_sibling_far_below_the_threshold():
    from tapejit.backend.numba_cpu.codegen import generate, sibling

    program = tj.jit(tj.grad(lambda x: tj.reduce_sum(tj.math.exp(x) * x))).lower(np.ones(50)).fused
    assert sibling(program, generate(program)) is None


def test_the_worker_starts_on_the_kernel_while_the_first_tier_answers(monkeypatch):
    """With a worker process, the kernel's compile does not wait for the first tier's first
    call (on a fresh machine that call compiles the first tier's own kernels for seconds,
    and the main job's worker sat idle for 25 s of it)."""
    from tapejit import compiled
    from tapejit.backend.numba_cpu import numba_kernel

    asked = threading.Event()
    real_ask, real_tier = numba_kernel.compile_in_worker, compiled.first_tier

    def ask(*args, **kwargs):
        asked.set()
        return real_ask(*args, **kwargs)

    class WaitsForTheWorker:
        def __init__(self, kernel):
            self.kernel, self.saw_the_worker_asked = kernel, None

        def __call__(self, arrays):
            self.saw_the_worker_asked = asked.wait(timeout=20)
            return self.kernel(arrays)

    tiers = []

    def tier(fused):
        executable = real_tier(fused)
        executable.kernel = WaitsForTheWorker(executable.kernel)
        tiers.append(executable.kernel)
        return executable

    monkeypatch.setattr(numba_kernel, "compile_in_worker", ask)
    monkeypatch.setattr(compiled, "first_tier", tier)
    f, x = _program(1.125, tj.math.erf), np.linspace(-1.0, 1.0, 13)
    first = f(x).numpy()
    f.wait()
    assert len(tiers) == 1 and tiers[0].saw_the_worker_asked
    assert f.compile_stats(x)["worker_compile_s"] > 0
    np.testing.assert_array_equal(f(x).numpy(), first)
