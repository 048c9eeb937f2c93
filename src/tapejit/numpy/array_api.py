"""NumPy 2's array-API functions: matrix_transpose, vecdot, matvec, vecmat (gufuncs: core
axes last unless `axes`/`axis` say otherwise, the other axes broadcast), cumulative_sum,
cumulative_prod, unstack; and the array builders resize, block, trim_zeros (eager only)
and the membership test isin."""

from __future__ import annotations

import operator
from math import prod

import numpy as np

from tapejit import dtypes
from tapejit.errors import AxisError, DTypeError, TracerArrayError, op_error
from tapejit.numpy.arguments import axes as _axes
from tapejit.numpy.arguments import one_axis, operand, operands, reject_out
from tapejit.numpy.contractions import matmul
from tapejit.numpy.creation import asarray
from tapejit.numpy.index_tricks import shape_tuple
from tapejit.numpy.joining import concatenate, tile
from tapejit.numpy.logic import equal, logical_not
from tapejit.numpy.reductions import any as _any
from tapejit.numpy.scans import cumprod, cumsum
from tapejit.numpy.shaping import expand_dims, moveaxis, ravel, swapaxes
from tapejit.ops.numpy_policy import result_dtype
from tapejit.ops.operands import cast
from tapejit.ops.shape import full, reshape
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site
from tapejit.trace import Tracer


def matrix_transpose(x, /):
    """The last two axes swapped (np.matrix_transpose)."""
    v = operand(x, "matrix_transpose")
    if v.ndim < 2:
        raise op_error(ValueError, "matrix_transpose", f"Input array must be at least "
                       f"2-dimensional, but it is {v.ndim}", "pass a matrix or a stack of "
                       "them", user_site())
    return swapaxes(v, -1, -2)


# name: (core dims of each input, core dims of the output, NumPy's signature)
_GUFUNCS = {"vecdot": ((1, 1), 0, "(n),(n)->()"), "matvec": ((2, 1), 1, "(m,n),(n)->(m)"),
            "vecmat": ((1, 2), 1, "(n),(n,m)->(m)")}


def _axes_entry(entry, core: int, position: int, name: str) -> tuple:
    entry = (entry,) if isinstance(entry, (int, np.integer)) else tuple(entry)
    if len(entry) != core:
        raise op_error(AxisError, name, f"operand {position} has {core} core dimensions, but "
                       f"{len(entry)} dimensions are specified by axes tuple.",
                       "give each operand as many axes as its core dimensions", user_site())
    return tuple(_axis_int(a, name) for a in entry)


def _axis_int(axis, name: str) -> int:
    try:
        return operator.index(axis)
    except TypeError:
        raise op_error(TypeError, name, f"an axis is an integer, got {axis!r}",
                       "pass int axes", user_site()) from None


def _core_axes(name: str, axes, axis, keepdims: bool) -> list[tuple]:
    """The core axes of both inputs and the output, from `axes`, `axis` or the defaults."""
    cores, out_core, signature = _GUFUNCS[name]
    shared = name == "vecdot"
    if keepdims and not shared:
        raise op_error(TypeError, name, f"{name} does not support keepdims: its signature "
                       f"{signature} has inputs with different numbers of core dimensions",
                       "drop keepdims", user_site())
    out_core += int(keepdims)
    if axis is not None and axes is not None:
        raise op_error(TypeError, name, "cannot specify both 'axis' and 'axes'",
                       "pass one of them", user_site())
    if axis is not None:
        if not shared:
            raise op_error(TypeError, name, f"axis can only be used with a single shared core "
                           f"dimension, not with the distinct ones of {signature}",
                           "pass axes=[...] instead", user_site())
        axis = _axis_int(axis, name)
        return [(axis,), (axis,), (axis,) * out_core]
    if axes is None:
        return [tuple(range(-c, 0)) for c in (*cores, out_core)]
    if not isinstance(axes, list):
        raise op_error(TypeError, name, "axes should be a list.", "pass a list of tuples",
                       user_site())
    if len(axes) == 2 and out_core == 0:
        axes = axes + [()]
    if len(axes) != 3:
        raise op_error(ValueError, name, "axes should be a list with an entry for all 3 inputs "
                       "and outputs; entries for outputs can only be omitted if none of them "
                       "has core axes.", "give one entry per operand", user_site())
    return [_axes_entry(e, c, i, name) for i, (e, c) in enumerate(zip(axes, (*cores, out_core)))]


