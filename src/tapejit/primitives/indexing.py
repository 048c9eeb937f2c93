"""Indexing primitives: gather and the scatters (a gather's transpose is a scatter_add and the
other way round), dynamic_slice / dynamic_update_slice with traced start indices, and the
integer-valued reductions argmax / argmin.

Gather and scatters address slices of the operand `x` through an integer array `idx` of shape
(*batch, k): row idx[b] holds positions along the k operand axes `axes` (strictly increasing);
the other operand axes ("rest") are taken whole. A gather's result is x's slices stacked as
(*batch, *rest); a scatter's updates have that shape. Positions are in [0, size): negative
indices are the user level's business. Out of range, `mode` decides: "clip" clamps a
position into range (a gather from an empty axis reads zeros), "drop" makes a gather read
zeros and a scatter skip that update. A position hit by several updates gets all of them, in
row-major order of the batch: scatter_add sums, scatter_mul multiplies, scatter_min/max keep
the extreme, and scatter (set) keeps the last one.
"""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives import compare
from tapejit.primitives.arithmetic import maximum
from tapejit.primitives.base import axis_batch, is_undefined, require_numeric, same_dtype
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.primitives.compare import equal, select
from tapejit.primitives.convert import convert
from tapejit.primitives.indexing_batch import (
    dynamic_slice_batch,
    dynamic_update_batch,
    gather_batch,
    scatter_batch,
)
from tapejit.primitives.jvp import zero_jvp
from tapejit.trace import bind, top_trace

MODES = ("clip", "drop")


# --- types ----------------------------------------------------------------------------------

def _require_integer(t: TensorType, what: str) -> None:
    if t.dtype.kind not in "iu":
        raise TypeRuleError(f"{what} must be integers, got {t}",
                            "cast them with tj.cast(i, tj.int32)", DTypeError)


def _batch_and_rest(x: TensorType, idx: TensorType, axes, mode):
    """The batch shape of `idx` and the operand's untouched ("rest") sizes, checked."""
    _require_integer(idx, "indices")
    if not axes or any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise TypeRuleError(f"axes {axes} are not strictly increasing axes of {x}",
                            f"give at least one axis in range({x.ndim}), in increasing order")
    if idx.ndim < 1 or idx.shape[-1] != len(axes):
        raise TypeRuleError(f"indices {idx} need a last axis of size {len(axes)}, one column "
                            f"per axis in {axes}", "stack one index array per axis on axis -1")
    if mode not in MODES:
        raise TypeRuleError(f"mode {mode!r} is not one of {MODES}", "use 'clip' or 'drop'")
    return idx.shape[:-1], tuple(n for a, n in enumerate(x.shape) if a not in axes)


def _gather_type(x: TensorType, idx: TensorType, *, axes, mode) -> TensorType:
    batch, rest = _batch_and_rest(x, idx, axes, mode)
    return TensorType(x.dtype, batch + rest)


def _scatter_type_rule(check=None):
    def rule(x: TensorType, idx: TensorType, u: TensorType, *, axes, mode) -> TensorType:
        batch, rest = _batch_and_rest(x, idx, axes, mode)
        same_dtype(x, u)
        if check is not None:
            check(x)
        if u.shape != batch + rest:
            raise TypeRuleError(f"updates {u} do not have the shape {batch + rest} of the "
                                f"slices that indices {idx} select from {x}",
                                "broadcast the updates to (*indices.shape[:-1], *rest) first")
        return x
    return rule


# --- NumPy ----------------------------------------------------------------------------------

def _positions(idx, sizes, mode):
    """Flat positions over the indexed axes, one per batch row, and which rows are used."""
    rows = np.asarray(idx).astype(np.int64).reshape(-1, len(sizes))
    limits = np.asarray(sizes, np.int64)
    inside = np.all((rows >= 0) & (rows < limits), axis=1)
    if mode == "clip":
        rows = np.clip(rows, 0, np.maximum(limits - 1, 0))
        inside = np.full(len(rows), min(sizes) > 0)
    rows = np.where(inside[:, None], rows, 0)
    strides = np.cumprod((1,) + tuple(sizes[:0:-1]))[::-1].astype(np.int64)
    return rows @ strides if len(rows) else np.zeros(0, np.int64), inside


def _table(x, axes):
    """x as (product of the indexed sizes, *rest): the indexed axes moved first, flattened."""
    moved = np.moveaxis(x, axes, range(len(axes)))
    return moved.reshape((prod(x.shape[a] for a in axes),) + moved.shape[len(axes):])


