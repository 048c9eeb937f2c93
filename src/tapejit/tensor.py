"""Tensor (an immutable value) and Variable (mutable state).

Their Python operators and methods call user-level ops, which sit above this module: the ops
layer installs them with `install_methods` when it is imported. Reads and assigns of a
Variable are announced to the recording tapes and the active traces on the per-thread stacks.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Mapping

import numpy as np

from tapejit import dtypes
from tapejit.errors import TapejitError, op_error
from tapejit.site import user_site
from tapejit.state import STATE


class _Operators:
    """What Tensor, Tracer and Variable share; the operators come from `install_methods`."""

    __slots__ = ()
    __array_priority__ = 100  # ndarray (op) Tensor defers to our reflected operators
    __hash__ = None  # type: ignore[assignment]  # == is elementwise; use id() or .ref()

    def __pos__(self):
        return self

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def ref(self):
        """A hashable handle comparing by identity (as TF's Tensor.ref())."""
        return _Ref(self)


def install_methods(table: Mapping[str, Callable]) -> None:
    """Give Tensor, Tracer and Variable the operators and methods in `table` (name -> function
    of self and the operands); the ops layer calls this once, when it is imported."""
    for name, fn in table.items():
        setattr(_Operators, name, fn)


class _Ref:
    __slots__ = ("obj",)

    def __init__(self, obj) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Ref) and other.obj is self.obj

    def deref(self):
        return self.obj


def _numpy_text(value) -> str:
    if isinstance(value, np.generic) or value.ndim == 0:
        return str(value[()] if isinstance(value, np.ndarray) else value)
    text = repr(value)
    return "\n" + text if "\n" in text else text


class Tensor(_Operators):
    """An immutable array value. In eager mode it holds a NumPy array or scalar."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value) -> None:
        self._value = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    def concrete(self, what: str = "value"):
        """The NumPy value; a traced value (no data until its program runs) raises instead."""
        return self._value

    def numpy(self):
        """The value as a new NumPy array (a NumPy scalar for 0-d tensors)."""
        value = self._value
        return value if isinstance(value, np.generic) else value.copy()

    def __array__(self, dtype=None, copy=None):
        for tape in STATE.tapes:
            tape.on_escape(self)
        view = np.asarray(self._value)
        if view.base is not None or not isinstance(self._value, np.generic):
            view = view.view()
        view.flags.writeable = False
        return view if dtype is None else view.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self._value)

    def __format__(self, spec: str) -> str:
        if not self.shape:
            return format(self._value[()] if isinstance(self._value, np.ndarray) else self._value,
                          spec)
        return format(str(self), spec)

    def __repr__(self) -> str:
        return (f"<tj.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._value)}>")

    def __str__(self) -> str:
        value = self._value
        text = str(value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value)
        return f"tj.Tensor({text}, shape={self.shape}, dtype={self.dtype.name})"


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    """A new Tensor holding a copy of `value`.

    Args:
        value: a Python scalar, nested list, NumPy array or Tensor.
        dtype: the dtype to convert to; by default Python floats become float32 and
            ints int32, NumPy arrays keep theirs.
        shape: as tf.constant: the value is reshaped to it when the element counts agree,
            a scalar is filled into it, anything else is a TypeError.
        name: accepted for TF compatibility; eager tensors are unnamed.
    Raises:
        DTypeError: strings, objects, complex numbers.
        TypeError: a `shape` the value cannot take.
    """
    del name
    array = to_array(_as_data(value), dtype, what="constant")
    return Tensor(array if shape is None else _shaped(array, tuple(int(d) for d in shape)))


def _shaped(array, shape: tuple):
    if np.size(array) == int(np.prod(shape)):
        return np.reshape(array, shape)[()]
    if np.ndim(array) == 0:
        return np.full(shape, array)
    raise op_error(TypeError, "constant", f"Eager execution of tf.constant with unsupported "
                   f"shape: the value has {np.size(array)} elements, but `shape` {list(shape)} "
                   f"has {int(np.prod(shape))} elements",
                   "give a value with that many elements, or a scalar to fill it with",
                   user_site())


def _as_data(value):
    """`value` with its tensors replaced by their values; recording tapes note that a
    constant was made from them (its gradient stops there, as with tf.constant)."""
    if isinstance(value, (list, tuple)):
        return [_as_data(v) for v in value]
    if isinstance(value, Variable):
        value = value.read()
    if isinstance(value, Tensor):
        for tape in STATE.tapes:
            tape.on_constant(value)
        return value.concrete("tj.constant of a traced value (use tj.convert_to_tensor)")
    return value


def reject_masked(value, what: str) -> None:
    """Masked arrays are refused everywhere (JAX does too): a mask that one path honoured
    and another ignored would give different answers."""
    # none can exist before NumPy's lazy numpy.ma has defined the class (another thread may
    # be importing it: the module is then in sys.modules, partly initialized)
    masked = getattr(sys.modules.get("numpy.ma"), "MaskedArray", None)
    if masked is not None and isinstance(value, masked):
        raise op_error(TypeError, what, "masked arrays are not supported (tapejit would have to "
                       "either honour or ignore the mask)", "fill it first, e.g. "
                       "x.filled(0.0), or pass x.data with the mask as a separate tensor",
                       user_site())


def to_array(value, dtype=None, what: str = "value"):
    """A NumPy array (or scalar) under tapejit's dtype policy, copying user data."""
    reject_masked(value, what)
    if isinstance(value, Variable):
        value = value.read()
    if isinstance(value, Tensor):
        array = np.array(value.concrete(what))
    else:
        array = np.array(value)
        if dtype is None and not isinstance(value, (np.ndarray, np.generic)):
            array = _python_policy(array)
    if dtype is not None:
        array = array.astype(dtypes.canonical(dtype, what))
    else:
        dtypes.canonical(array.dtype, what)
    return array[()] if array.ndim == 0 else array


