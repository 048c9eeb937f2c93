"""vmath's padded copy of a convolution's input: zeros written on the border only when the
input is not dilated (the interior is copied over), the whole array otherwise; compared
with NumPy's pad (and cropping, for negative padding) over uninitialized memory."""

from __future__ import annotations

import numpy as np
import pytest

from tapejit.backend.numba_cpu.vmath import convolution


def _expected(x, pad_lo, dilation, height, width):
    n, h, w, c = x.shape
    dilated = np.zeros((n, (h - 1) * dilation[0] + 1, (w - 1) * dilation[1] + 1, c), x.dtype)
    dilated[:, ::dilation[0], ::dilation[1]] = x
    out = np.zeros((n, height, width, c), x.dtype)
    for y in range(height):
        for z in range(width):
            i, j = y - pad_lo[0], z - pad_lo[1]
            if 0 <= i < dilated.shape[1] and 0 <= j < dilated.shape[2]:
                out[:, y, z] = dilated[:, i, j]
    return out


@pytest.mark.parametrize("pad_lo,dilation,height,width", [
    ((1, 1), (1, 1), 7, 9),      # 'same' for a 3x3 kernel
    ((2, 0), (1, 1), 9, 7),      # one side only
    ((-1, -2), (1, 1), 3, 3),    # cropped
    ((1, 1), (2, 2), 11, 15),    # dilated input (a strided convolution's transpose)
    ((0, 0), (1, 1), 5, 7),      # no padding
])
def test_the_padded_copy_matches_numpy(pad_lo, dilation, height, width):
    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype(np.float32)
    for _ in range(3):  # reuse freed memory: NaN garbage left by the previous round
        np.full((2, height, width, 3), np.nan, np.float32)
        out = convolution._padded(x, np.array(pad_lo), np.array(dilation), height, width)
        np.testing.assert_array_equal(out, _expected(x, pad_lo, dilation, height, width))


def test_zero_border_leaves_the_interior():
    out = np.full((2, 5, 6, 3), np.nan, np.float32)
    convolution._zero_border(out, 1, 4, 2, 5)
    inside = np.zeros(out.shape, bool)
    inside[:, 1:4, 2:5] = True
    assert np.isnan(out[inside]).all() and (out[~inside] == 0).all()