def _untable(table, shape, axes):
    k = len(axes)
    sizes = tuple(shape[a] for a in axes) + tuple(n for a, n in enumerate(shape) if a not in axes)
    return np.ascontiguousarray(np.moveaxis(table.reshape(sizes), range(k), axes))


def _gather_impl(x, idx, *, axes, mode):
    x = np.asarray(x)
    table = _table(x, axes)
    flat, inside = _positions(idx, [x.shape[a] for a in axes], mode)
    out = table[flat] if table.shape[0] else np.zeros((len(flat),) + table.shape[1:], x.dtype)
    out[~inside] = 0
    return out.reshape(np.shape(idx)[:-1] + table.shape[1:])


def _set_last(table, flat, values):
    """table[flat[i]] = values[i], the last of repeated positions winning."""
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    last = len(flat) - 1 - first_from_end
    table[flat[last]] = values[last]


def _scatter_impl(combine):
    def impl(x, idx, u, *, axes, mode):
        x = np.asarray(x)
        table = _table(x, axes).copy()
        flat, inside = _positions(idx, [x.shape[a] for a in axes], mode)
        values = np.asarray(u, x.dtype).reshape((len(flat),) + table.shape[1:])
        combine(table, flat[inside], values[inside])
        return _untable(table, x.shape, axes)
    return impl


# --- JVPs and transposes -------------------------------------------------------------------

def _zero(dtype):
    return np.zeros((), dtype)[()]


def _beside(values, array, shape, dims=()):
    """`array` broadcast to `shape` along `dims`, in the trace of `values` if they are traced:
    a rule's constants stay a broadcast (of a literal, usually) rather than arrays computed
    while deriving and captured by the program."""
    params = dict(shape=tuple(shape), broadcast_dimensions=tuple(dims))
    trace = top_trace(values)
    return trace.emit(broadcast_in_dim_p, (array,), params) if trace else bind(
        broadcast_in_dim_p, array, **params)


def _filled(like, value, *values, dtype=None):
    """`like`'s shape filled with `value` (of like's dtype unless given), beside `values`."""
    dtype = like.dtype if dtype is None else dtype
    return _beside(values, np.asarray(value, dtype)[()], like.shape)


def _gather_jvp(primals, tangents, out, *, axes, mode):
    return None if tangents[0] is None else gather(tangents[0], primals[1], axes, mode)


def _gather_transpose(ct, x, idx, *, axes, mode):
    return scatter_add(_filled(x, 0, ct, idx), idx, ct, axes, mode), None


def _scatter_add_jvp(primals, tangents, out, *, axes, mode):
    (x, idx, u), (tx, _, tu) = primals, tangents
    return scatter_add(_filled(x, 0, idx, tu) if tx is None else tx, idx,
                       _filled(u, 0, idx, tx) if tu is None else tu, axes, mode)


def _scatter_add_transpose(ct, x, idx, u, *, axes, mode):
    return (ct if is_undefined(x) else None, None,
            gather(ct, idx, axes, mode) if is_undefined(u) else None)


def _sum_terms(terms):
    total = None
    for term in terms:
        total = term if total is None else total + term
    return total


def _scatter_jvp(primals, tangents, out, *, axes, mode):
    """Each output element's tangent comes from whatever wrote it last: x's element if no
    update reached it, else the winning update (found by scattering update numbers)."""
    (x, idx, u), (tx, _, tu) = primals, tangents
    batch = tuple(idx.shape[:-1])
    numbers = np.arange(1, prod(batch) + 1, dtype=np.int64).reshape(batch)
    numbers = _beside((x, idx, u), numbers, u.shape, range(len(batch)))
    winners = scatter(_filled(x, 0, idx, dtype=np.int64), idx, numbers, axes, mode)
    zero = _zero(x.dtype)
    terms = []
    if tx is not None:
        terms.append(select(equal(winners, _zero(np.int64)), tx, zero))
    if tu is not None:
        won = equal(gather(winners, idx, axes, mode), numbers)
        terms.append(scatter_add(_filled(x, 0, idx, tu), idx, select(won, tu, zero), axes, mode))
    return _sum_terms(terms)


