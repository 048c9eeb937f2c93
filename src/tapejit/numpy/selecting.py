"""Choosing, picking and placing elements with NumPy's signatures: select, piecewise, choose
(elementwise choices: differentiable, fine under jit), compress and extract (the result's
length depends on the condition, so it must be known), partition and argpartition (a full
stable sort), insert and delete (at known positions; differentiable in the values)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import TracerArrayError, op_error
from tapejit.numpy.arguments import one_axis, operand, operands, reject_out
from tapejit.numpy.arith import clip
from tapejit.numpy.indexing import take
from tapejit.numpy.joining import concatenate
from tapejit.numpy.logic import as_bool, equal, logical_not, logical_or, where
from tapejit.numpy.rounding import mod
from tapejit.numpy.shaping import moveaxis
from tapejit.numpy.sorting import argsort, reject_order, sort
from tapejit.ops.index_values import index_value, is_traced, values_as
from tapejit.ops.operands import cast
from tapejit.ops.shape import broadcast_to, full_like, reshape
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer


def _items(seq, op: str, what: str) -> list:
    """A sequence of arrays: a list or tuple, or an array's slices along its first axis."""
    if isinstance(seq, (list, tuple)):
        return list(seq)
    if isinstance(seq, (np.ndarray, Tensor)) and seq.ndim > 0:
        return [seq[i] for i in range(seq.shape[0])]
    raise op_error(TypeError, op, f"{what} must be a sequence of arrays, got "
                   f"{type(seq).__name__}", f"pass {what} as a list", user_site())


def _shape_of(values, op: str) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*[tuple(v.shape) for v in values]))
    except ValueError:
        raise op_error(ValueError, op, "shape mismatch: objects cannot be broadcast to a "
                       f"single shape: {[tuple(v.shape) for v in values]}",
                       "give arrays whose shapes broadcast together", user_site()) from None


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return len(shape) <= len(target) and np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def select(condlist, choicelist, default=0):
    """From the first condition that holds, that choice; `default` where none does
    (np.select). Conditions must be booleans; choices and default take their common NumPy
    dtype (Python numbers weak). Differentiable in the choices and the default."""
    conditions = _items(condlist, "select", "condlist")
    choices = _items(choicelist, "select", "choicelist")
    if len(conditions) != len(choices):
        raise op_error(ValueError, "select", f"list of cases must be same length as list of "
                       f"conditions ({len(choices)} cases, {len(conditions)} conditions)",
                       "give one choice per condition", user_site())
    if not conditions:
        raise op_error(ValueError, "select", "select with an empty condition list is not "
                       "possible", "give at least one condition", user_site())
    *values, result = operands("select", *choices, default)
    for i in reversed(range(len(conditions))):
        condition = operand(conditions[i], "select")
        if condition.dtype != dtypes.bool_:
            raise op_error(TypeError, "select", f"invalid entry {i} in condlist: should be "
                           f"boolean ndarray, got {condition.dtype.name}",
                           "compare to get booleans, e.g. x != 0", user_site())
        result = where(condition, values[i], result)
    return result


def _piece_conditions(condlist, x) -> list:
    """NumPy's reading of condlist: one condition (a scalar, or a flat list of booleans for
    an array x), or a sequence of them."""
    if isinstance(condlist, (list, tuple)):
        nested = condlist and isinstance(condlist[0], (list, tuple, np.ndarray, Tensor))
        return list(condlist) if nested or x.ndim == 0 else [condlist]
    ndim = condlist.ndim if isinstance(condlist, (np.ndarray, Tensor)) else np.ndim(condlist)
    if ndim == 0 or (ndim == 1 and x.ndim != 0):
        return [condlist]
    return _items(condlist, "piecewise", "condlist")


def _piece_condition(condition, x):
    """A condition as a mask over x: of x's shape, or of its leading axes (a boolean index
    selects whole slices there), or a scalar."""
    c = as_bool(condition, "piecewise")
    if tuple(c.shape) != tuple(x.shape[:c.ndim]) or c.ndim > x.ndim:
        raise op_error(IndexError, "piecewise", f"boolean index did not match indexed array: "
                       f"condition {tuple(c.shape)}, x {tuple(x.shape)}",
                       "give each condition x's shape", user_site())
    return reshape(c, tuple(c.shape) + (1,) * (x.ndim - c.ndim))


