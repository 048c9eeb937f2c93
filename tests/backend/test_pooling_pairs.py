"""vmath's 2x2, stride-2 pooling loops (the common max-pooling) give the general loops'
values bit for bit: max, sum, and the arg-max gather and scatter, over NaNs, signed zeros,
infinities and ties."""

from __future__ import annotations

import numpy as np
import pytest

from tapejit.backend.numba_cpu.vmath import windows

WINDOW, STRIDES, LOW = (1, 2, 2, 1), (1, 2, 2, 1), (0, 0, 0, 0)
SHAPES = [(2, 4, 4, 1), (3, 7, 5, 3), (2, 8, 6, 6), (1, 6, 6, 16), (2, 5, 9, 2)]


def _values(size: int, dtype, rng) -> np.ndarray:
    """Rounded normals (ties) with NaNs, signed zeros and infinities mixed in."""
    x = np.round(rng.normal(size=size) * 2).astype(dtype)
    for value, share in ((np.nan, 0.15), (-0.0, 0.15), (np.inf, 0.05), (-np.inf, 0.05)):
        x[rng.random(size) < share] = value
    return x


def _bits(x: np.ndarray) -> np.ndarray:
    return x.view(np.uint32 if x.dtype == np.float32 else np.uint64)


def _cases() -> list:
    return [pytest.param(dtype, shape, id=f"{dtype.__name__}-{'x'.join(map(str, shape))}")
            for dtype in (np.float32, np.float64) for shape in SHAPES]


@pytest.mark.parametrize("dtype,shape", _cases())
@pytest.mark.parametrize("scatter", [True, False])
def test_arg_max_gather_and_scatter_match_the_general_loops(dtype, shape, scatter):
    rng = np.random.default_rng(sum(shape))
    out_shape = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
    assert windows._pairs(shape, WINDOW, STRIDES, LOW, out_shape)
    x = _values(int(np.prod(shape)), dtype, rng)
    v = _values(int(np.prod(out_shape if scatter else shape)), dtype, rng)
    size = int(np.prod(shape if scatter else out_shape))
    # a scatter writes every operand position, so its output may start as anything
    pairs = np.full(size, np.nan if scatter else 0, dtype)
    general = np.zeros(size, dtype)
    for k in range(shape[0]):
        windows.window_select_part(v, x, shape, WINDOW, STRIDES, LOW, out_shape,
                                   dtype(-np.inf), pairs, scatter, k)
        windows._pool_select_inside(v, x, shape, WINDOW, STRIDES, out_shape, general,
                                    scatter, k, k + 1)
    np.testing.assert_array_equal(_bits(pairs), _bits(general))


@pytest.mark.parametrize("dtype,shape", _cases())
@pytest.mark.parametrize("is_max", [True, False])
def test_max_and_sum_match_the_general_loops(dtype, shape, is_max):
    """Bit for bit, except which NaN a sum of +inf and -inf gives (LLVM may order an
    addition's operands either way, and x86 then keeps one NaN or the other)."""
    rng = np.random.default_rng(7 + sum(shape))
    out_shape = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
    x = _values(int(np.prod(shape)), dtype, rng)
    fill = dtype(-np.inf) if is_max else dtype(0)
    size = int(np.prod(out_shape))
    pairs, general = np.empty(size, dtype), np.empty(size, dtype)
    for k in range(shape[0]):
        windows.window_reduce_part(x, shape, WINDOW, STRIDES, LOW, out_shape, fill, is_max,
                                   pairs, k)
        windows._pool_reduce_inside(x, shape, WINDOW, STRIDES, out_shape, fill, is_max,
                                    general, k, k + 1)
    if is_max:
        np.testing.assert_array_equal(_bits(pairs), _bits(general))
    else:
        same = ~(np.isnan(pairs) & np.isnan(general))
        np.testing.assert_array_equal(_bits(pairs[same]), _bits(general[same]))
        np.testing.assert_array_equal(np.isnan(pairs), np.isnan(general))


def test_other_windows_take_the_general_loops():
    shape = (2, 6, 6, 3)
    assert not windows._pairs(shape, (1, 3, 3, 1), (1, 3, 3, 1), LOW, (2, 2, 2, 3))
    assert not windows._pairs(shape, WINDOW, (1, 1, 1, 1), LOW, (2, 5, 5, 3))
    assert not windows._pairs(shape, WINDOW, STRIDES, (0, 1, 1, 0), (2, 3, 3, 3))


@pytest.mark.parametrize("window,strides,low,out_shape", [
    ((1, 3, 3, 1), (1, 2, 2, 1), (0, 0, 0, 0), (2, 2, 3, 3)),   # inside, not pairs
    ((1, 2, 2, 1), (1, 2, 2, 1), (0, 1, 1, 0), (2, 3, 4, 3)),   # padded: spatial only
    ((2, 2, 2, 1), (1, 2, 2, 1), (0, 0, 0, 0), (1, 2, 3, 3)),   # over the batch: one part
])
def test_every_scatter_writes_its_whole_part(window, strides, low, out_shape):
    """Each scatter part starts from an uninitialized output: NaN-filled here, it must give
    what a zero-filled one gives."""
    shape = (2, 5, 7, 3)
    rng = np.random.default_rng(11)
    x = _values(int(np.prod(shape)), np.float32, rng)
    v = _values(int(np.prod(out_shape)), np.float32, rng)
    parts = windows.window_parts(shape, window, strides, low, out_shape)
    filled, zeros = np.full(x.size, np.nan, np.float32), np.zeros(x.size, np.float32)
    for out in (filled, zeros):
        for k in range(parts):
            windows.window_select_part(v, x, shape, window, strides, low, out_shape,
                                       np.float32(-np.inf), out, True, k)
    np.testing.assert_array_equal(_bits(filled), _bits(zeros))
