"""NaN-ignoring reductions and scans with NumPy's signatures and result dtypes: nansum,
nanprod, nanmean, nanvar, nanstd, nanmax, nanmin, nanargmax, nanargmin, nancumsum,
nancumprod (np.nan*).

A NaN (and an element `where=` leaves out) is replaced by the reduction's identity, so its
gradient is zero. Integers and booleans hold no NaN: they give what the plain function
gives, in its dtype, as in NumPy. Where NumPy warns (RuntimeWarning for an all-NaN or empty
slice) tapejit warns too when the values are known; under jit they are not, and it does
not warn. The order statistics (nanmedian, nanquantile, nanpercentile) are in order_statistics.py.
"""

from __future__ import annotations

import builtins

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import axes, known_values, one_axis, operand, reject_out
from tapejit.numpy.arith import fmax, fmin
from tapejit.numpy.indexing import argmax, argmin
from tapejit.numpy.logic import (
    as_bool,
    equal,
    isnan,
    less_equal,
    logical_not,
    logical_or,
)
from tapejit.numpy.logic import where as select
from tapejit.numpy.reductions import all as all_of
from tapejit.numpy.reductions import max as max_of
from tapejit.numpy.reductions import mean as plain_mean
from tapejit.numpy.reductions import min as min_of
from tapejit.numpy.reductions import prod, var
from tapejit.numpy.reductions import sum as sum_of
from tapejit.numpy.scans import cumprod, cumsum
from tapejit.numpy.shaping import broadcast_to
from tapejit.ops.elementwise import sqrt
from tapejit.ops.operands import cast
from tapejit.ops.shape import reshape
from tapejit.site import user_site, warn_at_user_line

_NO_VALUE = object()


def warn_where(flags, message: str) -> None:
    """NumPy's RuntimeWarning `message` when any known flag is set."""
    values = known_values(flags)
    if values is not None and values.any():
        warn_at_user_line(message, RuntimeWarning)


def skipped(x, where_, op: str):
    """Which elements a reduction leaves out (a boolean tensor of x's shape): its NaNs and
    where `where_` is false; None when it can leave out none (integers, where=True)."""
    nans = isnan(x) if x.dtype.kind == "f" else None
    if where_ is True:
        return nans
    left_out = logical_not(broadcast_to(as_bool(where_, op), tuple(x.shape)))
    return left_out if nans is None else logical_or(nans, left_out)


def filled(x, left_out, value):
    """x with `value` (in x's dtype) at the elements left out."""
    return x if left_out is None else select(left_out, np.asarray(value, x.dtype)[()], x)


def _initial(initial) -> dict:
    return {} if initial is _NO_VALUE else {"initial": initial}


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
           where=True):
    """The sum over `axis` with NaNs counted as zero (np.nansum): all-NaN gives 0; bools and
    small integers add up in int64."""
    reject_out(out, "nansum")
    x = operand(a, "nansum")
    values = filled(x, skipped(x, where, "nansum"), 0)
    return sum_of(values, axis, dtype, keepdims=keepdims, **_initial(initial))


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
            where=True):
    """The product over `axis` with NaNs counted as one (np.nanprod): all-NaN gives 1."""
    reject_out(out, "nanprod")
    x = operand(a, "nanprod")
    values = filled(x, skipped(x, where, "nanprod"), 1)
    return prod(values, axis, dtype, keepdims=keepdims, **_initial(initial))


def _mean_dtypes(x, dtype, op: str) -> tuple[np.dtype, np.dtype]:
    """(the dtype to compute in, the result's): x's float dtype, float64 for integers, or
    `dtype`, which NumPy requires to be a float for float data; float16 computes in
    float32."""
    if dtype is None:
        result = x.dtype if x.dtype.kind == "f" else dtypes.float64
    else:
        result = dtypes.canonical(dtype, op)
        if x.dtype.kind == "f" and result.kind != "f":
            raise op_error(TypeError, op, f"If a is inexact, then dtype must be inexact (a is "
                           f"{x.dtype}, dtype={result})", "pass a float dtype, or omit dtype",
                           user_site())
    if result == dtypes.float16 or result.kind != "f":
        return (dtypes.float32 if result == dtypes.float16 else dtypes.float64), result
    return result, result


def _slice_size(x, reduced) -> int:
    return int(np.prod([x.shape[i] for i in reduced], dtype=np.int64))


