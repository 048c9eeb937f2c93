"""TensorFlow's split, tile and repeat, over slices, broadcasts, reshapes and gathers (so they
differentiate and compile like any other op)."""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.errors import ShapeError, op_error
from tapejit.ops.arithmetic import maximum
from tapejit.ops.elementwise import sqrt
from tapejit.ops.gathers import gather
from tapejit.ops.indexing import getitem
from tapejit.ops.operands import as_operand
from tapejit.ops.reduce import reduce_sum
from tapejit.ops.shape import broadcast_to, expand_dims, normalize_axis, reshape
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.site import user_site
from tapejit.trace import bind


def _ints(value, op: str, what: str) -> list[int]:
    try:
        values = np.asarray(value)
    except Exception:  # noqa: BLE001 - a tracer cannot become an array
        values = None
    if values is None or values.dtype.kind not in "iu" or values.ndim > 1:
        raise op_error(TypeError, op, f"{what} must be a known integer or list of integers, "
                       f"got {value!r}", "pass Python ints (the shapes of the pieces must be "
                       "known when tracing)", user_site())
    return [int(v) for v in np.atleast_1d(values)]


def _split_sizes(num_or_size_splits, length: int, axis: int) -> list[int]:
    if isinstance(num_or_size_splits, (int, np.integer)):
        num = int(num_or_size_splits)
        if num <= 0 or length % num:
            raise op_error(ShapeError, "split", f"Dimension {axis} of size {length} cannot be "
                           f"split into {num} equal pieces", "give a number of pieces that "
                           "divides the size, or a list of sizes", user_site())
        return [length // num] * num
    sizes = _ints(num_or_size_splits, "split", "num_or_size_splits")
    unknown = [i for i, s in enumerate(sizes) if s == -1]
    if len(unknown) > 1 or any(s < -1 for s in sizes):
        raise op_error(ShapeError, "split", f"sizes {sizes}: at most one -1 and no other "
                       "negative size", "give non-negative sizes (one may be -1)", user_site())
    if unknown:
        sizes[unknown[0]] = length - (sum(sizes) + 1)
    if sum(sizes) != length or min(sizes, default=0) < 0:
        raise op_error(ShapeError, "split", f"Determined shape must either match input shape "
                       f"along split_dim exactly if fully specified, or be less than the size "
                       f"of the input along split_dim if not fully specified: sizes {sizes} "
                       f"for a dimension of size {length}", "make the sizes add up to the "
                       "dimension", user_site())
    return sizes


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """A list of pieces along `axis` (tf.split): `num_or_size_splits` equal pieces, or pieces
    of the listed sizes (one size may be -1: the rest)."""
    x = as_operand(value, "split")
    dim = normalize_axis(axis, max(len(x.shape), 1), "split")
    sizes = _split_sizes(num_or_size_splits, x.shape[dim], dim)
    if num is not None and int(num) != len(sizes):
        raise op_error(ValueError, "split", f"num={num} but {len(sizes)} pieces",
                       "leave num=None", user_site())
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return pieces


def tile(input, multiples, name=None):  # noqa: A002 - TF's name
    """`input` repeated `multiples[i]` times along axis i (tf.tile)."""
    x = as_operand(input, "tile")
    reps = _ints(multiples, "tile", "multiples")
    if len(reps) != len(x.shape) or min(reps, default=0) < 0:
        raise op_error(ShapeError, "tile", f"Expected multiples argument to be a vector of "
                       f"length {len(x.shape)} of non-negative integers, got {reps}",
                       "give one multiple per axis", user_site())
    if all(r == 1 for r in reps):
        return x
    wide = tuple(v for r, d in zip(reps, x.shape) for v in (r, d))
    spread = bind(broadcast_in_dim_p, x, shape=wide,
                  broadcast_dimensions=tuple(range(1, 2 * len(reps), 2)))
    return reshape(spread, tuple(r * d for r, d in zip(reps, x.shape)))


def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TF's name
    """Each element repeated (tf.repeat): `repeats` a number, or one per element along
    `axis`; axis=None repeats the flattened tensor."""
    x = as_operand(input, "repeat")
    if axis is None:
        x, dim = reshape(x, (prod(x.shape),)), 0
    else:
        dim = normalize_axis(axis, max(len(x.shape), 1), "repeat")
    counts = _ints(repeats, "repeat", "repeats")
    length = x.shape[dim]
    if len(counts) not in (1, length) or min(counts, default=0) < 0:
        raise op_error(ShapeError, "repeat", f"{len(counts)} repeats for an axis of size "
                       f"{length}", "give one non-negative count, or one per element",
                       user_site())
    if len(counts) == 1:
        return repeat_each(x, dim, counts[0])
    return gather(x, np.repeat(np.arange(length), counts), axis=dim)


def repeat_each(x, axis: int, count: int):
    """Every element along `axis` repeated `count` times, by a broadcast (no gather)."""
    shape = tuple(x.shape)
    spread = expand_dims(x, axis + 1)
    copies = broadcast_to(spread, shape[:axis + 1] + (count,) + shape[axis + 1:])
    return reshape(copies, shape[:axis] + (shape[axis] * count,) + shape[axis + 1:])


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` at `ids` (tf.nn.embedding_lookup); with `max_norm`, rows whose L2
    norm is larger are scaled down to it."""
    rows = gather(as_operand(params, "embedding_lookup"), ids)
    if max_norm is None:
        return rows
    norm = sqrt(reduce_sum(rows * rows, axis=-1, keepdims=True))
    return rows * (float(max_norm) / maximum(norm, float(max_norm)))
