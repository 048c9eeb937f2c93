"""The first tier answers a new signature at once, with the specialized kernel's bits: over
the op table (float32 and float64, values and gradients), special values, loops and branches,
random programs, and across the switch from one tier to the other."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import tapejit as tj
from tapejit.backend.executable import first_tier
from tapejit.control import all_primitives
from tests.optable import CASES, one_per_primitive, sample
from tests.test_jit import JIT_PARAMS, forward_and_gradients
from tests.test_random_programs import COMMON, COMPILED_OPS, build, inputs, programs

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -3e-39, 1e30, -7e5, 3e12, 2.0**41]


@pytest.fixture(autouse=True)
def _tiered():
    """The suite waits for kernels (conftest); these tests take the default path."""
    old = tj.config.sync_compile
    tj.config.update("sync_compile", False)
    yield
    tj.config.update("sync_compile", old)


def _bits(value) -> np.ndarray:
    array = np.ascontiguousarray(np.asarray(value))
    return array.view(np.uint8) if array.dtype.kind == "f" else array


def _assert_same_bits(first, kernel) -> None:
    assert len(first) == len(kernel)
    for a, b in zip(first, kernel):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(_bits(a), _bits(b))


def _tiers(fn, *args):
    """(first tier's outputs, specialized kernel's outputs), or None when the first tier
    cannot run the program (with the reason)."""
    f = tj.jit(fn)
    entry, leaves = f._entry(args)
    f.wait()
    arrays = entry.kernel_args(leaves)
    fused = entry.lowered.fused
    tier = first_tier(fused)
    if tier is None:
        return None
    dtypes = [a.type.dtype for a in fused.outputs]  # rank 0: a NumPy or a Python scalar
    return ([np.asarray(o, d) for o, d in zip(tier(arrays), dtypes)],
            [np.asarray(o, d) for o, d in zip(entry.executable(arrays), dtypes)])


def _elementwise(case) -> bool:
    kinds = {name: p.kind for name, p in all_primitives().items()}
    return kinds.get(case.prim) in ("elementwise", "reduce", "broadcast")


OP_TABLE = [pytest.param(*p.values, dtype, id=f"{p.id}-{dtype.__name__}")
            for p in one_per_primitive(JIT_PARAMS) for dtype in (np.float32, np.float64)
            if dtype == np.float64 or _elementwise(p.values[0])]
"""float64 for every primitive; float32 too where a primitive computes (its own scalar
code, vmath's float32 functions), not where it moves data or calls BLAS/LAPACK."""


@pytest.mark.parametrize("case,shapes,dtype", OP_TABLE)
def test_first_tier_equals_the_kernel_bit_for_bit(case, shapes, dtype):
    """Each primitive's program: in float64 its output, value and gradients, the program
    test_jit compiles (so only the first tier's kernels are new here); in float32 its
    output."""
    args = [a.astype(dtype) for a in sample(case, shapes, np.random.default_rng(3))]
    pair = _tiers(forward_and_gradients(case) if dtype == np.float64 else case.fn, *args)
    assert pair is not None, f"{case.id}: no first tier"
    _assert_same_bits(*pair)


UNARY = [pytest.param(c, c.shapes[min(2, len(c.shapes) - 1)][0], id=c.id) for c in CASES
         if len(c.shapes[0]) == 1 and c.make is None and _elementwise(c)
         and isinstance(c.shapes[min(2, len(c.shapes) - 1)][0], tuple)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case,shape", one_per_primitive(UNARY))
def test_special_values_agree_bit_for_bit(case, shape, dtype):
    x = np.resize(np.array(SPECIAL, dtype), shape)
    with np.errstate(all="ignore"):
        pair = _tiers(case.fn, x)
    assert pair is not None
    _assert_same_bits(*pair)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_empty_trig_argument_runs_on_the_first_tier(dtype):
    pair = _tiers(tj.grad(lambda x: tj.reduce_sum(tj.math.sin(x) * tj.math.cos(x))),
                  np.zeros((0, 3), dtype))
    assert pair is not None
    _assert_same_bits(*pair)
    assert pair[0][0].shape == (0, 3)


def test_a_group_takes_libm_trig_when_any_argument_is_beyond_vmath():
    """One huge argument to cos sends the group's sin to libm too, in both tiers."""
    def fn(x, y):
        return tj.math.sin(x) * 2.0 + tj.math.cos(y)

    x = np.linspace(-3, 3, 40)
    for y_big in (0.5, 2.0**45):
        y = np.full(40, 0.25)
        y[7] = y_big
        for dtype in (np.float32, np.float64):
            _assert_same_bits(*_tiers(fn, x.astype(dtype), y.astype(dtype)))


def test_scalar_programs_take_libm_in_both_tiers():
    def fn(x):
        return tj.math.exp(x) * tj.math.tanh(x) + tj.nn.sigmoid(x) + tj.nn.softplus(x)

    for x in (0.3, np.float32(0.3), -20.0):
        _assert_same_bits(*_tiers(tj.value_and_grad(fn), x))


def test_solves_and_factorizations_call_the_kernels_wrappers_with_its_bits():
    """A batch of float32 matrices, one singular and one with a NaN: the first tier calls the
    compiled-once LAPACK wrappers (no kernel of its own calls one) and gives the kernel's
    bits, NaN in the rejected matrices' slots."""
    from tapejit.backend.numba_cpu.kernel_cache import first_tier_directory

    rng = np.random.default_rng(4)
    a = (rng.standard_normal((4, 3, 3)) + 4.0 * np.eye(3)).astype(np.float32)
    a[1] = 0.0
    a[2, 0, 1] = np.nan
    b = rng.standard_normal((4, 3, 2)).astype(np.float32)

    def fn(a, b):
        spd = a @ tj.transpose(a, (0, 2, 1)) + 0.5 * tj.numpy.eye(3, dtype=np.float32)
        return (tj.numpy.linalg.cholesky(spd), tj.numpy.linalg.slogdet(a)[1],
                tj.numpy.linalg.solve(a, b))

    first, kernel = _tiers(fn, a, b)
    _assert_same_bits(first, kernel)
    assert np.isnan(first[2][1]).all() and np.isnan(first[1][2])
    assert np.isfinite(first[2][0]).all() and np.isfinite(first[0][0]).all()
    texts = [p.read_text() for p in (first_tier_directory() / "kernels").glob("k_*.py")]
    assert texts and not any("lapack_" in text for text in texts)


def _threaded_kernel_files() -> set:
    from tapejit.backend.numba_cpu.kernel_cache import first_tier_directory

    return {p.name for p in (first_tier_directory() / "kernels").glob("k_*.py")
            if "parallel=True" in p.read_text()}


def test_large_steps_run_on_threaded_kernels_with_the_same_bits(monkeypatch):
    """A large elementwise step takes its threaded kernel once that is compiled, and gives
    the kernel's bits (a broadcast row, a literal, sin's range check). The threshold is
    lowered to keep the arrays small: a threaded text does not depend on sizes. A first call
    alone never compiles one."""
    from tapejit.backend.numba_cpu import first_tier as tier_module

    monkeypatch.setattr(tier_module, "THREADED_MIN", 64)
    x = np.linspace(-3, 3, 600, dtype=np.float32).reshape(3, 200)
    y = np.linspace(0.5, 1, 200, dtype=np.float32)

    def fn(x, y):
        return tj.numpy.maximum((tj.math.sin(x) + 1.5) ** y, 1.0)

    before = _threaded_kernel_files()
    _assert_same_bits(*_tiers(fn, x, y))
    assert _threaded_kernel_files() == before
    monkeypatch.setattr(tj.config, "first_tier_compile_threaded", True)
    _assert_same_bits(*_tiers(fn, x, y))
    assert len(_threaded_kernel_files() - before) == 3  # sin, pow, maximum (not the exact add)
    monkeypatch.setattr(tj.config, "first_tier_compile_threaded", False)
    x[1, 3] = 2.0**45  # beyond vmath: the group reruns on libm's sin, serially
    _assert_same_bits(*_tiers(fn, x, y))


def _prange_count(executable) -> int:
    return executable.source.count("prange(")


def test_a_threaded_convolution_kernel_takes_over_with_the_same_bits(monkeypatch, capsys):
    """By default a large convolution's kernel first runs its chunks serially while the
    compile worker compiles the threaded variant: a large convolution's chunks, a large
    pooling's batch items in the kernel's own prange (thresholds lowered here: the text does
    not depend on sizes otherwise). It takes over once ready, and the next process loads it
    at once. The first tier, the serial kernel and the threaded one give the same bits. Both
    kinds of convolution loop are here: the forward one (many outputs; an input gradient is
    one of that kind, left out as each prange costs seconds of compile) and the weight
    gradient's, whose partial sums come in three waves."""
    from tapejit.backend.executable import build
    from tapejit.backend.numba_cpu import conv_code

    monkeypatch.setattr(tj.config, "parallel_convolutions", None)
    monkeypatch.setattr(conv_code, "CONV_PARALLEL_MIN", 1)
    monkeypatch.setattr(conv_code, "WINDOW_PARALLEL_MIN", 1)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(64, 16, 16, 8)).astype(np.float32)
    w = rng.normal(size=(3, 3, 8, 16)).astype(np.float32)

    def loss(x, w):
        h = tj.nn.conv2d(x, w, 1, "SAME")
        return tj.reduce_sum(tj.math.sin(tj.nn.max_pool2d(h, 4, 4, "VALID")))

    step = tj.value_and_grad(loss, argnums=1)
    f = tj.jit(step)
    monkeypatch.setattr(tj.config, "debug", 1)
    answered = f(x, w)
    entry, leaves = f._entry((x, w))
    assert entry.upgrade is not None and "first_tier_s" in f.compile_stats(x, w)
    f.wait()
    monkeypatch.setattr(tj.config, "debug", 0)
    assert "threaded convolution kernel took over" in capsys.readouterr().out
    threaded, arrays = entry.executable, entry.kernel_args(leaves)
    assert entry.upgrade is None and f.compile_stats(x, w)["threaded_kernel_s"] > 0
    for part in ("conv_chunk(", "window_reduce_part(", "window_select_part("):
        assert part in threaded.source
    serial = build(entry.lowered.fused)  # on disk: the worker compiled it first
    assert _prange_count(threaded) == _prange_count(serial) + 4  # each convolution and pool
    assert f.lower(x, w).source == threaded.source
    tier = first_tier(entry.lowered.fused)(arrays)
    _assert_same_bits(tier, serial.first_call(arrays))
    _assert_same_bits(tier, threaded(arrays))
    for _ in range(2):  # the second call takes the lean path, on the threaded kernel
        _assert_same_bits([answered[0], answered[1]], list(f(x, w)))

    again = tj.jit(step)
    again(x, w)
    entry = again._entry((x, w))[0]
    assert entry.upgrade is None and "first_tier_s" not in again.compile_stats(x, w)
    assert entry.executable.source == threaded.source
    monkeypatch.setattr(tj.config, "parallel_convolutions", False)
    assert tj.jit(step).lower(x, w).source == serial.source
    monkeypatch.setattr(tj.config, "parallel_convolutions", None)
    monkeypatch.setattr(tj.config, "compile_workers", 0)  # no hand-over in this process
    serial_only = tj.jit(step)
    serial_only(x, w)
    assert serial_only._entry((x, w))[0].upgrade is None
    assert serial_only.lower(x, w).source == serial.source
    monkeypatch.setattr(tj.config, "compile_workers", 1)
    for setting, sync in ((True, False), (None, True)):  # threaded at once
        monkeypatch.setattr(tj.config, "parallel_convolutions", setting)
        monkeypatch.setattr(tj.config, "sync_compile", sync)
        assert tj.jit(step).lower(x, w).source == threaded.source
    monkeypatch.setattr(tj.config, "parallel_convolutions", False)  # eager: serial kernels
    value, grads = step(x, w)
    for got, want in zip(answered, [value, grads]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-3)


@settings(max_examples=3, **COMMON)
@given(programs(max_ops=8, ops=COMPILED_OPS))
def test_random_programs_agree_bit_for_bit(program):
    shapes, steps, seed = program
    fn = build(shapes, steps)
    value_and_grads = tj.value_and_grad(fn, tuple(range(len(shapes))))
    for dtype in (np.float64, np.float32):
        args = [np.asarray(a, dtype) for a in inputs(shapes, seed)]
        first, kernel = _tiers(value_and_grads, *args)
        _assert_same_bits(first, kernel)
        if dtype == np.float64:  # and both are the eager numbers (test_random_programs)
            value, grads = value_and_grads(*args)
            np.testing.assert_allclose(kernel[0], value.numpy(), rtol=1e-12, atol=1e-12)
            for got, want in zip(kernel[1:], grads):
                np.testing.assert_allclose(got, want.numpy(), rtol=1e-11, atol=1e-12)


def test_the_first_call_answers_before_the_kernel_and_nothing_changes_after():
    f = tj.jit(tj.value_and_grad(lambda w, x: tj.reduce_mean(tj.math.tanh(x @ w) ** 2)))
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((5, 3)), rng.standard_normal((8, 5))
    first = f(w, x)
    assert f.compile_stats(w, x)["first_tier_s"] > 0
    f.wait()
    assert f.compile_stats(w, x)["first_call_s"] > 0  # the kernel's, in the background
    later = f(w, x)
    _assert_same_bits([first[0], first[1]], [later[0], later[1]])
    assert f.cache_info().misses == 1
    g = tj.jit(tj.value_and_grad(lambda w, x: tj.reduce_mean(tj.math.tanh(x @ w) ** 2)))
    g(w, x)  # the same program: its kernel is on disk now, and is loaded at once
    assert "first_tier_s" not in g.compile_stats(w, x)


def test_sync_compile_waits_for_the_kernel():
    tj.config.update("sync_compile", True)
    f = tj.jit(lambda x: tj.math.sin(x) * 3.0 + tj.math.cos(x))
    x = np.linspace(0, 1, 5)
    f(x)
    assert "first_tier_s" not in f.compile_stats(x)


def _euler(k, x0, steps):
    x, v = x0, x0 * 0.0
    for _ in range(steps):  # rerolled into a scan
        x, v = x + 0.01 * v, v - 0.01 * (k * tj.math.sin(x) + 0.1 * v)
    return x * x + v * v


CONTROL_PROGRAMS = {
    "fori_loop": (lambda x: tj.lax.fori_loop(0, 4, lambda i, c: tj.math.sin(c) * 0.5 + c, x),
                  (np.linspace(0, 1, 5),)),
    "while_loop": (lambda x: tj.lax.while_loop(lambda c: tj.reduce_sum(c) < 10.0,
                                               lambda c: c * 1.5 + 0.1, x),
                   (np.linspace(0, 1, 5),)),
    "cond": (lambda x: tj.lax.cond(tj.reduce_sum(x) > 0, lambda a: tj.math.exp(a),
                                   lambda a: tj.math.tanh(a) * 2.0, x), (np.linspace(-1, 1, 5),)),
    "scan grad": (tj.grad(lambda x: tj.reduce_sum(tj.lax.scan(
        lambda c, xi: (tj.math.tanh(c * xi + 0.5), c * xi), x[0], x)[1])),
        (np.linspace(0.1, 1, 6),)),
    "bounded while grad": (tj.grad(lambda x: tj.reduce_sum(tj.while_loop(
        lambda i, v: i < 5, lambda i, v: (i + 1, tj.math.sin(v) + v * 0.5),
        [tj.constant(0), x], maximum_iterations=3)[1])), (np.linspace(0, 1, 4),)),
    "while grad": (tj.grad(lambda x: tj.reduce_sum(tj.lax.while_loop(
        lambda c: tj.reduce_sum(c[0]) < 4.0, lambda c: (c[0] * 1.5 + 0.1, tj.math.sin(c[1]) * x),
        (x, x))[1])), (np.linspace(0.2, 1, 4),)),
    "checkpoint grad": (tj.grad(lambda x: tj.reduce_sum(tj.checkpoint(
        lambda a: tj.math.sin(tj.math.cos(a)) * a)(x))), (np.linspace(0, 1, 4),)),
    "euler grad": (tj.grad(lambda k, x0: _euler(k, x0, 12), (0, 1)), (0.7, 0.4)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONTROL_PROGRAMS))
def test_loops_branches_and_calls_run_on_the_first_tier(name, dtype):
    fn, args = CONTROL_PROGRAMS[name]
    args = [np.asarray(a, dtype) for a in args]
    pair = _tiers(fn, *args)
    assert pair is not None
    _assert_same_bits(*pair)


def test_outputs_of_the_first_tier_are_fresh_arrays():
    f = tj.jit(lambda x, y: (x, tj.broadcast_to(y, (3, 2)), x * 1.0, x))
    x, y = np.ones(2), np.arange(2.0)
    outs = f(x, y)
    arrays = [o.numpy() for o in outs]
    assert not any(np.shares_memory(a, x) or np.shares_memory(a, y) for a in arrays)
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[:i])
    assert all(a.flags.writeable for a in arrays)
    f.wait()


def test_programs_share_the_first_tiers_kernels():
    """Another program of the same primitives (other constants, another size) compiles no
    shared kernel: it finds them all, as cache_info() reports."""
    f = tj.jit(lambda a: tj.math.tanh(a) * 2.0 + 1.0 - a)
    f(np.linspace(0, 1, 7))
    f.wait()
    before = f.cache_info()
    g = tj.jit(lambda a: tj.math.tanh(a * 3.0) + 5.0 - a)
    g(np.linspace(0, 1, 11))
    g.wait()
    after = g.cache_info()
    assert after.shared_kernel_misses == before.shared_kernel_misses
    assert after.shared_kernel_hits > before.shared_kernel_hits