def _normalized(axes: tuple, ndim: int, name: str) -> tuple:
    for a in axes:
        if not -ndim <= a < ndim:
            raise op_error(AxisError, name, f"axis {a} is out of bounds for array of dimension "
                           f"{ndim}", f"use axes in [{-ndim}, {ndim})", user_site())
    return tuple(a % ndim for a in axes)


def _core_last(x, core_axes: tuple, position: int, name: str):
    core, signature = len(core_axes), _GUFUNCS[name][2]
    if x.ndim < core:
        raise op_error(ValueError, name, f"Input operand {position} does not have enough "
                       f"dimensions (has {x.ndim}, gufunc core with signature {signature} "
                       f"requires {core})", "give the operand its core axes", user_site())
    return moveaxis(x, _normalized(core_axes, x.ndim, name), tuple(range(-core, 0)))


def _check_core(name: str, size: int, expected: int) -> None:
    if size != expected:
        raise op_error(ValueError, name, f"Input operand 1 has a mismatch in its core "
                       f"dimension 0, with gufunc signature {_GUFUNCS[name][2]} (size {size} "
                       f"is different from {expected})", "make the contracted lengths equal",
                       user_site())


def _typed(name: str, x1, x2, dtype) -> list:
    a, b = operands(name, x1, x2)
    if dtype is None:
        return [a, b]
    target = dtypes.canonical(dtype, name)
    for v in (a, b):
        if not np.can_cast(v.dtype, target, "same_kind"):
            raise op_error(DTypeError, name, f"Cannot cast ufunc '{name}' input from "
                           f"dtype('{v.dtype.name}') to dtype('{target.name}') with casting "
                           "rule 'same_kind'", "pass a dtype of the same kind", user_site())
    return [cast(a, target), cast(b, target)]


def _gufunc(name: str, x1, x2, out, axes, axis, keepdims, dtype, contract):
    reject_out(out, name)
    in1, in2, out_axes = _core_axes(name, axes, axis, keepdims)
    a, b = _typed(name, x1, x2, dtype)
    a, b = _core_last(a, in1, 0, name), _core_last(b, in2, 1, name)
    result = contract(a, b)
    if keepdims:
        result = expand_dims(result, -1)
    if not out_axes:
        return result
    core = len(out_axes)
    return moveaxis(result, tuple(range(-core, 0)), _normalized(out_axes, result.ndim, name))


def _vecdot(a, b):
    _check_core("vecdot", b.shape[-1], a.shape[-1])
    product = matmul(expand_dims(a, -2), expand_dims(b, -1))
    return reshape(product, tuple(product.shape[:-2]))


def _matvec(a, b):
    _check_core("matvec", b.shape[-1], a.shape[-1])
    product = matmul(a, expand_dims(b, -1))
    return reshape(product, tuple(product.shape[:-1]))


def _vecmat(a, b):
    _check_core("vecmat", b.shape[-2], a.shape[-1])
    product = matmul(expand_dims(a, -2), b)
    return reshape(product, tuple(product.shape[:-2]) + (product.shape[-1],))


def vecdot(x1, x2, /, out=None, *, axes=None, axis=None, keepdims=False, dtype=None):
    """The dot product of vectors along the last axis (or `axis`; or `axes`, a list of one
    axis per input and the output), the other axes broadcast (np.vecdot). In the operands'
    NumPy dtype, with no widening (int8 stays int8). Differentiable."""
    return _gufunc("vecdot", x1, x2, out, axes, axis, keepdims, dtype, _vecdot)


