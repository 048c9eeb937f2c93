"""Building blocks for declaring primitives: the linear-input marker, type-rule helpers and
the family builders (`unary`, `binary`, `linear`)."""

from __future__ import annotations

import operator as operator_module
from collections.abc import Callable

import numpy as np

from tapejit.dtypes import is_float
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.trace import bind


class Undefined:
    """A linear input of a transpose rule: its type is known, its value is what we solve for."""
    __slots__ = ("type",)

    def __init__(self, type_: TensorType) -> None:
        self.type = type_

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.type.dtype


def is_undefined(x) -> bool:
    return isinstance(x, Undefined)


def quiet(fn: Callable) -> Callable:
    """A NumPy impl run without warnings for 1/0, log(0) and the like (NaN/inf are results)."""
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return fn(*args, **params)
    impl.ufunc, impl.quiet = (fn if isinstance(fn, np.ufunc) else None), True
    return impl


def writing_into(impl: Callable) -> Callable | None:
    """`impl` as a Primitive's impl_into(out, *arrays): the same ufunc, under the same error
    state, writing into `out`; None unless `impl` is one NumPy ufunc on arrays (plain, or
    wrapped by `quiet`, `scalar_operator` or `scalar_negative`)."""
    ufunc = impl if isinstance(impl, np.ufunc) else getattr(impl, "ufunc", None)
    if ufunc is None:
        return None
    if not getattr(impl, "quiet", False):
        return lambda out, *arrays: ufunc(*arrays, out=out)

    def into(out, *arrays):
        with np.errstate(all="ignore"):
            return ufunc(*arrays, out=out)
    return into


_FLOAT_SCALARS = (np.float32, np.float64)


def scalar_operator(ufunc: Callable, operator: Callable) -> Callable:
    """`ufunc`, except on two float32 or float64 NumPy scalars of one type, where the Python
    operator gives the same IEEE result (and the same warnings) about 20 times faster than a
    ufunc call: the eager tape's scalar ops, forward and backward, go through here."""
    def impl(x, y):
        kind = type(x)
        if kind is type(y) and kind in _FLOAT_SCALARS:
            return operator(x, y)
        return ufunc(x, y)
    impl.__name__ = getattr(ufunc, "__name__", "impl")
    impl.ufunc = ufunc
    impl.infix = {operator_module.add: "+", operator_module.sub: "-",
                  operator_module.mul: "*"}.get(operator)
    return impl


def scalar_negative(x):
    """np.negative, with the operator's fast path for a float NumPy scalar."""
    return -x if type(x) in _FLOAT_SCALARS else np.negative(x)


scalar_negative.prefix = "-"
"""`infix` and `prefix` name the Python operator that computes an impl on float operands
(generated code writes it inline: autodiff.chain)."""
scalar_negative.ufunc = np.negative


# --- type-rule helpers ---------------------------------------------------------------------

def broadcast_shapes(*types: TensorType) -> tuple[int, ...]:
    """NumPy broadcasting of the types' shapes, or a TypeRuleError naming them."""
    ndim = max(t.ndim for t in types)
    shape = []
    for axis in range(-ndim, 0):
        sizes = {t.shape[axis] for t in types if t.ndim >= -axis} - {1}
        if len(sizes) > 1:
            shown = " and ".join(str(t) for t in types)
            raise TypeRuleError(
                f"shapes do not broadcast: {shown} (axis {axis}: sizes {sorted(sizes)})",
                "make each trailing dimension equal or 1, e.g. reshape or expand_dims one "
                "operand")
        shape.append(sizes.pop() if sizes else 1)
    return tuple(shape)


def same_dtype(*types: TensorType) -> np.dtype:
    dts = {t.dtype for t in types}
    if len(dts) > 1:
        shown = ", ".join(str(t) for t in types)
        raise TypeRuleError(f"operands have different dtypes: {shown}",
                            "cast one operand with tj.cast(x, dtype)", DTypeError)
    return dts.pop()


def require_float(t: TensorType) -> None:
    if not is_float(t.dtype):
        raise TypeRuleError(f"expects a floating-point operand, got {t}",
                            "cast it first, e.g. tj.cast(x, tj.float32)", DTypeError)


def require_numeric(t: TensorType) -> None:
    if t.dtype.kind == "b":
        raise TypeRuleError(f"expects a numeric operand, got {t}",
                            "use tj.math.logical_not for booleans, or cast to a number first",
                            DTypeError)


def require_bool(t: TensorType) -> None:
    if t.dtype.kind != "b":
        raise TypeRuleError(f"expects a boolean operand, got {t}",
                            "compare first (x > 0) or cast with tj.cast(x, tj.bool)", DTypeError)


