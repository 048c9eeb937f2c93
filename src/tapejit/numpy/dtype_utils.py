"""NumPy's dtype utilities (np.result_type, can_cast, min_scalar_type, common_type,
mintypecode, issubdtype, isdtype, isscalar, iterable) over tensors too, and NumPy's abstract
and C-named scalar types (floating, integer, double, intc, ...) for isinstance/issubdtype.

A tensor stands for an array of its dtype: its data are never read, so traced tensors work
under jit (except min_scalar_type of a 0-d tensor, whose answer depends on its value).
result_type follows the dtype rules of tapejit.numpy's own functions (arguments.py): NumPy's,
except that Python numbers alone (or a Python float next to integers) give float32/int32
where NumPy says float64/int64, so tnp.result_type(x, 1.0) is the dtype tnp.add(x, 1.0) has.
"""

from __future__ import annotations

import numpy as np

from tapejit.errors import TracerArrayError, op_error
from tapejit.ops import numpy_policy
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable
from tapejit.trace import Tracer

generic, number, integer, inexact, floating = (np.generic, np.number, np.integer, np.inexact,
                                               np.floating)
signedinteger, unsignedinteger = np.signedinteger, np.unsignedinteger
byte, short, intc, long, longlong, int_ = np.byte, np.short, np.intc, np.long, np.longlong, np.int_
ubyte, ushort, uintc, ulong, ulonglong, uint = (np.ubyte, np.ushort, np.uintc, np.ulong,
                                                np.ulonglong, np.uint)
half, single, double = np.half, np.single, np.double


def _is_tensor(x) -> bool:
    return isinstance(x, (Tensor, Variable))


def _array_of_its_dtype(x):
    """An empty ndarray standing for tensor `x` where NumPy looks at arrays' dtypes only."""
    return np.empty((0,), x.dtype) if _is_tensor(x) else x


def _no_tensor(x, op: str, what: str) -> None:
    """NumPy takes a dtype here, not an array; a tensor is refused as an array would be."""
    if _is_tensor(x):
        raise op_error(TypeError, op, f"{what} must be a dtype or scalar type, not an array "
                       f"(got a tensor of dtype {x.dtype})", "pass x.dtype", user_site())


def result_type(*arrays_and_dtypes):
    """The dtype tapejit.numpy's functions give these operands (np.result_type): tensors and
    arrays bring their dtypes, dtype specifiers ('f4', np.int8, float) are dtypes, Python
    numbers are weak (see the module docstring for tapejit's float32/int32 defaults)."""
    if not arrays_and_dtypes:
        raise op_error(ValueError, "result_type", "at least one array or dtype is required",
                       "pass the arrays or dtypes to combine", user_site())
    operands = [x if numpy_policy.is_weak(x) or _is_tensor(x)
                or isinstance(x, (np.ndarray, np.generic, list, tuple))
                else np.empty((0,), _dtype_of_specifier(x)) for x in arrays_and_dtypes]
    return numpy_policy.result_dtype(*operands, op="result_type")


def _dtype_of_specifier(x) -> np.dtype:
    try:
        return np.dtype(x)
    except TypeError:
        raise op_error(TypeError, "result_type", f"{x!r} is neither an array nor a dtype",
                       "pass arrays, tensors, numbers or dtypes", user_site()) from None


def can_cast(from_, to, casting="safe"):
    """Whether a cast from `from_`'s dtype to `to` is allowed by `casting` (np.can_cast);
    a tensor stands for its dtype, Python numbers are refused as NumPy 2 does."""
    _no_tensor(to, "can_cast", "to")
    return np.can_cast(from_.dtype if _is_tensor(from_) else from_, to, casting)


def min_scalar_type(a, /):
    """The smallest dtype that holds the value of a scalar or 0-d array `a`, the dtype of a
    larger array (np.min_scalar_type). A 0-d tensor's answer depends on its value, so a
    traced one (under jit) raises."""
    if not _is_tensor(a):
        return np.min_scalar_type(a)
    if a.ndim:
        return np.dtype(a.dtype)
    if isinstance(a, Variable):
        a = a.read()
    if isinstance(a, Tracer):
        raise op_error(TracerArrayError, "min_scalar_type", "the smallest type of a 0-d array "
                       f"depends on its value, and this traced {a.type} has none until the "
                       "compiled function runs", "call it outside tj.jit, or use x.dtype",
                       user_site())
    return np.min_scalar_type(np.asarray(a.concrete("min_scalar_type")))


def common_type(*arrays):
    """The float scalar type common to the arrays (np.common_type): integers count as
    float64; booleans raise TypeError, as in NumPy."""
    return np.common_type(*map(_array_of_its_dtype, arrays))


def mintypecode(typechars, typeset="GDFgdf", default="d"):
    """The character of the smallest type of `typeset` that the given type characters or
    arrays can be safely cast to (np.mintypecode)."""
    return np.mintypecode([x.dtype.char if _is_tensor(x) else x for x in typechars],
                          typeset, default)


def issubdtype(arg1, arg2):
    """Whether dtype `arg1` is below `arg2` in NumPy's type hierarchy (np.issubdtype);
    arrays and tensors are refused as in NumPy: pass x.dtype."""
    _no_tensor(arg1, "issubdtype", "arg1")
    _no_tensor(arg2, "issubdtype", "arg2")
    return np.issubdtype(arg1, arg2)


def isdtype(dtype, kind):
    """Whether `dtype` is of `kind` ('bool', 'integral', 'real floating', a dtype, or a tuple
    of those) (np.isdtype, the Array API's); tensors are refused as arrays are."""
    _no_tensor(dtype, "isdtype", "dtype")
    return np.isdtype(dtype, kind)


def isscalar(element):
    """Whether `element` is a scalar (np.isscalar): Python and NumPy scalars are, tensors
    are not (not even 0-d ones, as 0-d arrays are not)."""
    return False if _is_tensor(element) else np.isscalar(element)


def iterable(y):
    """Whether iter(y) works (np.iterable): a tensor is iterable unless it is 0-d."""
    return y.ndim > 0 if _is_tensor(y) else np.iterable(y)
