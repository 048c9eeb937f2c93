"""Layout primitives, each linear and a view where it can be: reshape, transpose, squeeze,
expand_dims, rev."""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.errors import TypeRuleError
from tapejit.ir import TensorType
from tapejit.primitives.base import LAYOUT, axis_batch, check_axes, linear, shifted
from tapejit.trace import bind


def _reshape_type(x: TensorType, *, new_sizes) -> TensorType:
    if prod(new_sizes) != x.size or any(s < 0 for s in new_sizes):
        raise TypeRuleError(f"cannot reshape {x} ({x.size} elements) to {tuple(new_sizes)}",
                            "the new shape must have the same number of elements")
    return TensorType(x.dtype, tuple(new_sizes))


reshape_p = linear(
    "reshape", _reshape_type, lambda x, *, new_sizes: np.reshape(x, new_sizes),
    lambda ct, x, *, new_sizes: (reshape(ct, x.shape),), kind="view",
    size_params=("new_sizes",),
    batch=axis_batch(lambda n, *, new_sizes: {"new_sizes": (n,) + tuple(new_sizes)}))


def _transpose_type(x: TensorType, *, permutation) -> TensorType:
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeRuleError(f"{permutation} is not a permutation of the axes of {x}",
                            f"give each of the {x.ndim} axes once")
    return TensorType(x.dtype, tuple(x.shape[p] for p in permutation))


transpose_p = linear(
    "transpose", _transpose_type, lambda x, *, permutation: np.transpose(x, permutation),
    lambda ct, x, *, permutation: (transpose(ct, tuple(np.argsort(permutation).tolist())),),
    kind="view",
    batch=axis_batch(lambda n, *, permutation: {"permutation": (0,) + shifted(permutation)}))

_dimensions_batch = axis_batch(lambda n, *, dimensions: {"dimensions": shifted(dimensions)})


def _squeeze_type(x: TensorType, *, dimensions) -> TensorType:
    check_axes(x, dimensions)
    if any(x.shape[d] != 1 for d in dimensions):
        raise TypeRuleError(f"cannot squeeze axes {dimensions} of {x}: not all have size 1",
                            "squeeze only axes of size 1")
    return TensorType(x.dtype, tuple(s for i, s in enumerate(x.shape) if i not in dimensions))


def _expand_type(x: TensorType, *, dimensions) -> TensorType:
    ndim = x.ndim + len(dimensions)
    check_axes(TensorType(x.dtype, (1,) * ndim), dimensions)
    sizes = iter(x.shape)
    return TensorType(x.dtype, tuple(1 if i in dimensions else next(sizes) for i in range(ndim)))


squeeze_p = linear(
    "squeeze", _squeeze_type, lambda x, *, dimensions: np.squeeze(x, dimensions),
    lambda ct, x, *, dimensions: (expand_dims(ct, dimensions),), kind="view",
    batch=_dimensions_batch)

expand_dims_p = linear(
    "expand_dims", _expand_type, lambda x, *, dimensions: np.expand_dims(x, dimensions),
    lambda ct, x, *, dimensions: (squeeze(ct, dimensions),), kind="view",
    batch=_dimensions_batch)


def _rev_type(x: TensorType, *, dimensions) -> TensorType:
    check_axes(x, dimensions)
    return x


rev_p = linear(
    "rev", _rev_type, lambda x, *, dimensions: np.flip(x, dimensions),
    lambda ct, x, *, dimensions: (rev(ct, dimensions),), kind="view",
    batch=_dimensions_batch)


LAYOUT.update(transpose=transpose_p, reshape=reshape_p)


def reshape(x, new_sizes):
    return bind(reshape_p, x, new_sizes=tuple(new_sizes))


def transpose(x, permutation):
    return bind(transpose_p, x, permutation=tuple(permutation))


def squeeze(x, dimensions):
    return bind(squeeze_p, x, dimensions=tuple(dimensions))


def expand_dims(x, dimensions):
    return bind(expand_dims_p, x, dimensions=tuple(dimensions))


def rev(x, dimensions):
    return bind(rev_p, x, dimensions=tuple(dimensions))
