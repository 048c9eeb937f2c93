"""A fused group whose last axis is short (an NHWC activation with few channels) loops over
its last two axes merged, operands over one of them tiled into a row: the kernel's values
are the unmerged kernel's, bit for bit, for views, tiles, transposed inputs and
broadcasts; groups with reductions or long rows keep their loop nest."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import short_rows


def _bits(x) -> np.ndarray:
    x = np.asarray(x)
    return x.view(np.uint8) if x.dtype == np.bool_ else x.view(f"u{x.dtype.itemsize}")


def _kernel(fn, *args):
    """The jitted values (from the kernel, not the first tier) and the kernel's source."""
    jitted = tj.jit(fn)
    jitted(*args)
    jitted.wait()
    out = jitted(*args)
    return [np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))], \
        jitted.lower(*args).source


def _relu_bias(x, b):
    y = x + b
    return y > 0, tj.where(y > 0, y, 0.0)


def _mixed(x, row, column, scale):
    """A view over the merged axes (x), one broadcast over the leading axes (row: W x C),
    a tile of the last axis (scale), a tile of the one before (column: W x 1), and math
    that is not exact (exp, tanh)."""
    return tj.math.exp(x * scale) + tj.math.tanh(row - column) * x


def _cases(rng, dtype):
    x = rng.normal(size=(3, 5, 7, 6)).astype(dtype)
    return {
        "relu_bias": (_relu_bias, x, rng.normal(size=6).astype(dtype)),
        "mixed": (_mixed, x, rng.normal(size=(7, 6)).astype(dtype),
                  rng.normal(size=(7, 1)).astype(dtype), rng.normal(size=6).astype(dtype)),
        "transposed": (_relu_bias, np.transpose(rng.normal(size=(6, 7, 5, 3)).astype(dtype)),
                       rng.normal(size=6).astype(dtype)),
    }


@pytest.mark.parametrize("case,dtype", [("relu_bias", np.float32), ("mixed", np.float32),
                                        ("mixed", np.float64), ("transposed", np.float64)])
def test_merged_rows_give_the_loop_nest_bits(case, dtype, monkeypatch):
    fn, *args = _cases(np.random.default_rng(3), dtype)[case]
    merged, source = _kernel(fn, *args)
    assert "irow" in source
    monkeypatch.setattr(short_rows, "SHORT_ROW", 0)
    nested, source = _kernel(fn, *args)
    assert "irow" not in source
    for a, b in zip(merged, nested):
        np.testing.assert_array_equal(_bits(a), _bits(b))


def test_merged_rows_match_numpy():
    rng = np.random.default_rng(4)
    x, b = rng.normal(size=(4, 6, 6, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    (mask, relu), source = _kernel(_relu_bias, x, b)
    assert "irow" in source
    y = x + b
    np.testing.assert_array_equal(mask, y > 0)
    np.testing.assert_array_equal(_bits(relu), _bits(np.where(y > 0, y, np.float32(0))))


def test_reductions_and_long_rows_keep_the_loop_nest():
    rng = np.random.default_rng(5)
    short = rng.normal(size=(4, 6, 6, 3)).astype(np.float32)
    _, source = _kernel(lambda x: (x * 2.0, tj.reduce_sum(x * 2.0, axis=(0, 1, 2))), short)
    assert "irow" not in source
    long = rng.normal(size=(4, 6, 6, 16)).astype(np.float32)
    _, source = _kernel(lambda x: x * 2.0, long)
    assert "irow" not in source


def test_an_operand_over_an_outer_and_a_merged_axis_keeps_the_loop_nest():
    """(N, 1, 1, C): neither a view of both merged axes nor a tile of one."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 6, 6, 3)).astype(np.float32)
    per_item = rng.normal(size=(4, 1, 1, 3)).astype(np.float32)
    (out,), source = _kernel(lambda a, s: a * s, x, per_item)
    assert "irow" not in source
    np.testing.assert_array_equal(out, x * per_item)


def _bias_grads(mask, g, n):
    """A relu's backward and its bias gradient (a sum over all axes but the channels), a
    max over the same axes, and an integer sum that wraps."""
    z = tj.where(mask, g, 0.0)
    return (z, tj.reduce_sum(z, axis=(0, 1, 2)), tj.reduce_max(g * 2.0, axis=(0, 1, 2)),
            tj.reduce_sum(n * 3, axis=(0, 1, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_over_all_but_a_short_last_axis_keep_their_bits(dtype, monkeypatch):
    """Written once per channel into scalars: the loop nest's bits, and NumPy's (the same
    order: rows one after another)."""
    rng = np.random.default_rng(7)
    g = rng.normal(size=(3, 5, 7, 6)).astype(dtype)
    n = rng.integers(-2**30, 2**30, size=(3, 5, 7, 6)).astype(np.int32)
    args = (g > 0.2, g, n)
    per_channel, source = _kernel(_bias_grads, *args)
    assert "a0_" in source and "a5_" in source
    monkeypatch.setattr(short_rows, "SHORT_ROW", 0)
    nested, source = _kernel(_bias_grads, *args)
    assert "a0_" not in source
    for a, b in zip(per_channel, nested):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    z = np.where(g > 0.2, g, dtype(0))
    np.testing.assert_array_equal(_bits(per_channel[1]), _bits(z.sum((0, 1, 2))))
    np.testing.assert_array_equal(per_channel[3], (n * 3).sum((0, 1, 2), dtype=np.int32))


def test_other_reductions_keep_their_loops():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 5, 6)).astype(np.float32)
    _, source = _kernel(lambda a: tj.reduce_sum(a * 2.0, axis=(0, 2)), x)  # keeps axis 1
    assert "a0_" not in source
    _, source = _kernel(lambda a: tj.reduce_sum(a * 2.0, axis=(0, 1)), x)
    assert "a0_" in source
