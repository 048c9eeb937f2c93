"""Sorting along one axis: argsort (stable; NaN last, as NumPy) and permute_along_axis,
which reorders values by such a permutation. sort(x) is permute_along_axis(x, argsort(x)),
differentiable in x: the tangent moves with its value, and the transpose applies the
inverse permutation."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import axis_batch
from tapejit.primitives.batching import front_batch
from tapejit.primitives.jvp import zero_jvp
from tapejit.trace import bind


def _check_axis(x: TensorType, axis: int) -> None:
    if not 0 <= axis < x.ndim:
        raise TypeRuleError(f"axis {axis} is not an axis of {x}",
                            f"sort along an axis in range({x.ndim})", ShapeError)


def _axis_params(n: int, *, axis) -> dict:
    return {"axis": axis + 1}


def _argsort_type(x: TensorType, *, axis) -> TensorType:
    _check_axis(x, axis)
    return TensorType(dtypes.int64, x.shape)


argsort_p = Primitive(
    name="argsort", type_rule=_argsort_type,
    impl=lambda x, *, axis: np.argsort(x, axis, kind="stable").astype(np.int64),
    jvp=zero_jvp, kind="other", batch=axis_batch(_axis_params))


def _permute_type(x: TensorType, order: TensorType, *, axis) -> TensorType:
    if order.dtype.kind not in "iu":
        raise TypeRuleError(f"the permutation must hold integers, got {order}",
                            "pass the indices argsort gives", DTypeError)
    if order.shape != x.shape:
        raise TypeRuleError(f"permutation {order} and values {x} differ in shape",
                            "give one index per value", ShapeError)
    _check_axis(x, axis)
    return x


def _permute_jvp(primals, tangents, out, *, axis):
    (_, order), (t, _) = primals, tangents
    return permute_along_axis(t, order, axis)


def _permute_transpose(ct, x, order, *, axis):
    return permute_along_axis(ct, argsort(order, axis), axis), None


permute_along_axis_p = Primitive(
    name="permute_along_axis", type_rule=_permute_type,
    impl=lambda x, order, *, axis: np.take_along_axis(x, order, axis),
    jvp=_permute_jvp, transpose=_permute_transpose, kind="other",
    batch=front_batch(_axis_params))


def argsort(x, axis: int):
    return bind(argsort_p, x, axis=axis)


def permute_along_axis(x, order, axis: int):
    return bind(permute_along_axis_p, x, order, axis=axis)
