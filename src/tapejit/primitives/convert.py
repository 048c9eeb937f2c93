"""Dtype conversion and stop_gradient."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import SUPPORTED, is_float
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import elementwise_batch
from tapejit.primitives.jvp import zero_jvp
from tapejit.trace import bind


def _convert_type(x: TensorType, *, new_dtype) -> TensorType:
    if not isinstance(new_dtype, np.dtype) or new_dtype not in SUPPORTED:
        raise TypeRuleError(f"cannot convert {x} to {new_dtype!r}",
                            "convert to a supported np.dtype, e.g. np.dtype(np.float32)",
                            DTypeError)
    return TensorType(new_dtype, x.shape)


def _convert_jvp(primals, tangents, out, *, new_dtype):
    (x,), (t,) = primals, tangents
    if not (is_float(x.dtype) and is_float(new_dtype)):
        return None
    return convert(t, new_dtype)


convert_element_type_p = Primitive(
    name="convert_element_type", type_rule=_convert_type,
    impl=lambda x, *, new_dtype: x.astype(new_dtype), jvp=_convert_jvp,
    transpose=lambda ct, x, *, new_dtype: (convert(ct, x.dtype),), batch=elementwise_batch)

stop_gradient_p = Primitive(name="stop_gradient", type_rule=lambda x: x, impl=lambda x: x,
                            jvp=zero_jvp, batch=elementwise_batch)


def convert(x, dtype):
    """x as `dtype` (a no-op when it already has it)."""
    dtype = np.dtype(dtype)
    return x if x.dtype == dtype else bind(convert_element_type_p, x, new_dtype=dtype)


def stop_gradient(x):
    return bind(stop_gradient_p, x)
