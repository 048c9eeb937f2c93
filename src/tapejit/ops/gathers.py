"""TensorFlow's gathers and scatters over the indexing primitives: gather, gather_nd,
scatter_nd, unsorted_segment_sum, segment_sum, one_hot, argmax, argmin, and XLA's
dynamic_slice / dynamic_update_slice.

TF's index rules: indices are in [0, size) (no negative indices); known indices outside raise
TF's error message; under jit, traced ones are clamped by gathers and dropped by scatters
(negative segment ids are always dropped, as TF documents).
"""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, ShapeError, TracerArrayError, op_error
from tapejit.ops.index_values import (
    index_value,
    is_traced,
    require_integer,
    stack_columns,
    values_as,
)
from tapejit.ops.operands import as_operand, cast, is_python_scalar
from tapejit.ops.shape import (
    broadcast_to,
    concat,
    expand_dims,
    normalize_axis,
    transpose,
)
from tapejit.primitives import indexing as prims
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.primitives.compare import eq_p, select_p
from tapejit.site import user_site
from tapejit.trace import bind, top_trace


def _zeros(shape, dtype, *beside):
    """Zeros of `shape`: a broadcast literal, emitted into the trace of `beside`'s traced
    values if any (not computed eagerly and captured as an array)."""
    scalar = np.zeros((), dtype)[()]
    params = dict(shape=tuple(shape), broadcast_dimensions=())
    trace = top_trace(beside)
    return trace.emit(broadcast_in_dim_p, (scalar,), params) if trace else bind(
        broadcast_in_dim_p, scalar, **params)


def _error(kind, op: str, problem: str, fix: str):
    return op_error(kind, op, problem, fix, user_site())


def _indices(value, op: str):
    value = index_value(value, op)
    require_integer(value, op)
    return value


def _check_tf_range(value, size: int, op: str, name: str = "indices") -> None:
    if is_traced(value):
        return
    bad = np.argwhere((value < 0) | (value >= size))
    if len(bad):
        at = ",".join(map(str, bad[0]))
        raise _error(IndexError, op, f"{name}[{at}] = {value[tuple(bad[0])]} is not in "
                     f"[0, {size})", f"use indices in [0, {size}); under tj.jit a traced "
                     "index out of range is clamped")


def _batch_iotas(shape, batch_dims: int, ndim: int) -> list[np.ndarray]:
    """For each of the first `batch_dims` axes, its positions along that axis of an
    `ndim`-d index."""
    return [np.arange(shape[d]).reshape((-1,) + (1,) * (ndim - 1 - d)) for d in range(batch_dims)]