def _count(left_out, reduced, keepdims: bool, dtype):
    """How many elements each slice keeps, in `dtype`."""
    kept = cast(logical_not(left_out), dtypes.int64)
    return cast(sum_of(kept, reduced, keepdims=keepdims), dtype)


def _divided(total, count, bad):
    """total / count, NaN where `bad`; bad slices divide by one, so that their (unused)
    gradient stays finite."""
    safe = select(bad, np.asarray(1, count.dtype)[()], count)
    return select(bad, np.asarray(np.nan, total.dtype)[()], total / safe)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """The mean of the non-NaN elements over `axis` (np.nanmean): integers give float64; an
    all-NaN or empty slice gives NaN (eagerly with NumPy's RuntimeWarning "Mean of empty
    slice")."""
    reject_out(out, "nanmean")
    x = operand(a, "nanmean")
    work, result = _mean_dtypes(x, dtype, "nanmean")
    left_out = skipped(x, where, "nanmean")
    reduced = axes(axis, x.ndim, "nanmean")
    if left_out is None:
        if _slice_size(x, reduced) == 0:
            warn_at_user_line("Mean of empty slice", RuntimeWarning)
        return plain_mean(x, axis, dtype, keepdims=keepdims)
    count = _count(left_out, reduced, keepdims, work)
    total = sum_of(cast(filled(x, left_out, 0), work), reduced, keepdims=keepdims)
    empty = equal(count, 0)
    warn_where(empty, "Mean of empty slice")
    return cast(_divided(total, count, empty), result)


def _degrees_of_freedom(ddof, correction, op: str):
    if correction is _NO_VALUE:
        return ddof
    if ddof != 0:
        raise op_error(ValueError, op, "ddof and correction can't be provided simultaneously.",
                       "pass one of them", user_site())
    return correction


def _squared_deviations(values, center, work):
    """(values - center)**2 as NumPy's nanvar computes it: stored in the data's float dtype
    (it works in a copy of the data), then summed in `work`."""
    store = values.dtype if values.dtype.kind == "f" else work
    both = np.promote_types(store, center.dtype)
    deviation = cast(cast(values, both) - cast(center, both), store)
    return cast(deviation * deviation, work)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=_NO_VALUE, correction=_NO_VALUE):  # noqa: A002
    """The variance of the non-NaN elements, sum(|x - mean|**2) / (count - ddof)
    (np.nanvar): count - ddof <= 0 (an all-NaN slice among them) gives NaN, eagerly with
    NumPy's RuntimeWarning. Integers, which hold no NaN, follow np.var (inf there)."""
    reject_out(out, "nanvar")
    x = operand(a, "nanvar")
    work, result = _mean_dtypes(x, dtype, "nanvar")
    ddof = _degrees_of_freedom(ddof, correction, "nanvar")
    left_out = skipped(x, where, "nanvar")
    reduced = axes(axis, x.ndim, "nanvar")
    if left_out is None:
        if _slice_size(x, reduced) - ddof <= 0:
            warn_at_user_line("Degrees of freedom <= 0 for slice", RuntimeWarning)
        given = {} if mean is _NO_VALUE else {"mean": mean}
        return var(x, axis, dtype, None, ddof, keepdims, **given)
    values = filled(x, left_out, 0)
    count = _count(left_out, reduced, True, work)
    if mean is _NO_VALUE:
        center = _divided(sum_of(cast(values, work), reduced, keepdims=True), count,
                          equal(count, 0))
    else:
        center = operand(mean, "nanvar")
    squares = filled(_squared_deviations(values, center, work), left_out, 0)
    total = sum_of(squares, reduced, keepdims=keepdims)
    dof = count - work.type(ddof)
    if not keepdims:
        dof = reshape(dof, tuple(total.shape))
    bad = less_equal(dof, 0)
    warn_where(bad, "Degrees of freedom <= 0 for slice.")
    if x.dtype.kind == "f":
        return cast(_divided(total, dof, bad), result)
    return cast(total / select(bad, work.type(0), dof), result)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=_NO_VALUE, correction=_NO_VALUE):  # noqa: A002
    """The standard deviation sqrt(nanvar) of the non-NaN elements (np.nanstd)."""
    reject_out(out, "nanstd")
    variance = nanvar(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean,
                      correction=correction)
    return cast(sqrt(variance), variance.dtype)


