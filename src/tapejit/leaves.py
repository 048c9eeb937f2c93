"""The one classifier of pytree leaves: what jit signatures, tracing and the functional
transforms make of an argument or result (a Tensor, a Variable, an array or a number)."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import SUPPORTED_SET, bool_, canonical, float32, int32, int64
from tapejit.errors import op_error
from tapejit.ir import TensorType
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable, reject_masked, to_array

_SCALARS = {float: (float32, ()), bool: (bool_, ())}


def _python_int(value: int) -> tuple:
    return (int32 if -(2**31) <= value < 2**31 else int64, ())


def plain_signature(leaf) -> tuple | None:
    """(dtype, shape) of an array, Tensor or number (Python numbers under TF's policy, as
    they are traced); None for anything else. The fast path of jitted calls."""
    kind = type(leaf)
    if kind is np.ndarray:
        return (leaf.dtype, leaf.shape) if leaf.dtype in SUPPORTED_SET else None
    if kind is Tensor:
        return (leaf._value.dtype, leaf._value.shape)
    found = _SCALARS.get(kind)
    if found is not None:
        return found
    if kind is int:
        return _python_int(leaf)
    if isinstance(leaf, np.generic) and leaf.dtype in SUPPORTED_SET:
        return (leaf.dtype, ())
    return None


def signature(leaf, who: str = "jit") -> tuple:
    """A leaf's (dtype, shape); ("var", id, dtype, shape) for a Variable, which jit stages
    by identity. Raises a clear error for what is not a tensor."""
    found = plain_signature(leaf)
    if found is not None:
        return found
    if isinstance(leaf, Variable):
        return ("var", id(leaf), leaf.dtype, tuple(leaf.shape))
    return _checked(leaf, who)


def _checked(leaf, who: str) -> tuple:
    reject_masked(leaf, f"{who} argument")
    if isinstance(leaf, (Tensor, np.ndarray, np.generic)):
        return (canonical(leaf.dtype, f"{who} argument"), tuple(leaf.shape))
    if isinstance(leaf, bool):
        return (bool_, ())
    if isinstance(leaf, int):
        return _python_int(int(leaf))
    if isinstance(leaf, float):
        return (float32, ())
    raise not_a_tensor(leaf, who)


def leaf_type(leaf, who: str = "jit") -> TensorType:
    """The abstract type a leaf is traced with."""
    sig = signature(leaf, who)
    return TensorType(*sig[-2:])


def as_tensor(leaf, who: str, fix: str | None = None):
    """A leaf as a Tensor: Tensors as they are, Variables read, arrays and numbers copied
    under the dtype policy."""
    if isinstance(leaf, Tensor):
        return leaf
    if isinstance(leaf, Variable):
        return leaf.read()
    if isinstance(leaf, (np.ndarray, np.generic, bool, int, float)):
        return Tensor(to_array(leaf, what=who))
    raise not_a_tensor(leaf, who, fix)


def not_a_tensor(leaf, who: str, fix: str | None = None) -> Exception:
    fix = fix or ("pass arrays, Tensors, Variables or numbers (nested in lists, tuples or "
                  "dicts), or mark the argument static with static_argnums")
    return op_error(TypeError, who, f"a leaf of type {type(leaf).__name__} is not a tensor",
                    fix, user_site())
