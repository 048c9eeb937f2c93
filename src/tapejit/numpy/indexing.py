"""NumPy's index functions: take, take_along_axis, put_along_axis (functional: it returns the
new array), argmax, argmin. Known indices out of range raise NumPy's IndexError; under jit,
traced ones are clamped (take, take_along_axis) or dropped (put_along_axis), as in JAX."""

from __future__ import annotations

import numpy as np

from tapejit.errors import op_error
from tapejit.numpy.arguments import one_axis
from tapejit.ops.gathers import gather_along
from tapejit.ops.index_values import (
    check_bounds,
    index_value,
    is_traced,
    stack_columns,
    values_as,
    widened,
    wrap_negative,
)
from tapejit.ops.numpy_policy import operands
from tapejit.ops.shape import broadcast_to, reshape
from tapejit.primitives import arithmetic, convert
from tapejit.primitives import indexing as prims
from tapejit.primitives.compare import lt_p, select_p
from tapejit.site import user_site
from tapejit.trace import bind


def _one(a, op: str):
    return operands(op, a)[0]


def _integer_indices(indices, op: str):
    value = index_value(indices, op)
    if value.dtype.kind not in "iu":
        raise op_error(TypeError, op, f"Cannot cast array data from "
                       f"dtype('{np.dtype(value.dtype).name}') to dtype('int64') according to "
                       "the rule 'safe'", "pass integer indices", user_site())
    return value


def _no_out(out, op: str) -> None:
    if out is not None:
        raise op_error(TypeError, op, "out= is not supported (tensors are immutable)",
                       "use the returned array", user_site())


def _wrapped(value, size: int):
    """NumPy's mode='wrap': indices taken modulo the size."""
    if not is_traced(value):
        return np.mod(value, size)
    wide = widened(value)
    n = np.asarray(size, wide.dtype)[()]
    quotient = convert.convert(bind(arithmetic.div_p, convert.convert(wide, np.float64),
                                    np.float64(size)), wide.dtype)
    rest = bind(arithmetic.sub_p, wide, bind(arithmetic.mul_p, quotient, n))
    return bind(select_p, bind(lt_p, rest, np.zeros((), wide.dtype)[()]),
                bind(arithmetic.add_p, rest, n), rest)


def take(a, indices, axis=None, out=None, mode="raise"):
    """Elements of `a` at `indices` along `axis` (the flattened array if None).

    mode 'raise' (the default): known indices out of range raise, traced ones are clamped;
    'wrap': indices wrap around; 'clip': clamped, negative ones to 0 (as NumPy).
    """
    _no_out(out, "take")
    a = _one(a, "take")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = one_axis(axis, len(a.shape), "take")
    size = a.shape[axis]
    value = _integer_indices(indices, "take")
    if mode in (None, "raise"):
        check_bounds(value, size, axis, "take")
        value = wrap_negative(value, size)
    elif mode == "wrap":
        value = _wrapped(value, size)
    elif mode != "clip":
        raise op_error(ValueError, "take", f"clipmode must be one of 'clip', 'raise', or "
                       f"'wrap' (got {mode!r})", "pick one of those", user_site())
    return gather_along(a, value, axis)


def _along_axis(arr, indices, axis, op: str):
    """arr (flattened if axis is None), its axis, and one index per output element for
    every axis of arr: positions along the others, `indices` (wrapped) along `axis`."""
    arr = _one(arr, op)
    value = _integer_indices(indices, op)
    if axis is None:
        if len(value.shape) != 1:
            raise op_error(ValueError, op, "when axis=None, `indices` must have a single "
                           "dimension.", "pass 1-d indices", user_site())
        arr, axis = reshape(arr, (-1,)), 0
    ndim = len(arr.shape)
    if len(value.shape) != ndim:
        raise op_error(ValueError, op, "`indices` and `arr` must have the same number of "
                       "dimensions", f"give indices {ndim} dimensions", user_site())
    axis = one_axis(axis, ndim, op)
    check_bounds(value, arr.shape[axis], axis, op)
    value = wrap_negative(value, arr.shape[axis])
    columns = [value if d == axis else np.arange(n).reshape((-1,) + (1,) * (ndim - 1 - d))
               for d, n in enumerate(arr.shape)]
    try:
        shape = np.broadcast_shapes(*[tuple(c.shape) for c in columns])
    except ValueError:
        raise op_error(ValueError, op, f"shape mismatch: indices {tuple(value.shape)} do not "
                       f"broadcast against arr {tuple(arr.shape)} off axis {axis}",
                       "give indices sizes of 1 or arr's size on the other axes",
                       user_site()) from None
    return arr, stack_columns(columns, list(arr.shape), shape), shape


def take_along_axis(arr, indices, axis=-1):
    """arr's elements at `indices` along `axis`, paired position by position on the others
    (np.take_along_axis); differentiable in arr."""
    arr, index, _ = _along_axis(arr, indices, axis, "take_along_axis")
    return bind(prims.gather_p, arr, index, axes=tuple(range(len(arr.shape))), mode="clip")


def put_along_axis(arr, indices, values, axis):
    """A new array: arr with `values` (broadcast to indices' shape) written at `indices`
    along `axis` (np.put_along_axis, without changing arr). Where indices repeat, the last
    value in row-major order wins. Differentiable in arr and values."""
    original = _one(arr, "put_along_axis")
    flat, index, shape = _along_axis(original, indices, axis, "put_along_axis")
    updates = broadcast_to(values_as(values, flat.dtype, "put_along_axis"), shape)
    out = bind(prims.scatter_p, flat, index, updates, axes=tuple(range(len(flat.shape))),
               mode="drop")
    return reshape(out, tuple(original.shape))


def _arg(prim, op: str, a, axis, out, keepdims):
    _no_out(out, op)
    a = _one(a, op)
    shape = tuple(a.shape)
    flat = axis is None
    if flat:
        a, axis = reshape(a, (-1,)), 0
    axis = one_axis(axis, len(a.shape), op)
    if a.shape[axis] == 0:
        raise op_error(ValueError, op, f"attempt to get {op} of an empty sequence",
                       "reduce a non-empty axis", user_site())
    result = bind(prim, a, axis=axis, index_dtype=np.dtype(np.int64))
    if keepdims:
        kept = [1] * len(shape) if flat else [1 if d == axis else n for d, n in enumerate(shape)]
        result = reshape(result, tuple(kept))
    return result


def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the first largest element along `axis` (of the flattened array if None);
    a NaN counts as the largest, as in NumPy. int64."""
    return _arg(prims.argmax_p, "argmax", a, axis, out, keepdims)


def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the first smallest element (the first NaN if any), as np.argmin. int64."""
    return _arg(prims.argmin_p, "argmin", a, axis, out, keepdims)
