"""vmap rules of the indexing primitives. A batched operand becomes one more indexed axis:
its row numbers (an iota) are prepended to every index row; dynamic slices whose start
indices are batched become a gather (a scatter for updates) of the clamped slice positions."""

from __future__ import annotations

import numpy as np

from tapejit.ir import Primitive
from tapejit.primitives.arithmetic import maximum_p, minimum_p
from tapejit.primitives.base import batch_first, shifted
from tapejit.primitives.batching import batch_size, with_batch
from tapejit.primitives.broadcast import broadcast_in_dim
from tapejit.primitives.convert import convert
from tapejit.primitives.slicing import concatenate
from tapejit.trace import bind


def _with_rows(idx, size: int):
    """Batched index rows (B, *b, k) with each row's batch number put first: (B, *b, k + 1)."""
    shape = tuple(idx.shape)
    rows = broadcast_in_dim(np.arange(size, dtype=idx.dtype), shape[:-1] + (1,), (0,))
    return concatenate([rows, idx], len(shape) - 1)


def gather_batch(prim: Primitive, args, dims, *, axes, mode):
    (x, idx), (xd, idd) = args, dims
    if idd is None:
        out = bind(prim, batch_first(x, xd), idx, axes=shifted(axes), mode=mode)
        return out, len(idx.shape) - 1
    idx = batch_first(idx, idd)
    if xd is None:
        return bind(prim, x, idx, axes=axes, mode=mode), 0
    rows = _with_rows(idx, idx.shape[0])
    return bind(prim, batch_first(x, xd), rows, axes=(0,) + shifted(axes), mode=mode), 0


def scatter_batch(prim: Primitive, args, dims, *, axes, mode):
    """Every operand batched: one scatter over (batch row, position) pairs."""
    size = batch_size(args, dims)
    x, idx, u = (with_batch(a, d, size) for a, d in zip(args, dims))
    return bind(prim, x, _with_rows(idx, size), u, axes=(0,) + shifted(axes), mode=mode), 0


def _clamped(starts, dims, size: int, sizes, shape):
    """Batched start indices as int64 (B,) vectors, clamped so each slice fits (XLA's rule)."""
    out = []
    for s, d, k, n in zip(starts, dims, sizes, shape):
        s = with_batch(convert(s, np.int64), d, size)
        s = bind(maximum_p, s, np.int64(0))
        out.append(bind(minimum_p, s, np.int64(n - k)))
    return out


def _slice_positions(starts, sizes, size: int):
    """Index rows (B, *sizes, ndim) of every element of each batch row's slice."""
    grid = (size,) + tuple(sizes)
    columns = []
    for axis, (s, k) in enumerate(zip(starts, sizes)):
        offsets = broadcast_in_dim(np.arange(k, dtype=np.int64), grid + (1,), (axis + 1,))
        columns.append(broadcast_in_dim(s, grid + (1,), (0,)) + offsets)
    return concatenate(columns, len(grid))


def _start_zero(starts):
    return np.zeros((), starts[0].dtype if starts else np.int64)[()]


def dynamic_slice_batch(gather_p: Primitive):
    """The rule of dynamic_slice; batched starts read through `gather_p`."""
    def rule(prim: Primitive, args, dims, *, slice_sizes):
        (x, *starts), (xd, *sds) = args, dims
        if all(d is None for d in sds):
            x = batch_first(x, xd)
            return bind(prim, x, _start_zero(starts), *starts,
                        slice_sizes=(x.shape[0],) + tuple(slice_sizes)), 0
        size = batch_size(args, dims)
        shape = x.shape if xd is None else x.shape[:xd] + x.shape[xd + 1:]
        starts = _clamped(starts, sds, size, slice_sizes, shape)
        idx = _slice_positions(starts, slice_sizes, size)
        axes = tuple(range(len(shape)))
        if xd is not None:
            x, idx, axes = batch_first(x, xd), _with_rows(idx, size), (0,) + shifted(axes)
        return bind(gather_p, x, idx, axes=axes, mode="clip"), 0
    return rule


def dynamic_update_batch(scatter_p: Primitive):
    """The rule of dynamic_update_slice; batched starts write through `scatter_p`."""
    def rule(prim: Primitive, args, dims):
        size = batch_size(args, dims)
        (x, u, *starts), (xd, ud, *sds) = args, dims
        x, u = with_batch(x, xd, size), with_batch(u, ud, size)
        if all(d is None for d in sds):
            return bind(prim, x, u, _start_zero(starts), *starts), 0
        sizes, shape = tuple(u.shape[1:]), tuple(x.shape[1:])
        starts = _clamped(starts, sds, size, sizes, shape)
        idx = _with_rows(_slice_positions(starts, sizes, size), size)
        axes = tuple(range(len(shape) + 1))
        return bind(scatter_p, x, idx, u, axes=axes, mode="clip"), 0
    return rule
