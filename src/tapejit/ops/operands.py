"""Turns what users pass to ops (scalars, lists, arrays, Tensors, Variables) into operands
under the dtype policy, and promotes the operands of binary ops."""

from __future__ import annotations

from functools import reduce

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, TapejitError, op_error
from tapejit.ops.containers import holds_tensors, pack
from tapejit.primitives.convert import convert_element_type_p, stop_gradient_p
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable, reject_masked, to_array
from tapejit.trace import bind

_PY_SCALARS = (bool, int, float)


def is_python_scalar(x) -> bool:
    return type(x) in _PY_SCALARS


def as_operand(x, op: str = "op"):
    """A Tensor/Tracer, or a NumPy value treated as a constant."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Variable):
        return x.read()
    if isinstance(x, (np.ndarray, np.generic)):
        reject_masked(x, op)
        _check_dtype(x.dtype, op)
        return x
    if isinstance(x, (list, tuple)) and holds_tensors(x):
        return pack(x, op, tf_dtype)
    if is_python_scalar(x) or isinstance(x, (list, tuple)):
        try:
            return to_array(x, what=op)
        except TapejitError:
            raise
        except Exception as e:
            raise op_error(TypeError, op, f"cannot make a tensor of {x!r}: {e}",
                           "pass numbers, nested lists of numbers, arrays or tensors",
                           user_site()) from None
    raise op_error(TypeError, op, f"expected a tensor, array or number, got {type(x).__name__}",
                   "convert it with tj.constant(...)", user_site())


def tf_dtype(items: list) -> np.dtype:
    """The dtype TF's policy gives these values together: tensors and NumPy values promote
    (tapejit.dtypes.promote), Python numbers adopt it (weak)."""
    strong = [dtypes.canonical(x.dtype) for x in items if not is_python_scalar(x)]
    dtype = reduce(dtypes.promote, strong)
    for x in items:
        if is_python_scalar(x):
            dtype = dtypes.promote(dtype, dtypes.weak_scalar_dtype(x, dtype))
    return dtype


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """`value` as a tensor (TF's convert_to_tensor): a tensor as it is, a Variable read, a
    list holding tensors stacked by recorded ops (its gradient flows), other data copied
    under the dtype policy (dtype_hint is the dtype Python data takes when it fits)."""
    del name
    if isinstance(value, Variable):
        value = value.read()
    if isinstance(value, Tensor) or (isinstance(value, (list, tuple)) and holds_tensors(value)):
        tensor = as_operand(value, "convert_to_tensor")
        if dtype is not None and tensor.dtype != dtypes.canonical(dtype, "convert_to_tensor"):
            raise op_error(ValueError, "convert_to_tensor",
                           f"Tensor conversion requested dtype {np.dtype(dtype).name} for "
                           f"Tensor with dtype {tensor.dtype.name}",
                           "cast it with tj.cast(x, dtype)", user_site())
        return tensor
    return Tensor(to_array(value, dtype if dtype is not None else _hint(value, dtype_hint),
                           what="convert_to_tensor"))


def _hint(value, dtype_hint):
    if dtype_hint is None:
        return None
    try:
        converted = np.asarray(value, dtypes.canonical(dtype_hint, "convert_to_tensor"))
    except (TypeError, ValueError, OverflowError):
        return None
    return converted.dtype if np.array_equal(converted, np.asarray(value)) else None


def _check_dtype(dtype: np.dtype, op: str) -> None:
    if dtype not in dtypes.SUPPORTED:
        raise op_error(DTypeError, op, f"dtype {dtype} is not supported",
                       "use bool, integer or float16/32/64 data (complex, strings and objects "
                       "have no tapejit ops)", user_site())


def cast(x, dtype):
    """x converted to `dtype` (a no-op when it already has it)."""
    dtype = dtypes.canonical(dtype, "cast")
    x = as_operand(x, "cast")
    if x.dtype == dtype:
        return x
    if isinstance(x, Tensor):
        return bind(convert_element_type_p, x, new_dtype=dtype)
    return np.asarray(x).astype(dtype)[()]


def binary_operands(op: str, x, y):
    """Both operands of a binary op with one dtype (Python scalars adopt the other's)."""
    kind_x, kind_y = type(x), type(y)
    if kind_x is Variable:  # read now, in operand order, as as_operand would
        x = x.read()
        kind_x = type(x)
    if kind_y is Variable:
        y = y.read()
        kind_y = type(y)
    if kind_x is Tensor:  # fast paths for the eager tape's common cases
        dtype = x._value.dtype
        if kind_y is Tensor and y._value.dtype == dtype:
            return x, y
        if (kind_y is float or kind_y is int) and dtype.kind == "f":
            return x, _float_scalar(dtype, y)
    elif kind_y is Tensor and (kind_x is float or kind_x is int):
        dtype = y._value.dtype
        if dtype.kind == "f":
            return _float_scalar(dtype, x), y
    if is_python_scalar(x) and not is_python_scalar(y):
        b = as_operand(y, op)
        a = _weak_scalar(op, x, b.dtype)
    elif is_python_scalar(y) and not is_python_scalar(x):
        a = as_operand(x, op)
        b = _weak_scalar(op, y, a.dtype)
    else:
        a, b = as_operand(x, op), as_operand(y, op)
    if a.dtype == b.dtype:
        return a, b
    dtype = dtypes.promote(a.dtype, b.dtype)
    return cast(a, dtype), cast(b, dtype)


_FLOAT_SCALARS: dict[np.dtype, dict] = {}
_FLOAT_SCALARS_KEPT = 64
"""Per float dtype, the NumPy scalars of the Python numbers last converted (a cache: `x * 0.5`
in a loop converts 0.5 once, not on every op); at most this many each."""


def _float_scalar(dtype: np.dtype, value):
    """dtype.type(value) for a Python int or float and a float dtype. Zero is not kept: 0.0
    and -0.0 are equal keys with different bits."""
    kept = _FLOAT_SCALARS.get(dtype)
    if kept is None:
        kept = _FLOAT_SCALARS.setdefault(dtype, {})
    found = kept.get(value)
    if found is None:
        found = dtype.type(value)
        if value and len(kept) < _FLOAT_SCALARS_KEPT:
            kept[value] = found
    return found


def _weak_scalar(op: str, value, other: np.dtype):
    dtype = dtypes.weak_scalar_dtype(value, other)
    try:
        return dtype.type(value)
    except OverflowError:
        raise op_error(DTypeError, op, f"{value!r} does not fit in the tensor's dtype {dtype}",
                       "cast the tensor to a wider dtype first, e.g. tj.cast(x, tj.int64)",
                       user_site()) from None


def binary_function(prim, op: str, doc: str):
    """The user function of a binary primitive: promote the operands, then bind."""
    def fn(x, y):
        a, b = binary_operands(op, x, y)
        return bind(prim, a, b)
    fn.__name__, fn.__doc__ = op, doc
    return fn


def float_operand(x, op: str):
    """An operand for a float-only op: integers and bools become float32."""
    if type(x) is Tensor and x._value.dtype.kind == "f":  # the eager tape's common case
        return x
    x = as_operand(x, op)
    return x if dtypes.is_float(x.dtype) else cast(x, dtypes.float32)


def numeric_operand(x, op: str):
    """An operand for ops defined on numbers: booleans are rejected (as by the type rule),
    eagerly too, where NumPy would quietly compute something."""
    x = as_operand(x, op)
    if x.dtype.kind == "b":
        raise op_error(DTypeError, op, f"expects a numeric operand, got bool{list(x.shape)}",
                       "use tj.math.logical_not for booleans, or cast to a number first",
                       user_site())
    return x


def stop_gradient(x):
    """x, with no gradient flowing back through it."""
    return bind(stop_gradient_p, as_operand(x, "stop_gradient"))


def identity(x):
    """x as a tensor (tf.identity): Variables are read, data converted; gradients flow."""
    return as_operand(x, "identity") if isinstance(x, Tensor) else convert_to_tensor(x)
