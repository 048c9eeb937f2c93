"""Naive NumPy references for convolution and windows: one output element at a time,
straight from the definitions in primitives/conv.py and primitives/window.py."""

from __future__ import annotations

import numpy as np


def _out_size(n, w, s, lo, hi, ld=1, rd=1):
    span = lo + ((n - 1) * ld + 1 if n else 0) + hi
    reach = (w - 1) * rd + 1
    return (span - reach) // s + 1 if span >= reach else 0


def conv_reference(x, w, strides, padding, lhs_dil, rhs_dil, groups=1):
    """out[n, o, f] = sum over taps k and channels c of its group of x at the tap's
    (dilated, padded) position times w[k, c, f]."""
    spatial, window = x.shape[1:-1], w.shape[:-2]
    per_group, features = w.shape[-2:]
    out_spatial = tuple(_out_size(n, k, s, lo, hi, ld, rd) for n, k, s, (lo, hi), ld, rd
                        in zip(spatial, window, strides, padding, lhs_dil, rhs_dil))
    out = np.zeros((x.shape[0],) + out_spatial + (features,))
    for index in np.ndindex(*out.shape):
        b, o, f = index[0], index[1:-1], index[-1]
        g = f // (features // groups)
        total = 0.0
        for tap in np.ndindex(*window):
            position = []
            for oi, ki, s, (lo, _), ld, rd, n in zip(o, tap, strides, padding, lhs_dil,
                                                     rhs_dil, spatial):
                q = oi * s + ki * rd - lo
                position.append(q // ld if 0 <= q < (n - 1) * ld + 1 and q % ld == 0 else None)
            if None in position:
                continue
            for c in range(per_group):
                total += x[(b, *position, g * per_group + c)] * w[(*tap, c, f)]
        out[index] = total
    return out


def window_reference(x, window, strides, padding, reducer, fill, index=False):
    """reducer over each window of x padded with fill (padding >= 0); with index=True, the
    padded position of each window's first maximum (np.argmax's choice)."""
    padded = np.pad(x, padding, constant_values=fill)
    shape = tuple(_out_size(n, w, s, lo, hi) for n, w, s, (lo, hi)
                  in zip(x.shape, window, strides, padding))
    out = np.empty(shape, object if index else x.dtype)
    for o in np.ndindex(*shape):
        corner = tuple(oi * s for oi, s in zip(o, strides))
        patch = padded[tuple(slice(c, c + w) for c, w in zip(corner, window))]
        if index:
            at = np.unravel_index(np.argmax(patch), patch.shape)
            out[o] = tuple(c + a for c, a in zip(corner, at))
        else:
            out[o] = reducer(patch)
    return out