def matvec(x1, x2, /, out=None, *, axes=None, axis=None, keepdims=False, dtype=None):
    """Matrix times vector, (..., m, n) with (..., n) -> (..., m), the other axes broadcast
    (np.matvec; `axes` as for vecdot; `axis` and `keepdims` raise NumPy's TypeError, as
    the core dimensions differ). Differentiable."""
    return _gufunc("matvec", x1, x2, out, axes, axis, keepdims, dtype, _matvec)


def vecmat(x1, x2, /, out=None, *, axes=None, axis=None, keepdims=False, dtype=None):
    """Vector times matrix, (..., n) with (..., n, m) -> (..., m) (np.vecmat; real numbers,
    so there is nothing to conjugate; `axes` as for matvec). Differentiable."""
    return _gufunc("vecmat", x1, x2, out, axes, axis, keepdims, dtype, _vecmat)


def _cumulative(name: str, scan, start: int, x, axis, dtype, out, include_initial):
    reject_out(out, name)
    v = operand(x, name)
    if v.ndim == 0:
        v = reshape(v, (1,))
    if axis is None:
        if v.ndim > 1:
            raise op_error(ValueError, name, "For arrays which have more than one dimension "
                           "``axis`` argument is required.", "pass axis=", user_site())
        axis = 0
    elif isinstance(axis, (tuple, list)):
        raise op_error(ValueError, name, "accumulate does not allow multiple axes",
                       "pass one axis", user_site())
    axis = one_axis(axis, v.ndim, name)
    result = scan(v, axis, dtype)
    if not include_initial:
        return result
    shape = tuple(1 if d == axis else n for d, n in enumerate(result.shape))
    return concatenate([full(shape, start, result.dtype), result], axis)


def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running sums along `axis` (required above 1-d), np.cumulative_sum; with
    include_initial, a leading 0 (the sum of nothing). Bools and small integers add up in
    int64, as in cumsum."""
    return _cumulative("cumulative_sum", cumsum, 0, x, axis, dtype, out, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running products, np.cumulative_prod; include_initial puts a leading 1 first."""
    return _cumulative("cumulative_prod", cumprod, 1, x, axis, dtype, out, include_initial)


def unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple (np.unstack)."""
    v = operand(x, "unstack")
    if v.ndim == 0:
        raise op_error(ValueError, "unstack", "Input array must be at least 1-d.",
                       "pass an array with the axis to unstack", user_site())
    v = moveaxis(v, one_axis(axis, v.ndim, "unstack"), 0)
    return tuple(v[i] for i in range(v.shape[0]))


def _flat_part(x, stop: int):
    return slice_(x, [0], [stop], (1,))


def resize(a, new_shape):
    """An array of `new_shape` filled with a's flattened elements, repeated as often as
    needed (np.resize; zeros if `a` is empty). Differentiable."""
    shape = shape_tuple(new_shape, "resize")
    if any(n < 0 for n in shape):
        raise op_error(ValueError, "resize", "all elements of `new_shape` must be "
                       f"non-negative, got {shape}", "pass a valid shape", user_site())
    flat = ravel(operand(a, "resize"))
    total = prod(shape)
    if flat.size == 0 or total == 0:
        return full(shape, 0, flat.dtype)
    copies = -(-total // flat.size)
    return reshape(_flat_part(tile(flat, copies) if copies > 1 else flat, total), shape)


def _trim_sides(trim) -> str:
    lowered = trim.lower() if isinstance(trim, str) else None
    if lowered not in ("f", "b", "fb", "bf"):
        raise op_error(ValueError, "trim_zeros", f"unexpected character(s) in `trim`: "
                       f"{trim!r}", "pass 'f' (front), 'b' (back) or 'fb' (both)", user_site())
    return lowered


def trim_zeros(filt, trim="fb", axis=None):
    """`filt` without its leading and/or trailing zeros along `axis` (all axes if None: the
    box around the nonzero elements), np.trim_zeros. Eager only: the result's shape
    depends on the data (a known tensor inside tj.jit is fine). A tensor, also for a list;
    differentiable in the values kept."""
    x = operand(filt, "trim_zeros")
    if isinstance(x, Tracer):
        raise op_error(TracerArrayError, "trim_zeros", "the result's shape depends on the "
                       "values of this traced array", "call it outside tj.jit", user_site())
    sides = _trim_sides(trim)
    if x.ndim == 0:
        return x
    nonzero = np.asarray(x.numpy()) != 0
    begin, end = [0] * x.ndim, list(x.shape)
    for ax in _axes(axis, x.ndim, "trim_zeros"):
        others = tuple(d for d in range(x.ndim) if d != ax)
        hits = np.flatnonzero(np.any(nonzero, axis=others))
        if not hits.size:
            end[ax] = 0
            continue
        begin[ax] = int(hits[0]) if "f" in sides else 0
        end[ax] = int(hits[-1]) + 1 if "b" in sides else x.shape[ax]
    return slice_(x, begin, end, (1,) * x.ndim)


def _block_depth(node, where: str) -> tuple[int, str]:
    """How many list levels are above the leaves of `node` (checked to be equal), and the
    path of its first leaf."""
    if isinstance(node, tuple):
        raise op_error(TypeError, "block", f"{where} is a tuple. Only lists can be used to "
                       "arrange blocks, and np.block does not allow implicit conversion from "
                       "tuple to ndarray.", "use lists", user_site())
    if not isinstance(node, list):
        return 0, where
    if not node:
        raise op_error(ValueError, "block", f"List at {where} cannot be empty",
                       "give every list at least one block", user_site())
    first, first_leaf = _block_depth(node[0], f"{where}[0]")
    for i, item in enumerate(node[1:], 1):
        depth, leaf = _block_depth(item, f"{where}[{i}]")
        if depth != first:
            level = where.count("[") + 1
            raise op_error(ValueError, "block", f"List depths are mismatched. First element "
                           f"was at depth {first + level}, but there is an element at depth "
                           f"{depth + level} ({leaf})", "nest every block equally deep",
                           user_site())
    return first + 1, first_leaf


def _leaves(node) -> list:
    return [leaf for item in node for leaf in _leaves(item)] if isinstance(node, list) else [
        node]


def block(arrays):
    """An array assembled from nested lists of blocks (np.block): the innermost lists join
    along the last axis, the next ones along the second-to-last, and so on; blocks get
    leading axes of size 1 up to the deepest of the nesting and the blocks. All lists must
    nest equally deep; tuples are refused, as in NumPy. Differentiable."""
    depth = _block_depth(arrays, "arrays")[0]
    converted = {id(leaf): asarray(leaf) for leaf in _leaves(arrays)}
    dtype = result_dtype(*converted.values(), op="block")
    ndim = max([depth] + [v.ndim for v in converted.values()])

    def build(node, level: int):
        if not isinstance(node, list):
            v = cast(converted[id(node)], dtype)
            return reshape(v, (1,) * (ndim - v.ndim) + tuple(v.shape))
        return concatenate([build(item, level + 1) for item in node], ndim - depth + level)

    return build(arrays, 0)


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Whether each element is among `test_elements` (np.isin): a boolean array of
    element's shape; compared in the common dtype (NaN is never found). Every pair is
    compared, so every `kind` gives the same answer; `kind` is checked as NumPy checks it."""
    if kind not in (None, "sort", "table"):
        raise op_error(ValueError, "isin", f"Invalid kind: {kind!r}. Please use None, 'sort' "
                       "or 'table'.", "pass one of those", user_site())
    x, tests = asarray(element), ravel(asarray(test_elements))
    if kind == "table" and (x.dtype.kind not in "iub" or tests.dtype.kind not in "iub"):
        raise op_error(ValueError, "isin", "The 'table' method is only supported for boolean "
                       "or integer arrays. Please select 'sort' or None for kind.",
                       "pass kind=None", user_site())
    found = _any(equal(expand_dims(x, -1), tests), axis=-1)
    return logical_not(found) if invert else found