def check_axes(t: TensorType, axes: tuple[int, ...]) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < t.ndim for a in axes):
        raise TypeRuleError(f"axes {axes} are not distinct axes of {t}",
                            f"use axes in range({t.ndim})", ShapeError)


OPERAND_CHECKS: dict[str, Callable[[TensorType], None]] = {
    "numeric": require_numeric, "float": require_float, "bool": require_bool,
    "any": lambda t: None}


# --- the generic batching rule of elementwise primitives ---------------------------------

LAYOUT: dict[str, Primitive] = {}
"""transpose and reshape, registered by primitives/shape.py (which builds on this module, so
it cannot be imported here): the elementwise batching rule moves axes with them."""


def _move_to_front(x, dim: int, rank: int):
    """x (batched at `dim`) with its batch axis first, then size-1 axes up to `rank`."""
    if dim != 0:
        perm = (dim,) + tuple(d for d in range(len(x.shape)) if d != dim)
        x = bind(LAYOUT["transpose"], x, permutation=perm)
    shape = tuple(x.shape)
    missing = rank + 1 - len(shape)
    if missing:
        x = bind(LAYOUT["reshape"], x, new_sizes=shape[:1] + (1,) * missing + shape[1:])
    return x


def elementwise_batch(prim: Primitive, args, dims, **params):
    """vmap of an elementwise primitive with NumPy broadcasting: batched operands get their
    batch axis first (after which unbatched ones broadcast as before); when every batched
    operand already shares one axis and full rank and the rest are scalars, nothing moves."""
    ranks = [len(a.shape) - (d is not None) for a, d in zip(args, dims)]
    rank = max(ranks)
    batched = {d for d in dims if d is not None}
    in_place = len(batched) == 1 and all(
        r == rank if d is not None else r == 0 for r, d in zip(ranks, dims))
    if in_place:
        return bind(prim, *args, **params), batched.pop()
    moved = [a if d is None else _move_to_front(a, d, rank) for a, d in zip(args, dims)]
    return bind(prim, *moved, **params), 0


def batch_first(x, dim: int):
    """x with its batch axis `dim` moved first."""
    return _move_to_front(x, dim, len(x.shape) - 1)


def shifted(axes) -> tuple[int, ...]:
    """Axes of an operand as axes of its batched form (batch axis first)."""
    return tuple(a + 1 for a in axes)


def axis_batch(new_params: Callable) -> Callable:
    """The vmap rule of a one-operand primitive whose params name axes or sizes: the batch
    axis goes first and new_params(batch_size, **params) gives the params for that layout."""
    def rule(prim: Primitive, args, dims, **params):
        x = batch_first(args[0], dims[0])
        return bind(prim, x, **new_params(x.shape[0], **params)), 0
    return rule


# --- families ------------------------------------------------------------------------------

def unary(name: str, impl: Callable, jvp: Callable | None, *, operands: str = "float",
          transpose: Callable | None = None) -> Primitive:
    """An elementwise primitive of one operand whose output has the operand's type.

    operands: which dtypes it takes: "float", "numeric" (not bool), "bool" or "any".
    """
    check = OPERAND_CHECKS[operands]

    def type_rule(x: TensorType) -> TensorType:
        check(x)
        return x

    into = None if operands == "bool" else writing_into(impl)
    return Primitive(name=name, type_rule=type_rule, impl=impl, impl_into=into, jvp=jvp,
                     transpose=transpose, batch=elementwise_batch)


def binary(name: str, impl: Callable, jvp: Callable | None, *, out_dtype=None,
           operands: str = "numeric", transpose: Callable | None = None) -> Primitive:
    """An elementwise primitive of two same-dtype operands with NumPy broadcasting."""
    check = OPERAND_CHECKS[operands]

    def type_rule(x: TensorType, y: TensorType) -> TensorType:
        dtype = same_dtype(x, y)
        check(x)
        return TensorType(out_dtype or dtype, broadcast_shapes(x, y))

    into = None if out_dtype or operands == "bool" else writing_into(impl)
    return Primitive(name=name, type_rule=type_rule, impl=impl, impl_into=into, jvp=jvp,
                     transpose=transpose, batch=elementwise_batch)


def linear(name: str, type_rule: Callable, impl: Callable, transpose: Callable, *,
           kind: str, size_params: tuple[str, ...] = (), batch: Callable | None = None
           ) -> Primitive:
    """A primitive of one operand that is linear in it: its JVP applies itself to the
    tangent, with the same params. `batch` is its vmap rule (its params name axes)."""
    def jvp(primals, tangents, out, **params):
        return bind(prim, tangents[0], **params)

    prim = Primitive(name=name, type_rule=type_rule, impl=impl, jvp=jvp, transpose=transpose,
                     kind=kind, size_params=size_params, batch=batch)
    return prim