def _piece_value(fn, x, args, kw, position: int):
    value = values_as(fn(x, *args, **kw) if callable(fn) else fn, x.dtype, "piecewise")
    shape = tuple(np.shape(value))
    if not _broadcasts_to(shape, tuple(x.shape)):
        raise op_error(ValueError, "piecewise", f"entry {position} of funclist gave shape "
                       f"{shape}, which does not broadcast to x's shape {tuple(x.shape)}",
                       "tapejit calls each function on all of x (not on x[condition]): use "
                       "elementwise functions and scalar constants", user_site())
    return broadcast_to(value, tuple(x.shape))


def piecewise(x, condlist, funclist, *args, **kw):
    """np.piecewise: where a condition holds, its function of x (or its constant); where
    several hold, the last; where none, the extra "otherwise" function if given, else 0.
    The result has x's dtype. Each function is called on all of x (not on x[condition],
    whose length depends on the data) with `*args, **kw`, and must be elementwise; its
    values are kept where the condition holds, so it may compute NaN elsewhere (for
    finite gradients there, make its input safe as tj.where's docstring shows)."""
    x = operand(x, "piecewise")
    conditions = [_piece_condition(c, x) for c in _piece_conditions(condlist, x)]
    functions = list(funclist)
    n = len(conditions)
    if len(functions) == n + 1:
        anywhere = conditions[0] if n else False
        for c in conditions[1:]:
            anywhere = logical_or(anywhere, c)
        conditions.append(logical_not(anywhere))
    elif len(functions) != n:
        raise op_error(ValueError, "piecewise", f"with {n} condition(s), either {n} or "
                       f"{n + 1} functions are expected, got {len(functions)}",
                       "give one function per condition, plus optionally an 'otherwise' "
                       "function", user_site())
    result = full_like(x, 0)
    for i, (condition, fn) in enumerate(zip(conditions, functions)):
        result = where(condition, _piece_value(fn, x, args, kw, i), result)
    return result


_MODES = ("raise", "wrap", "clip")


def _choice_index(a, n: int, mode: str):
    """The choice of every element, in [0, n): known ones checked (mode 'raise'); traced
    ones clamped under 'raise', as gathers clamp."""
    data = index_value(a, "choose")
    if data.dtype.kind not in "iub":
        raise op_error(TypeError, "choose", f"Cannot cast array data from dtype("
                       f"'{np.dtype(data.dtype).name}') to dtype('int64') according to the rule "
                       "'safe'", "pass integer choices", user_site())
    if not is_traced(data):
        data = np.asarray(data, np.int64)
        if mode == "raise" and np.any((data < 0) | (data >= n)):
            raise op_error(ValueError, "choose", f"invalid entry in choice array: an index "
                           f"outside [0, {n})", "fix the index, or pass mode='wrap' or 'clip'",
                           user_site())
        return Tensor(np.mod(data, n) if mode == "wrap" else np.clip(data, 0, n - 1))
    index = cast(data, dtypes.int64)
    return mod(index, n) if mode == "wrap" else clip(index, 0, n - 1)


def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i] for every position i, everything broadcast together (np.choose).
    mode 'raise': known indices outside [0, n) raise NumPy's ValueError, traced ones are
    clamped; 'wrap' and 'clip' as NumPy. Differentiable in the choices."""
    reject_out(out, "choose")
    options = _items(choices, "choose", "choices")
    if not options:
        raise op_error(ValueError, "choose", "0-length sequence.", "give at least one choice",
                       user_site())
    if mode not in _MODES:
        raise op_error(ValueError, "choose", f"clipmode must be one of 'clip', 'raise', or "
                       f"'wrap' (got {mode!r})", "pick one of those", user_site())
    index = _choice_index(a, len(options), mode)
    values = operands("choose", *options)
    shape = _shape_of([index, *values], "choose")
    result = values[-1]
    for i in reversed(range(len(values) - 1)):
        result = where(equal(index, i), values[i], result)
    return broadcast_to(result, shape)


def _known_condition(condition, op: str) -> np.ndarray:
    value = index_value(condition, op)
    if is_traced(value):
        raise op_error(TracerArrayError, op, "the result's length depends on the values of "
                       "this traced condition, so it cannot be compiled",
                       "pass the condition as a NumPy array (known when tracing), call it "
                       "outside tj.jit, or keep the shape with tnp.where(condition, a, 0)",
                       user_site())
    return np.asarray(value)


def _take_true(x, condition: np.ndarray, axis: int, op: str):
    """x's slices along `axis` where `condition` (shorter: the rest false) is nonzero."""
    positions = np.flatnonzero(condition)
    outside = positions[positions >= x.shape[axis]]
    if outside.size:
        raise op_error(IndexError, op, f"index {outside[0]} is out of bounds for axis {axis} "
                       f"with size {x.shape[axis]}", "give a condition no longer than the axis",
                       user_site())
    return take(x, positions, axis)


