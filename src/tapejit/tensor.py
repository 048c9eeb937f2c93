"""Tensor (an immutable value), Variable (mutable state) and the Python operators on both."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.state import STATE


class _Operators:
    """Python operators shared by Tensor, Tracer and Variable; each calls one op."""

    __slots__ = ()
    __array_priority__ = 100  # ndarray (op) Tensor defers to our reflected operators

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.subtract(self, other)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __mul__(self, other):
        return ops.multiply(self, other)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __truediv__(self, other):
        return ops.divide(self, other)

    def __rtruediv__(self, other):
        return ops.divide(other, self)

    def __pow__(self, other):
        return ops.power(self, other)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __lt__(self, other):
        return ops.less(self, other)

    def __le__(self, other):
        return ops.less_equal(self, other)

    def __gt__(self, other):
        return ops.greater(self, other)

    def __ge__(self, other):
        return ops.greater_equal(self, other)

    def __eq__(self, other):  # type: ignore[override]
        return ops.equal(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return ops.not_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # == is elementwise; use id() or .ref()

    def __getitem__(self, index):
        return ops.getitem(self, index)

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

    @property
    def T(self):
        return ops.transpose(self)

    def ref(self):
        """A hashable handle comparing by identity (as TF's Tensor.ref())."""
        return _Ref(self)


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

    def numpy(self):
        """The value as a new NumPy array (a NumPy scalar for 0-d tensors)."""
        value = self._value
        return value if isinstance(value, np.generic) else value.copy()

    def __array__(self, dtype=None, copy=None):
        _note_escape(self)
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


def _note_escape(tensor: Tensor) -> None:
    """Tell recording tapes a watched value left tapejit (so `explain` can say so)."""
    for tape in STATE.tapes:
        tape._note_escape(tensor)


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    """A new Tensor holding a copy of `value`.

    Args:
        value: a Python scalar, nested list, NumPy array or Tensor.
        dtype: the dtype to convert to; by default Python floats become float32 and
            ints int32, NumPy arrays keep theirs.
        shape: optional shape to broadcast a scalar to (as tf.constant).
        name: accepted for TF compatibility; eager tensors are unnamed.
    Raises:
        DTypeError: strings, objects, complex numbers.
    """
    del name
    array = to_array(value, dtype, what="constant")
    if shape is not None:
        array = np.array(np.broadcast_to(array, tuple(shape)))
    return Tensor(array)


def to_array(value, dtype=None, what: str = "value"):
    """A NumPy array (or scalar) under tapejit's dtype policy, copying user data."""
    if isinstance(value, (Tensor, Variable)) and not isinstance(value, _tracer_type()):
        array = np.array(value._value if isinstance(value, Tensor) else value.read()._value)
    else:
        array = np.array(value)
        if dtype is None and not isinstance(value, (np.ndarray, np.generic)):
            array = _python_policy(array, what)
    if dtype is not None:
        array = array.astype(dtypes.canonical(dtype, what))
    else:
        dtypes.canonical(array.dtype, what)
    return array[()] if array.ndim == 0 else array


def _python_policy(array: np.ndarray, what: str) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float32)
    if kind in "iu" and array.dtype.itemsize > 4:
        fits = array.size == 0 or (array.min() >= -(2**31) and array.max() < 2**31)
        return array.astype(np.int32) if fits else array
    return array


def _tracer_type():
    from tapejit.trace import Tracer

    return Tracer


class Variable(_Operators):
    """Mutable state read by ops; trainable Variables are watched by tapes when read.

    Args:
        initial_value: anything `constant` accepts.
        trainable: whether tapes watch it automatically and models list it.
        name: shown as 'name:0' (TF style); defaults to 'Variable'.
        dtype: dtype to convert the initial value to.
    """

    __slots__ = ("_tensor", "trainable", "_name", "__weakref__")

    def __init__(self, initial_value, trainable: bool = True, name: str | None = None,
                 dtype=None) -> None:
        self._tensor = Tensor(to_array(initial_value, dtype, what="Variable"))
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
        """The current value, as the tensor ops see it (a tracer under jit)."""
        from tapejit.trace import read_variable

        return read_variable(self)

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
        """Replace the state. Tapes do not see through it: gradients stop here."""
        from tapejit.trace import assign_variable

        assign_variable(self, value, "assign")
        return self

    def assign_add(self, delta):
        return self.assign(ops.add(self, delta))

    def assign_sub(self, delta):
        return self.assign(ops.subtract(self, delta))

    def __repr__(self) -> str:
        value = self.read()
        text = _numpy_text(value._value) if isinstance(value, Tensor) and not isinstance(
            value, _tracer_type()) else "<traced>"
        return (f"<tj.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={text}>")


from tapejit import ops  # noqa: E402  (operators call into ops; imported last to break the cycle)
