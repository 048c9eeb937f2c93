"""The first tier's exact operations (IEEE arithmetic, comparisons, wrapping integer
arithmetic, data movement) run on NumPy without kernels, and give the kernel's bits; a
rank-0 group runs as one generated Python function."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.executable import first_tier
from tests.test_first_tier import SPECIAL, _assert_same_bits, _tiered  # noqa: F401

FLOATS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -3e-39, 1e30, -7e5, 2.0**41, 3.0, 1.0]
INTS = [0, 1, -1, 7, -3, 2**31 - 1, -(2**31), 46341]


def _float_ops(x, y):
    both = x > y
    return (x + y, x - y, x * y, x / y, -x, x * x, tj.math.abs(x), tj.math.sqrt(x),
            both, x >= y, x < y, x <= y, tj.math.equal(x, y), tj.math.not_equal(x, y),
            tj.where(both, x, y), tj.math.logical_and(both, x < 1.0),
            tj.math.logical_or(both, x < 1.0), tj.math.logical_not(both),
            tj.stop_gradient(x) * 2.0 + 1.0, x**3, x**-2, x**0, x**8)


def _int_ops(x, y):
    return (x + y, x - y, x * y, -x, x * x, x > y, tj.math.equal(x, y),
            tj.where(x < y, x, y), x * 3 + 1, x**3)


def _tier_pair(fn, values):
    """The first tier and the kernel of `fn` on each pair of `values`, side by side."""
    f = tj.jit(fn)
    entry, _ = f._entry(values[0])
    f.wait()
    tier = first_tier(entry.lowered.fused)
    assert tier is not None
    dtypes = [a.type.dtype for a in entry.lowered.fused.outputs]
    for args in values:
        arrays = entry.kernel_args(f._entry(args)[1])
        with np.errstate(all="raise"):  # the first tier itself warns of nothing
            got = tier(arrays)
        yield ([np.asarray(o, d) for o, d in zip(got, dtypes)],
               [np.asarray(o, d) for o, d in zip(entry.executable(arrays), dtypes)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_float_operations_give_the_kernels_bits(dtype):
    pairs = [(dtype(a), dtype(b)) for a, b in itertools.product(FLOATS, repeat=2)]
    with np.errstate(all="ignore"):
        for first, kernel in _tier_pair(_float_ops, pairs):
            _assert_same_bits(first, kernel)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_operations_wrap_as_the_kernel_does(dtype):
    pairs = [(dtype(a), dtype(b)) for a, b in itertools.product(INTS, repeat=2)]
    for first, kernel in _tier_pair(_int_ops, pairs):
        _assert_same_bits(first, kernel)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_operations_on_broadcast_arrays_give_the_kernels_bits(dtype):
    """Every pair of special values at once: a column against a row."""
    x = np.array(FLOATS, dtype)
    with np.errstate(all="ignore"):
        for pair in [(x[:, None], x), (x, x[::-1])]:
            for first, kernel in _tier_pair(_float_ops, [pair]):
                _assert_same_bits(first, kernel)


def _moved(x, y):
    """Slices, pads, reshapes, transposes, reversals, concatenation, broadcasts."""
    top = tj.pad(x[1:, ::2], [[1, 0], [0, 2]])
    return (tj.concat([tj.transpose(top), tj.reverse(tj.transpose(top), [0])[:3]], axis=0) + 0.0,
            tj.reshape(x, (-1,))[3:9] * tj.broadcast_to(y, (6,)), tj.expand_dims(y, 0) - x)


def test_data_movement_needs_no_kernel_and_gives_the_kernels_bits():
    x = np.arange(20.0).reshape(4, 5) / 7.0
    y = np.float64(0.3)
    f = tj.jit(_moved)
    before = f.cache_info()
    first = f(x, y)
    after = f.cache_info()
    assert f.compile_stats(x, y)["first_tier_s"] > 0
    assert after.shared_kernel_misses + after.shared_kernel_hits == (
        before.shared_kernel_misses + before.shared_kernel_hits)
    f.wait()
    _assert_same_bits([o.numpy() for o in first], [o.numpy() for o in f(x, y)])
    want = _moved(x, y)
    _assert_same_bits([o.numpy() for o in first], [o.numpy() for o in want])


def test_a_scalar_loop_body_of_exact_operations_calls_no_shared_kernel():
    """A fori_loop over scalars whose body is arithmetic only: the first tier answers with
    no shared kernel loaded or compiled (each used to cost a kernel call per iteration)."""
    body = lambda i, c: (c[0] + 0.01 * c[1], c[1] - 0.01 * (c[0] * 2.0 + 0.1 * c[1]))  # noqa: E731
    f = tj.jit(lambda x: tj.lax.fori_loop(0, 200, body, (x, x * 0.5)))
    x = np.float64(0.75)
    before = f.cache_info()
    first = f(x)
    after = f.cache_info()
    assert f.compile_stats(x)["first_tier_s"] > 0
    assert (after.shared_kernel_hits, after.shared_kernel_misses) == (
        before.shared_kernel_hits, before.shared_kernel_misses)
    f.wait()
    later = f(x)
    _assert_same_bits([first[0], first[1]], [later[0], later[1]])
    want = (0.75, 0.375)
    for _ in range(200):
        want = (want[0] + 0.01 * want[1], want[1] - 0.01 * (want[0] * 2.0 + 0.1 * want[1]))
    np.testing.assert_array_equal([float(first[0]), float(first[1])], want)