def compress(condition, a, axis=None, out=None):
    """The slices of `a` along `axis` (of the flattened array if None) where the 1-d
    `condition` is nonzero (np.compress). The condition must be known (a NumPy array or
    an eager tensor); `a` may be traced."""
    reject_out(out, "compress")
    cond = _known_condition(condition, "compress")
    if cond.ndim != 1:
        raise op_error(ValueError, "compress", f"condition must be a 1-d array, got shape "
                       f"{cond.shape}", "pass a 1-d condition", user_site())
    x = operand(a, "compress")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return _take_true(x, cond, one_axis(axis, x.ndim, "compress"), "compress")


def extract(condition, arr):
    """The elements of the flattened `arr` where the flattened `condition` is nonzero
    (np.extract); the condition must be known, as for compress."""
    cond = _known_condition(condition, "extract").ravel()
    return _take_true(reshape(operand(arr, "extract"), (-1,)), cond, 0, "extract")


def _check_kth(kth, n: int, op: str) -> None:
    if isinstance(kth, Tracer):
        raise op_error(TypeError, op, "kth must be known when tracing", "pass kth as an int "
                       "or a list of ints", user_site())
    values = np.asarray(kth.numpy() if isinstance(kth, Tensor) else kth)
    if values.dtype.kind == "b":
        raise op_error(ValueError, op, "Booleans unacceptable as partition index",
                       "pass integer positions", user_site())
    if values.dtype.kind not in "iu" or values.ndim > 1:
        raise op_error(TypeError, op, f"Partition index must be integer, got {kth!r}",
                       "pass an int or a 1-d sequence of ints", user_site())
    for k in values.ravel():
        if not -n <= k < n:
            raise op_error(ValueError, op, f"kth(={k + n if k < 0 else k}) out of bounds ({n})",
                           f"use positions in [{-n}, {n})", user_site())


