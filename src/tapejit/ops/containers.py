"""Nested lists and tuples holding tensors become one tensor by recorded stacking, so their
gradient flows (as TF's convert_to_tensor packs them and jnp.array keeps them)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tapejit.errors import ShapeError, op_error
from tapejit.primitives.convert import convert_element_type_p
from tapejit.primitives.shape import expand_dims_p
from tapejit.primitives.slicing import concatenate_p
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable
from tapejit.trace import bind

Promote = Callable[[list], np.dtype]
"""The dtype of a container's leaves: Tensors, Variables, NumPy values, Python numbers."""


def holds_tensors(value) -> bool:
    """Whether a (nested) list or tuple has a Tensor or Variable among its leaves."""
    if isinstance(value, (list, tuple)):
        return any(holds_tensors(v) for v in value)
    return isinstance(value, (Tensor, Variable))


def leaves(value) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def pack(value, op: str, promote: Promote):
    """One tensor from a nested list/tuple of tensors and numbers, stacked along new leading
    axes by recorded ops; the leaves' common dtype is `promote(leaves)`."""
    dtype = promote(leaves(value))
    return _pack(value, op, dtype)


def _pack(value, op: str, dtype: np.dtype):
    if not isinstance(value, (list, tuple)):
        return _leaf(value, op, dtype)
    parts = [_pack(v, op, dtype) for v in value]
    if not parts:
        return np.zeros((0,), dtype)
    shapes = {tuple(p.shape) for p in parts}
    if len(shapes) > 1:
        raise op_error(ShapeError, op, f"cannot stack values of shapes {sorted(shapes)}",
                       "give every element of the list the same shape", user_site())
    rows = [bind(expand_dims_p, p, dimensions=(0,)) for p in parts]
    return rows[0] if len(rows) == 1 else bind(concatenate_p, *rows, dimension=0)


def _leaf(value, op: str, dtype: np.dtype):
    if isinstance(value, Variable):
        value = value.read()
    if isinstance(value, Tensor):
        if value.dtype == dtype:
            return value
        return bind(convert_element_type_p, value, new_dtype=dtype)
    try:
        return np.asarray(value, dtype)
    except (TypeError, ValueError) as e:
        raise op_error(TypeError, op, f"cannot make a tensor of {value!r}: {e}",
                       "pass numbers, nested lists of numbers, arrays or tensors",
                       user_site()) from None