def _product_partials(x, idx, u, out, axes, mode):
    """d out[idx[b]] / d u[b]: x times the other updates' product there (exact at zeros:
    out / u where u != 0; where u == 0, x times the nonzero others if u is their only zero)."""
    one = np.ones((), u.dtype)[()]
    nonzero = bind(compare.ne_p, u, _zero(u.dtype))
    safe = select(nonzero, u, one)
    is_zero = convert(bind(compare.not_p, nonzero), u.dtype)
    zero_counts = scatter_add(_filled(x, 0, idx, u), idx, is_zero, axes, mode)
    nonzero_products = scatter_mul(_filled(x, 1, idx, u), idx, safe, axes, mode)
    lone_zero = convert(equal(gather(zero_counts, idx, axes, mode), one), u.dtype)
    at_zero = gather(x, idx, axes, mode) * gather(nonzero_products, idx, axes, mode) * lone_zero
    return select(nonzero, gather(out, idx, axes, mode) / safe, at_zero)


def _scatter_mul_jvp(primals, tangents, out, *, axes, mode):
    (x, idx, u), (tx, _, tu) = primals, tangents
    terms = []
    if tx is not None:
        terms.append(scatter_mul(tx, idx, u, axes, mode))
    if tu is not None:
        partials = _product_partials(x, idx, u, out, axes, mode)
        terms.append(scatter_add(_filled(x, 0, idx, tu), idx, tu * partials, axes, mode))
    return _sum_terms(terms)


def _scatter_mul_transpose(ct, x, idx, u, *, axes, mode):
    assert not is_undefined(u), "scatter_mul is linear only in its operand"
    return scatter_mul(ct, idx, u, axes, mode), None, None


def _extremum_jvp(primals, tangents, out, *, axes, mode):
    """As reduce_max: the mean of the tangents of x's element and of the updates that attain
    the result (ties share equally; 0 where it is NaN)."""
    (x, idx, u), (tx, _, tu) = primals, tangents
    at_x = convert(equal(x, out), x.dtype)
    at_u = convert(equal(u, gather(out, idx, axes, mode)), x.dtype)
    count = maximum(at_x + scatter_add(_filled(x, 0, idx, u), idx, at_u, axes, mode),
                    np.ones((), x.dtype)[()])
    terms = []
    if tx is not None:
        terms.append(tx * at_x)
    if tu is not None:
        terms.append(scatter_add(_filled(x, 0, idx, tu), idx, tu * at_u, axes, mode))
    return _sum_terms(terms) / count


def _scatter_prim(name, combine, jvp, transpose=None, check=None):
    return Primitive(name=name, type_rule=_scatter_type_rule(check), impl=_scatter_impl(combine),
                     jvp=jvp, transpose=transpose, kind="other", batch=scatter_batch)


gather_p = Primitive(name="gather", type_rule=_gather_type, impl=_gather_impl, jvp=_gather_jvp,
                     transpose=_gather_transpose, kind="other", batch=gather_batch)
scatter_add_p = _scatter_prim("scatter_add", np.add.at, _scatter_add_jvp,
                              _scatter_add_transpose, require_numeric)
scatter_p = _scatter_prim("scatter", _set_last, _scatter_jvp)
scatter_mul_p = _scatter_prim("scatter_mul", np.multiply.at, _scatter_mul_jvp,
                              _scatter_mul_transpose, require_numeric)
scatter_min_p = _scatter_prim("scatter_min", np.minimum.at, _extremum_jvp)
scatter_max_p = _scatter_prim("scatter_max", np.maximum.at, _extremum_jvp)


# --- dynamic slices ------------------------------------------------------------------------

def _check_starts(x: TensorType, starts) -> None:
    if len(starts) != x.ndim or any(s.ndim for s in starts):
        raise TypeRuleError(f"{len(starts)} start indices for {x}",
                            f"give one scalar start index per axis ({x.ndim})")
    for s in starts:
        _require_integer(s, "start indices")


def _dynamic_slice_type(x: TensorType, *starts: TensorType, slice_sizes) -> TensorType:
    _check_starts(x, starts)
    if len(slice_sizes) != x.ndim or any(not 0 <= k <= n for k, n in zip(slice_sizes, x.shape)):
        raise TypeRuleError(f"slice sizes {slice_sizes} do not fit in {x}",
                            "give one size per axis, each between 0 and the axis size")
    return TensorType(x.dtype, tuple(slice_sizes))


def clamped_starts(starts, sizes, shape) -> list[int]:
    """XLA's rule: each start is clamped so that the slice fits in the operand."""
    return [min(max(int(s), 0), n - k) for s, k, n in zip(starts, sizes, shape)]