def _partitioned(op: str, order_fn, a, kth, axis, kind, order):
    if kind != "introselect":
        raise op_error(ValueError, op, f"select kind must be 'introselect' (got {kind!r})",
                       "omit kind", user_site())
    reject_order(order, op)
    x = operand(a, op)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise op_error(ValueError, op, f"axis {axis} is out of bounds for array of dimension 0",
                       "pass axis=None, or reshape it to (1,)", user_site())
    axis = one_axis(axis, x.ndim, op)
    if x.size:
        _check_kth(kth, x.shape[axis], op)
    return order_fn(x, axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """`a` with the k-th element of every lane where a sort would put it, smaller ones
    before and larger ones after (np.partition). NumPy guarantees only that; tapejit
    returns the stable full sort (NaN last), which satisfies it for every kth at once.
    Differentiable in the values, as sort is."""
    return _partitioned("partition", sort, a, kth, axis, kind, order)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices that partition `a` (np.argpartition): here the stable argsort, one of the
    answers NumPy's contract allows (see partition)."""
    return _partitioned("argpartition", argsort, a, kth, axis, kind, order)


def _along(arr, axis, op: str):
    x = operand(arr, op)
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, one_axis(axis, x.ndim, op)


def _known_obj(obj, op: str) -> np.ndarray:
    value = index_value(obj, op)
    if is_traced(value):
        raise op_error(TracerArrayError, op, "obj is traced, but the positions decide the "
                       "result's shape", "pass obj as an int, a slice or a list of ints",
                       user_site())
    return np.asarray(value)


def _fitted(values, shape: tuple, op: str):
    """`values` (a tensor or NumPy data) broadcast to `shape` as NumPy's assignment does:
    leading axes of size 1 may be dropped."""
    v = values if isinstance(values, Tensor) else Tensor(np.asarray(values))
    while v.ndim > len(shape) and v.shape[0] == 1:
        v = reshape(v, tuple(v.shape[1:]))
    if not _broadcasts_to(tuple(v.shape), shape):
        raise op_error(ValueError, op, f"could not broadcast input array from shape "
                       f"{tuple(v.shape)} into shape {shape}", "give values that broadcast "
                       "to the inserted block", user_site())
    return broadcast_to(v, shape)


def _resized(shape, axis: int, n: int) -> tuple:
    return tuple(n if d == axis else s for d, s in enumerate(shape))


def _piece(x, axis: int, start: int, stop: int):
    begin, end = [0] * x.ndim, list(x.shape)
    begin[axis], end[axis] = start, stop
    return slice_(x, begin, end, (1,) * x.ndim)


def _insert_block(x, axis: int, index: int, values, scalar: bool):
    """One position: values (with at least x's dimensions, its first axis moved to `axis`
    when obj was a scalar) inserted as a block, as many slices as it has along `axis`."""
    v = values if isinstance(values, Tensor) else Tensor(np.asarray(values))
    if v.ndim < x.ndim:
        v = reshape(v, (1,) * (x.ndim - v.ndim) + tuple(v.shape))
    if scalar:
        v = moveaxis(v, 0, axis)
    block = _fitted(v, _resized(x.shape, axis, v.shape[axis]), "insert")
    n = x.shape[axis]
    return concatenate([_piece(x, axis, 0, index), block, _piece(x, axis, index, n)], axis)


def insert(arr, obj, values, axis=None):
    """`arr` with `values` inserted before the given positions along `axis` (np.insert;
    flattened when axis is None). obj: an int (values inserted as a block there), a slice,
    or a sequence of known ints (one slice of values before each; equal positions keep
    values' order). Values take arr's dtype. Differentiable in arr and values."""
    x, axis = _along(arr, axis, "insert")
    n = x.shape[axis]
    if isinstance(obj, slice):
        positions, scalar = np.arange(*obj.indices(n)), False
    else:
        value = _known_obj(obj, "insert")
        if value.dtype.kind not in "iu":
            raise op_error(TypeError, "insert", f"obj must be integers or a slice, got "
                           f"{np.dtype(value.dtype).name}", "pass int positions (booleans "
                           "are not read as a mask by insert)", user_site())
        if value.ndim > 1:
            raise op_error(ValueError, "insert", "index array argument obj to insert must be "
                           "one dimensional or scalar", "pass a 1-d list of positions",
                           user_site())
        positions, scalar = value.ravel().astype(np.int64), value.ndim == 0
    outside = positions[(positions < -n) | (positions > n)]
    if outside.size:
        raise op_error(IndexError, "insert", f"index {outside[0]} is out of bounds for axis "
                       f"{axis} with size {n}", f"insert at positions in [{-n}, {n}]",
                       user_site())
    positions = np.where(positions < 0, positions + n, positions)
    values = values_as(values, x.dtype, "insert")
    if positions.size == 1:
        return _insert_block(x, axis, int(positions[0]), values, scalar)
    count = positions.size
    block = _fitted(values, _resized(x.shape, axis, count), "insert")
    if count == 0:
        return x
    final = positions.copy()
    final[np.argsort(positions, kind="stable")] += np.arange(count)
    source = np.empty(n + count, np.int64)
    source[final] = n + np.arange(count)
    source[np.setdiff1d(np.arange(n + count), final)] = np.arange(n)
    return take(concatenate([x, block], axis), source, axis)


def _deleted(obj, n: int, axis: int) -> np.ndarray:
    if isinstance(obj, slice):
        return np.arange(*obj.indices(n))
    value = _known_obj(obj, "delete")
    if value.dtype.kind == "b":
        if value.shape != (n,):
            raise op_error(ValueError, "delete", f"boolean array argument obj to delete must "
                           f"be one dimensional and match the axis length of {n}",
                           "give one boolean per slice along the axis", user_site())
        return np.flatnonzero(value)
    if value.dtype.kind not in "iu":
        raise op_error(IndexError, "delete", f"arrays used as indices must be of integer (or "
                       f"boolean) type, got {np.dtype(value.dtype).name}",
                       "pass int positions, a slice or a boolean mask", user_site())
    positions = value.ravel().astype(np.int64)
    outside = positions[(positions < -n) | (positions >= n)]
    if outside.size:
        raise op_error(IndexError, "delete", f"index {outside[0]} is out of bounds for axis "
                       f"{axis} with size {n}", f"delete positions in [{-n}, {n})", user_site())
    return np.where(positions < 0, positions + n, positions)


def delete(arr, obj, axis=None):
    """`arr` without the slices at `obj` along `axis` (np.delete; flattened when axis is
    None): obj an int, a slice, known ints (repeats allowed) or a boolean mask of the
    axis' length. Differentiable in arr."""
    x, axis = _along(arr, axis, "delete")
    n = x.shape[axis]
    keep = np.ones(n, bool)
    keep[_deleted(obj, n, axis)] = False
    return x if keep.all() else take(x, np.flatnonzero(keep), axis)
