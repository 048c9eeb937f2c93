"""NumPy's ndarray methods and properties for tensors (x.sum(axis=0), x.reshape(2, -1),
x.T is already there), installed when tapejit.numpy is imported. They follow NumPy's
semantics; the operators (+, %, //, ...) keep tapejit's own dtype policy (ops/methods.py).
`round(x)`, `math.floor(x)`, `math.ceil(x)` and `math.trunc(x)` give tensors, elementwise."""

from __future__ import annotations

import sys

import numpy as np

from tapejit.errors import op_error
from tapejit.numpy import (
    arith,
    array_api,
    contractions,
    indexing,
    joining,
    logic,
    matrices,
    realparts,
    reductions,
    rounding,
    scans,
    selecting,
    shaping,
    sorting,
    statistics,
)
from tapejit.site import user_site
from tapejit.tensor import install_methods


def _shape_args(args) -> tuple:
    """x.reshape(2, 3) and x.reshape((2, 3)) alike."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(args[0])
    return tuple(args)


def reshape(self, *shape, order="C", copy=None):
    return shaping.reshape(self, _shape_args(shape), order)


def transpose(self, *axes):
    """x.transpose() reverses the axes; x.transpose(1, 0, 2) or x.transpose((1, 0, 2))."""
    if not axes or (len(axes) == 1 and axes[0] is None):
        return shaping.transpose(self)
    return shaping.transpose(self, _shape_args(axes))


def flatten(self, order="C"):
    return shaping.ravel(self, order)


def _data(self, what: str) -> np.ndarray:
    """The value as NumPy data (a traced value raises, naming `what`)."""
    concrete = getattr(self, "concrete", None)
    if concrete is not None:
        return np.asarray(concrete(what))
    return np.asarray(self)


def item(self, *args):
    """The element as a Python scalar (ndarray.item); not for traced values."""
    return _data(self, "Tensor.item()").item(*args)


def tolist(self):
    """The value as nested Python lists (ndarray.tolist); not for traced values."""
    return _data(self, "Tensor.tolist()").tolist()


def _unless_numpy_calls(name: str, method):
    """NumPy's functions hand objects to their methods (np.mean(x) calls x.mean()); called
    that way the value leaves tapejit, as it always has: NumPy computes on its data (a tape
    notes where; under jit the data does not exist and the error names tnp.<name>)."""
    def dispatch(self, *args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__", "").startswith("numpy"):
            return getattr(np, name)(np.asarray(self), *args, **kwargs)
        return method(self, *args, **kwargs)
    dispatch.__name__, dispatch.__doc__ = name, method.__doc__
    return dispatch


def _in_place(name: str, fix: str):
    """ndarray's methods that change the array in place: tensors are immutable."""
    def refuse(self, *args, **kwargs):
        raise op_error(TypeError, f"Tensor.{name}", f"tensors are immutable: ndarray.{name} "
                       "changes the array in place", fix, user_site())
    refuse.__name__ = name
    return refuse


def compress(self, condition, axis=None, out=None):
    return selecting.compress(condition, self, axis, out)


def choose(self, choices, out=None, mode="raise"):
    return selecting.choose(self, choices, out, mode)


METHODS = {
    "sum": reductions.sum, "prod": reductions.prod, "mean": reductions.mean,
    "var": reductions.var, "std": reductions.std, "max": reductions.max,
    "min": reductions.min, "all": reductions.all, "any": reductions.any,
    "cumsum": scans.cumsum, "cumprod": scans.cumprod,
    "argmax": indexing.argmax, "argmin": indexing.argmin,
    "argsort": sorting.argsort, "sort": _in_place("sort", "use y = tnp.sort(x, axis)"),
    "partition": _in_place("partition", "use y = tnp.partition(x, kth, axis)"),
    "fill": _in_place("fill", "use y = tnp.full_like(x, value)"),
    "put": _in_place("put", "use y = x.at[indices].set(values), or tnp.put_along_axis"),
    "resize": _in_place("resize", "use y = tnp.resize(x, new_shape) (it repeats the data)"),
    "argpartition": selecting.argpartition, "compress": compress, "choose": choose,
    "searchsorted": statistics.searchsorted, "take": indexing.take,
    "conj": realparts.conj, "conjugate": realparts.conjugate,
    "real": property(realparts.real), "imag": property(realparts.imag),
    "mT": property(array_api.matrix_transpose),
    "reshape": reshape, "transpose": transpose, "ravel": shaping.ravel, "flatten": flatten,
    "squeeze": shaping.squeeze, "swapaxes": shaping.swapaxes, "repeat": joining.repeat,
    "diagonal": matrices.diagonal, "trace": matrices.trace, "nonzero": logic.nonzero,
    "dot": contractions.dot, "clip": arith.clip, "round": rounding.round,
    "copy": shaping.copy, "item": item, "tolist": tolist,
    "nbytes": property(lambda self: self.size * self.dtype.itemsize),
    "itemsize": property(lambda self: self.dtype.itemsize),
    "__round__": lambda self, ndigits=None: rounding.round(self, ndigits or 0),
    "__floor__": rounding.floor, "__ceil__": rounding.ceil, "__trunc__": rounding.trunc,
}

install_methods({name: _unless_numpy_calls(name, fn)
                 if hasattr(np, name) and not isinstance(fn, property) else fn
                 for name, fn in METHODS.items()})