def _never_picked(dtype: np.dtype, largest: bool):
    """The value an extremum never picks: -inf for a maximum (inf for a minimum)."""
    if dtype.kind == "f":
        return -np.inf if largest else np.inf
    if dtype.kind == "b":
        return not largest
    info = np.iinfo(dtype)
    return info.min if largest else info.max


def _check_reducible(name: str, x, reduced, where_) -> None:
    ufunc = "f" + name[3:]
    if where_ is not True:
        raise op_error(ValueError, name, f"reduction operation '{ufunc}' does not have an "
                       "identity, so to use a where mask one has to specify 'initial'",
                       "pass initial=... along with where=", user_site())
    if builtins.any(x.shape[i] == 0 for i in reduced):
        raise op_error(ValueError, name, f"zero-size array to reduction operation {ufunc} "
                       f"which has no identity (shape {x.shape})",
                       "pass initial=..., or reduce a non-empty axis", user_site())


def _nan_extremum(name: str, plain, nan_ignoring, largest: bool):
    def fn(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
        reject_out(out, name)
        x = operand(a, name)
        reduced = axes(axis, x.ndim, name)
        if initial is _NO_VALUE:
            _check_reducible(name, x, reduced, where)
        left_out = skipped(x, where, name)
        if left_out is None and initial is _NO_VALUE:
            return plain(x, reduced, keepdims=keepdims)
        extra = {} if initial is _NO_VALUE else {"initial": _never_picked(x.dtype, largest)}
        best = plain(filled(x, left_out, _never_picked(x.dtype, largest)), reduced,
                     keepdims=keepdims, **extra)
        if x.dtype.kind == "f":
            nothing_left = all_of(left_out, reduced, keepdims=keepdims)
            best = select(nothing_left, np.asarray(np.nan, x.dtype)[()], best)
        if initial is not _NO_VALUE:
            best = nan_ignoring(best, np.asarray(initial, x.dtype)[()])
        if x.dtype.kind == "f":
            warn_where(isnan(best), "All-NaN slice encountered")
        return best
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {name[3:]}imum over `axis` ignoring NaNs (np.{name}): an all-NaN slice "
                  f"gives NaN (eagerly with NumPy's RuntimeWarning \"All-NaN slice "
                  f"encountered\"), or `initial` when given; an empty reduction needs "
                  f"`initial`, and so does where=. Ties share the gradient, as in "
                  f"tnp.{name[3:]}; NaNs get none.")
    return fn


nanmax = _nan_extremum("nanmax", max_of, fmax, True)
nanmin = _nan_extremum("nanmin", min_of, fmin, False)


def _nan_arg(name: str, plain, largest: bool):
    def fn(a, axis=None, out=None, *, keepdims=False):
        reject_out(out, name)
        x = operand(a, name)
        if axis is not None:
            axis = one_axis(axis, x.ndim, name)
        if x.dtype.kind != "f":
            return plain(x, axis, keepdims=keepdims)
        nans = isnan(x)
        index = plain(filled(x, nans, _never_picked(x.dtype, largest)), axis, keepdims=keepdims)
        nothing_left = all_of(nans, axis, keepdims=keepdims)
        values = known_values(nothing_left)
        if values is None:
            return select(nothing_left, np.int64(-1), index)
        if values.any():
            raise op_error(ValueError, name, "All-NaN slice encountered",
                           f"check tnp.all(tnp.isnan(a), axis) first, or use tnp.nan"
                           f"{name[6:]}, which gives NaN there", user_site())
        return index
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Index of the first {'largest' if largest else 'smallest'} non-NaN element "
                  f"along `axis` (np.{name}), int64. An all-NaN slice raises ValueError when "
                  f"the values are known, as in NumPy; under jit (and vmap), where they are "
                  f"not, it gives -1 for that slice (JAX's choice): never a valid index.")
    return fn


nanargmax = _nan_arg("nanargmax", argmax, True)
nanargmin = _nan_arg("nanargmin", argmin, False)


def nancumsum(a, axis=None, dtype=None, out=None):
    """Running sums along `axis` (the flattened array by default) with NaNs counted as zero
    (np.nancumsum): leading NaNs give 0."""
    reject_out(out, "nancumsum")
    x = operand(a, "nancumsum")
    return cumsum(filled(x, skipped(x, True, "nancumsum"), 0), axis, dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Running products along `axis` with NaNs counted as one (np.nancumprod)."""
    reject_out(out, "nancumprod")
    x = operand(a, "nancumprod")
    return cumprod(filled(x, skipped(x, True, "nancumprod"), 1), axis, dtype)