def _dynamic_slice_impl(x, *starts, slice_sizes):
    x = np.asarray(x)
    begins = clamped_starts(starts, slice_sizes, x.shape)
    return x[tuple(slice(b, b + k) for b, k in zip(begins, slice_sizes))]


def _dynamic_update_type(x: TensorType, u: TensorType, *starts: TensorType) -> TensorType:
    same_dtype(x, u)
    _check_starts(x, starts)
    if u.ndim != x.ndim or any(k > n for k, n in zip(u.shape, x.shape)):
        raise TypeRuleError(f"update {u} does not fit in {x}",
                            "the update needs the operand's rank and no larger sizes")
    return x


def _dynamic_update_impl(x, u, *starts):
    out = np.asarray(x).copy()
    u = np.asarray(u)
    begins = clamped_starts(starts, u.shape, out.shape)
    out[tuple(slice(b, b + k) for b, k in zip(begins, u.shape))] = u
    return out


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    return (dynamic_update_slice(_filled(x, 0, ct), ct, starts),) + (None,) * len(starts)


def _dynamic_update_jvp(primals, tangents, out):
    (x, u, *starts), (tx, tu, *_) = primals, tangents
    return dynamic_update_slice(_filled(x, 0, tu) if tx is None else tx,
                                _filled(u, 0, tx) if tu is None else tu, starts)


def _dynamic_update_transpose(ct, x, u, *starts):
    ct_x = dynamic_update_slice(ct, _filled(u, 0, ct), starts) if is_undefined(x) else None
    ct_u = dynamic_slice(ct, starts, u.shape) if is_undefined(u) else None
    return (ct_x, ct_u) + (None,) * len(starts)


dynamic_slice_p = Primitive(
    name="dynamic_slice", type_rule=_dynamic_slice_type, impl=_dynamic_slice_impl,
    jvp=lambda primals, tangents, out, *, slice_sizes: dynamic_slice(
        tangents[0], primals[1:], slice_sizes),
    transpose=_dynamic_slice_transpose, kind="view", size_params=("slice_sizes",),
    batch=dynamic_slice_batch(gather_p))
dynamic_update_slice_p = Primitive(
    name="dynamic_update_slice", type_rule=_dynamic_update_type, impl=_dynamic_update_impl,
    jvp=_dynamic_update_jvp, transpose=_dynamic_update_transpose, kind="other",
    batch=dynamic_update_batch(scatter_p))


# --- argmax / argmin -----------------------------------------------------------------------

def _arg_type(x: TensorType, *, axis, index_dtype) -> TensorType:
    if not 0 <= axis < x.ndim or x.shape[axis] == 0:
        raise TypeRuleError(f"cannot find an extreme along axis {axis} of {x}",
                            "reduce a non-empty axis of the operand")
    if not isinstance(index_dtype, np.dtype) or index_dtype.kind not in "iu":
        raise TypeRuleError(f"index_dtype {index_dtype!r} is not an integer dtype",
                            "use np.dtype(np.int64) or np.dtype(np.int32)", DTypeError)
    return TensorType(index_dtype, x.shape[:axis] + x.shape[axis + 1:])


_arg_batch = axis_batch(lambda n, *, axis, index_dtype: {"axis": axis + 1,
                                                        "index_dtype": index_dtype})
argmax_p = Primitive(
    name="argmax", type_rule=_arg_type, jvp=zero_jvp, kind="other", batch=_arg_batch,
    impl=lambda x, *, axis, index_dtype: np.argmax(np.asarray(x), axis).astype(index_dtype))
argmin_p = Primitive(
    name="argmin", type_rule=_arg_type, jvp=zero_jvp, kind="other", batch=_arg_batch,
    impl=lambda x, *, axis, index_dtype: np.argmin(np.asarray(x), axis).astype(index_dtype))


# --- strict wrappers -----------------------------------------------------------------------

def gather(x, idx, axes, mode):
    return bind(gather_p, x, idx, axes=tuple(axes), mode=mode)


def scatter_add(x, idx, u, axes, mode):
    return bind(scatter_add_p, x, idx, u, axes=tuple(axes), mode=mode)


def scatter(x, idx, u, axes, mode):
    return bind(scatter_p, x, idx, u, axes=tuple(axes), mode=mode)


def scatter_mul(x, idx, u, axes, mode):
    return bind(scatter_mul_p, x, idx, u, axes=tuple(axes), mode=mode)


def dynamic_slice(x, starts, slice_sizes):
    return bind(dynamic_slice_p, x, *starts, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x, u, starts):
    return bind(dynamic_update_slice_p, x, u, *starts)