def _python_policy(array: np.ndarray) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float32)
    if kind in "iu" and array.dtype.itemsize > 4:
        fits = array.size == 0 or (array.min() >= -(2**31) and array.max() < 2**31)
        return array.astype(np.int32) if fits else array
    return array


_CREATION_ORDER = itertools.count()
"""Variables are numbered as they are made: tapes list watched ones in that order (TF)."""


class Variable(_Operators):
    """Mutable state read by ops; trainable Variables are watched by tapes when read.

    Args:
        initial_value: anything `constant` accepts.
        trainable: whether tapes watch it automatically and models list it.
        name: shown as 'name:0' (TF style); defaults to 'Variable'.
        dtype: dtype to convert the initial value to.
    """

    __slots__ = ("_tensor", "trainable", "_name", "_created", "__weakref__")

    def __init__(self, initial_value, trainable: bool = True, name: str | None = None,
                 dtype=None) -> None:
        self._tensor = Tensor(to_array(initial_value, dtype, what="Variable"))
        self._created = next(_CREATION_ORDER)
        self.trainable = bool(trainable)
        self._name = name or "Variable"

    @property
    def name(self) -> str:
        return f"{self._name}:0"

    @property
    def shape(self) -> tuple[int, ...]:
        return self._tensor.shape

    @property
    def dtype(self) -> np.dtype:
        return self._tensor.dtype

    def read(self):
        """The current value as ops see it (a tracer under jit); recording tapes may start
        watching it."""
        tensor = self._tensor
        traces = STATE.traces
        if traces:
            for trace in reversed(traces):
                staged = trace.read_variable(self)
                if staged is not None:
                    tensor = staged
                    break
        for tape in STATE.tapes:
            tape.on_read(self, tensor)
        return tensor

    value = read_value = read

    def numpy(self):
        return self.read().numpy()

    def __array__(self, dtype=None, copy=None):
        return self.read().__array__(dtype)

    def __bool__(self) -> bool:
        return bool(self.read())

    def __float__(self) -> float:
        return float(self.read())

    def __int__(self) -> int:
        return int(self.read())

    def __format__(self, spec: str) -> str:
        return format(self.read(), spec)

    def assign(self, value):
        """Replace the state (under jit: when the compiled call returns). Tapes do not see
        through it: gradients stop here."""
        new = self._new_value(value, "assign")
        for tape in STATE.tapes:
            tape.on_assign(self, new)
        for trace in reversed(STATE.traces):
            if trace.assign_variable(self, new):
                return self
        fresh = np.array(new.concrete(f"Variable.assign of '{self.name}'"))
        self._tensor = Tensor(fresh[()] if fresh.ndim == 0 else fresh)
        return self

    def _new_value(self, value, how: str) -> Tensor:
        new = value.read() if isinstance(value, Variable) else value
        if not isinstance(new, Tensor):
            new = Tensor(to_array(new, self.dtype, what=f"Variable.{how}"))
        if tuple(new.shape) != tuple(self.shape):
            raise op_error(TapejitError, f"Variable.{how}",
                           f"'{self.name}' has shape {self.shape}, the new value {new.shape}",
                           "assign a value of the variable's shape", user_site())
        return new if new.dtype == self.dtype else new.astype(self.dtype)

    def assign_add(self, delta):
        return self.assign(self + delta)

    def assign_sub(self, delta):
        return self.assign(self - delta)

    def __repr__(self) -> str:
        value = self.read()
        text = "<traced>" if value._value is None else _numpy_text(value._value)
        return (f"<tj.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={text}>")