def gather_along(params, indices, axis: int, batch_dims: int = 0, mode: str = "clip"):
    """params[..., indices, ...] on `axis`, the first `batch_dims` axes of params and indices
    paired: shape params[:axis] + indices[batch_dims:] + params[axis+1:] (indices checked
    and wrapped by the caller)."""
    shape, n_idx = tuple(params.shape), len(indices.shape)
    columns = _batch_iotas(shape, batch_dims, n_idx) + [indices]
    sizes = list(shape[:batch_dims]) + [shape[axis]]
    index = stack_columns(columns, sizes, tuple(indices.shape))
    out = bind(prims.gather_p, params, index, axes=tuple(range(batch_dims)) + (axis,), mode=mode)
    between = axis - batch_dims
    perm = (list(range(batch_dims)) + [n_idx + j for j in range(between)]
            + list(range(batch_dims, n_idx))
            + list(range(n_idx + between, len(out.shape))))
    return transpose(out, perm)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of params along `axis` (tf.gather): shape params.shape[:axis] +
    indices.shape[batch_dims:] + params.shape[axis + 1:]."""
    del validate_indices, name
    params = as_operand(params, "gather")
    indices = _indices(indices, "gather")
    n_idx, ndim = len(indices.shape), len(params.shape)
    batch_dims = batch_dims + n_idx if batch_dims < 0 else batch_dims
    axis = batch_dims if axis is None else normalize_axis(axis, ndim, "gather")
    if not 0 <= batch_dims <= min(axis, n_idx) or params.shape[:batch_dims] != \
            indices.shape[:batch_dims]:
        raise _error(ShapeError, "gather", f"batch_dims {batch_dims} does not fit params "
                     f"{tuple(params.shape)}, indices {tuple(indices.shape)} and axis {axis}",
                     "need batch_dims <= axis, batch_dims <= indices.ndim and equal leading "
                     "batch sizes")
    _check_tf_range(indices, params.shape[axis], "gather")
    return gather_along(params, indices, axis, batch_dims)


def gather_nd(params, indices, batch_dims=0, name=None):
    """params indexed by the rows of `indices`' last axis (tf.gather_nd): shape
    indices.shape[:-1] + params.shape[batch_dims + indices.shape[-1]:]."""
    del name
    params = as_operand(params, "gather_nd")
    indices = _indices(indices, "gather_nd")
    shape, depth = tuple(params.shape), indices.shape[-1] if len(indices.shape) else -1
    if depth < 0 or batch_dims + depth > len(shape) or shape[:batch_dims] != \
            tuple(indices.shape[:batch_dims]):
        raise _error(ShapeError, "gather_nd", f"indices {tuple(indices.shape)} do not index "
                     f"params {shape} with batch_dims={batch_dims}", "the last axis of indices "
                     "holds at most params.ndim - batch_dims coordinates")
    _check_rows(indices, shape[batch_dims:batch_dims + depth], "gather_nd", "param shape")
    if batch_dims + depth == 0:
        return broadcast_to(params, tuple(indices.shape[:-1]) + shape)
    if batch_dims:
        iotas = [np.broadcast_to(c[..., None], tuple(indices.shape[:-1]) + (1,))
                 for c in _batch_iotas(shape, batch_dims, len(indices.shape) - 1)]
        indices = concat([cast(i, indices.dtype) for i in iotas] + [indices], -1)
    return bind(prims.gather_p, params, indices, axes=tuple(range(batch_dims + depth)),
                mode="clip")


def _check_rows(indices, shape, op: str, what: str) -> None:
    """TF's error for a known index row outside `shape`."""
    if is_traced(indices) or not shape:
        return
    bad = np.argwhere(np.any((indices < 0) | (indices >= np.asarray(shape)), axis=-1))
    if len(bad):
        row = indices[tuple(bad[0])]
        raise _error(IndexError, op, f"indices[{','.join(map(str, bad[0]))}] = "
                     f"{list(map(int, row))} does not index into {what} {list(shape)}",
                     "use coordinates in range; under tj.jit traced ones out of range are "
                     "clamped (gathers) or dropped (scatters)")


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of `shape` with updates added at the rows of `indices` (tf.scatter_nd;
    repeated rows accumulate)."""
    del name
    indices = _indices(indices, "scatter_nd")
    updates = as_operand(updates, "scatter_nd")
    shape = tuple(int(s) for s in shape)
    depth = indices.shape[-1] if len(indices.shape) else 0
    want = tuple(indices.shape[:-1]) + shape[depth:]
    if not 0 < depth <= len(shape) or tuple(updates.shape) != want:
        raise _error(ShapeError, "scatter_nd", f"updates {tuple(updates.shape)} and indices "
                     f"{tuple(indices.shape)} do not fit shape {shape}",
                     f"updates need the shape indices.shape[:-1] + shape[{depth}:] = {want}")
    _check_rows(indices, shape[:depth], "scatter_nd", "shape")
    zeros = _zeros(shape, updates.dtype, indices, updates)
    return bind(prims.scatter_add_p, zeros, indices, updates, axes=tuple(range(depth)),
                mode="drop")


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of data's rows by segment id (tf.math.unsorted_segment_sum): shape
    (num_segments,) + data.shape[segment_ids.ndim:]; negative ids are dropped."""
    del name
    data = as_operand(data, "unsorted_segment_sum")
    ids = _indices(segment_ids, "unsorted_segment_sum")
    count = int(num_segments)
    if tuple(data.shape[:len(ids.shape)]) != tuple(ids.shape):
        raise _error(ShapeError, "unsorted_segment_sum", f"segment_ids.shape = "
                     f"{tuple(ids.shape)} does not start data.shape = {tuple(data.shape)}",
                     "give one segment id per leading element of data")
    if not is_traced(ids) and np.any(ids >= count):
        at = np.argwhere(ids >= count)[0]
        raise _error(IndexError, "unsorted_segment_sum", f"segment_ids[{','.join(map(str, at))}]"
                     f" = {ids[tuple(at)]} is out of range [0, {count})",
                     "make num_segments larger than every id")
    rest = tuple(data.shape[len(ids.shape):])
    index = expand_dims(ids, -1) if is_traced(ids) else ids[..., None]
    return bind(prims.scatter_add_p, _zeros((count,) + rest, data.dtype, index, data), index, data,
                axes=(0,), mode="drop")


