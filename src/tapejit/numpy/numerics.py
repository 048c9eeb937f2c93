"""Applying functions over axes, sorting by several keys, building arrays from index grids,
and NumPy's deprecated row_stack, with NumPy's signatures: apply_along_axis,
apply_over_axes, lexsort, fromfunction, row_stack (np.*)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from tapejit.errors import op_error
from tapejit.numpy.arguments import one_axis, operand
from tapejit.numpy.index_tricks import indices
from tapejit.numpy.indexing import take_along_axis
from tapejit.numpy.joining import stack, vstack
from tapejit.numpy.shaping import broadcast_to, expand_dims, moveaxis, reshape, transpose
from tapejit.numpy.sorting import argsort
from tapejit.ops.operands import cast
from tapejit.site import user_site
from tapejit.tensor import Tensor


def _applied(func1d, row, args, kwargs, first=None):
    """func1d(row) as a tensor; after the first, of the first one's dtype and shape (NumPy
    writes every result into a buffer made for the first)."""
    result = operand(func1d(row, *args, **kwargs), "apply_along_axis")
    if first is None:
        return result
    return broadcast_to(cast(result, first.dtype), first.shape)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to every 1-d slice of `arr` along `axis` (np.apply_along_axis). A
    scalar result takes the axis's place; an array result puts its dimensions there.
    func1d is called once per slice (eagerly, or once per slice while tracing under jit),
    with a 1-d tensor and `args`/`kwargs`; the result is differentiable through it."""
    x = operand(arr, "apply_along_axis")
    axis = one_axis(axis, x.ndim, "apply_along_axis")
    moved = moveaxis(x, axis, -1)
    outer = tuple(moved.shape[:-1])
    if 0 in outer:
        raise op_error(ValueError, "apply_along_axis", "Cannot apply_along_axis when any "
                       f"iteration dimensions are 0 (array of shape {x.shape}, axis {axis})",
                       "give the other axes at least one element", user_site())
    rows = reshape(moved, (math.prod(outer), moved.shape[-1]))
    first = _applied(func1d, rows[0], args, kwargs)
    results = [first] + [_applied(func1d, rows[i], args, kwargs, first)
                         for i in range(1, rows.shape[0])]
    out = reshape(stack(results), outer + tuple(first.shape))
    new, rank = first.ndim, out.ndim
    order = (list(range(axis)) + list(range(rank - new, rank))
             + list(range(axis, rank - new)))
    return transpose(out, order)


def apply_over_axes(func, a, axes):
    """func(a, axis) for each axis in turn (np.apply_over_axes): a result that lost the
    axis gets it back with length 1, so the dimensions stay as they were."""
    value = operand(a, "apply_over_axes")
    ndim = value.ndim
    for axis in (axes,) if np.ndim(axes) == 0 else axes:
        axis = axis + ndim if axis < 0 else axis
        result = operand(func(value, axis), "apply_over_axes")
        if result.ndim != value.ndim:
            result = expand_dims(result, axis)
        if result.ndim != value.ndim:
            raise op_error(ValueError, "apply_over_axes", "function is not returning an array "
                           f"of the correct shape (shape {result.shape} after restoring axis "
                           f"{axis} of an array of {value.ndim} dimensions)",
                           "return func's result with the axis reduced or kept", user_site())
        value = result
    return value


def _sort_keys(keys) -> list:
    if isinstance(keys, (list, tuple)):
        found = [operand(k, "lexsort") for k in keys]
    else:
        table = operand(keys, "lexsort")
        found = [] if table.ndim == 0 else [table[i] for i in range(table.shape[0])]
    if not found:
        raise op_error(TypeError, "lexsort", "need sequence of keys with len > 0 in lexsort",
                       "pass a sequence of key arrays, or a 2-d array of keys as rows",
                       user_site())
    shapes = {tuple(k.shape) for k in found}
    if len(shapes) > 1:
        raise op_error(ValueError, "lexsort", f"all keys need to be the same shape, got "
                       f"{[tuple(k.shape) for k in found]}", "broadcast the keys to one shape",
                       user_site())
    return found


def lexsort(keys, axis=-1):
    """The indices that sort by several keys (np.lexsort), int64: the last key decides,
    earlier keys break its ties, equal keys keep their order; NaN sorts last. `keys` is a
    sequence of equally shaped arrays, or an array whose rows are the keys."""
    found = _sort_keys(keys)
    if axis is None:
        raise op_error(TypeError, "lexsort", "axis=None is not accepted: lexsort sorts "
                       "along one axis", "pass an int axis, or ravel the keys", user_site())
    if found[0].ndim == 0:
        return Tensor(np.int64(0))
    axis = one_axis(axis, found[0].ndim, "lexsort")
    order = argsort(found[0], axis)
    for key in found[1:]:
        ranked = argsort(take_along_axis(key, order, axis), axis)
        order = take_along_axis(order, ranked, axis)
    return order


def fromfunction(function, shape, *, dtype=float, like=None, **kwargs):
    """function(*grids, **kwargs), with one index grid per axis of `shape`, each a known
    tensor of `dtype` (np.fromfunction); the result is whatever function returns."""
    grids = indices(shape, dtype=dtype)
    return function(*[grids[i] for i in range(grids.shape[0])], **kwargs)


def row_stack(tup, *, dtype=None, casting="same_kind"):
    """np.row_stack: vstack under NumPy 2's deprecated name, with its DeprecationWarning."""
    warnings.warn("`row_stack` alias is deprecated. Use `tnp.vstack` directly.",
                  DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype, casting=casting)
