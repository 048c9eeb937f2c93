"""Dtype conversion and stop_gradient."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import is_float
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import zero_jvp
from tapejit.trace import bind


def _convert_type(x: TensorType, *, new_dtype) -> TensorType:
    from tapejit.dtypes import SUPPORTED

    if not isinstance(new_dtype, np.dtype) or new_dtype not in SUPPORTED:
        raise TypeRuleError(f"cannot convert {x} to {new_dtype!r}",
                            "convert to a supported np.dtype, e.g. np.dtype(np.float32)",
                            DTypeError)
    return TensorType(new_dtype, x.shape)


def _convert_impl(x, *, new_dtype):
    return x.astype(new_dtype)


def _convert_jvp(primals, tangents, out, *, new_dtype):
    (x,), (t,) = primals, tangents
    if not (is_float(x.dtype) and is_float(new_dtype)):
        return None
    return bind(convert_element_type_p, t, new_dtype=new_dtype)


def _convert_transpose(ct, x, *, new_dtype):
    return (bind(convert_element_type_p, ct, new_dtype=x.dtype),)


def _convert_emit(ctx, x, *, new_dtype):
    return f"({x} != 0)" if new_dtype.kind == "b" else x  # the codegen casts every result


convert_element_type_p = Primitive("convert_element_type", _convert_type, _convert_impl,
                                   _convert_jvp, _convert_transpose, emit=_convert_emit)


stop_gradient_p = Primitive("stop_gradient", lambda x: x, lambda x: x, zero_jvp,
                            emit=lambda c, x: x)


def stop_gradient(x):
    """x, with no gradient flowing back through it."""
    from tapejit.operands import as_operand  # operands imports this module


    return bind(stop_gradient_p, as_operand(x, "stop_gradient"))