def segment_sum(data, segment_ids, name=None):
    """Sums of data's rows by sorted segment ids (tf.math.segment_sum): shape
    (segment_ids[-1] + 1,) + data.shape[1:]."""
    del name
    ids = _indices(segment_ids, "segment_sum")
    if is_traced(ids):
        raise _error(TracerArrayError, "segment_sum", "its output size (the last segment id "
                     "+ 1) depends on the values of traced segment_ids",
                     "use tj.math.unsorted_segment_sum(data, segment_ids, num_segments)")
    if ids.ndim != 1 or np.any(ids < 0) or np.any(np.diff(ids) < 0):
        raise _error(ValueError, "segment_sum", "segment ids must be a vector of "
                     "non-negative, non-decreasing ids", "sort the ids, or use "
                     "tj.math.unsorted_segment_sum")
    return unsorted_segment_sum(data, ids, int(ids[-1]) + 1 if len(ids) else 0)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """on_value where indices == k along a new axis of size depth, off_value elsewhere
    (tf.one_hot; indices outside [0, depth) give a row of off_value)."""
    del name
    indices = as_operand(indices, "one_hot")
    if indices.dtype.kind not in "iu":
        raise _error(DTypeError, "one_hot", f"indices must be integers, got "
                     f"{indices.dtype.name}", "cast them with tj.cast(i, tj.int32)")
    dtype = _one_hot_dtype(on_value, off_value, dtype)
    ndim = len(indices.shape)
    axis = ndim if axis is None or axis == -1 else normalize_axis(axis, ndim + 1, "one_hot")
    if not 0 <= axis <= ndim:
        raise _error(ShapeError, "one_hot", f"axis {axis} is not -1 or in [0, {ndim}]",
                     "use -1 (the default) or a position in the output")
    classes = np.arange(int(depth), dtype=indices.dtype).reshape((-1,) + (1,) * (ndim - axis))
    hits = bind(eq_p, expand_dims(indices, axis), classes)
    if on_value is None and off_value is None:
        return cast(hits, dtype)
    on = values_as(1 if on_value is None else on_value, dtype, "one_hot")
    off = values_as(0 if off_value is None else off_value, dtype, "one_hot")
    return bind(select_p, hits, on, off)


def _one_hot_dtype(on_value, off_value, dtype) -> np.dtype:
    """TF's rule: `dtype` if given (tensor values must have it), else the values' dtype
    (Python numbers under the dtype policy), else float32."""
    given = [v for v in (on_value, off_value) if v is not None]
    if dtype is not None:
        dtype = dtypes.canonical(dtype, "one_hot")
        for v in given:
            if not is_python_scalar(v) and as_operand(v, "one_hot").dtype != dtype:
                raise _error(DTypeError, "one_hot", f"dtype {as_operand(v, 'one_hot').dtype} "
                             f"of on_value/off_value does not match dtype {dtype.name}",
                             "give values of that dtype, or leave dtype out")
        return dtype
    kinds = sorted({as_operand(v, "one_hot").dtype.name for v in given})
    if len(kinds) > 1:
        raise _error(DTypeError, "one_hot", f"dtype of on_value and off_value must match, got "
                     f"{kinds}", "give both values one dtype")
    return np.dtype(kinds[0]) if kinds else dtypes.float32


def _arg(prim, op: str, input, axis, output_type):
    x = as_operand(input, op)
    if x.dtype.kind == "b":
        raise _error(DTypeError, op, "expects a numeric tensor, got bool", "cast it first")
    out = dtypes.canonical(output_type, op)
    if out not in (np.dtype(np.int16), np.dtype(np.uint16), np.dtype(np.int32),
                   np.dtype(np.int64)):
        raise _error(DTypeError, op, f"output_type {out.name} is not supported",
                     "use tj.int32 or tj.int64")
    axis = normalize_axis(0 if axis is None else axis, len(x.shape), op)
    if x.shape[axis] == 0:
        raise _error(ValueError, op, f"Reduction axis {axis} is empty in shape "
                     f"{list(x.shape)}", "reduce a non-empty axis")
    return bind(prim, x, axis=axis, index_dtype=out)


def argmax(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """The index of the largest value along `axis` (default 0; the first one on ties)."""
    return _arg(prims.argmax_p, "argmax", input, axis, output_type)


def argmin(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """The index of the smallest value along `axis` (default 0; the first one on ties)."""
    return _arg(prims.argmin_p, "argmin", input, axis, output_type)


def dynamic_slice(operand, start_indices, slice_sizes):
    """operand[start:start + size] per axis with traced starts (XLA/JAX lax.dynamic_slice):
    starts are clamped so the slice fits."""
    x = as_operand(operand, "dynamic_slice")
    starts = [as_operand(s, "dynamic_slice") for s in start_indices]
    return bind(prims.dynamic_slice_p, x, *starts, slice_sizes=tuple(int(k) for k in
                                                                     slice_sizes))


def dynamic_update_slice(operand, update, start_indices):
    """operand with `update` written at the (clamped) starts (lax.dynamic_update_slice)."""
    x = as_operand(operand, "dynamic_update_slice")
    update = values_as(update, x.dtype, "dynamic_update_slice")
    starts = [as_operand(s, "dynamic_update_slice") for s in start_indices]
    return bind(prims.dynamic_update_slice_p, x, update, *starts)
