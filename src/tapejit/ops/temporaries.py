"""Which operand of an eager op is a temporary whose array the result may take over, as
NumPy does for `a + b` when `a` is an intermediate of the expression: in
`tj.sin(x) * x + tj.exp(-x * x)` each product, exp and sum lands in the array of an operand
that nothing will read again, so the expression holds two big arrays at a time, not three
(trace.bind_into writes it there; the bits are those of a fresh result).

An operand qualifies when its reference count says that only the call in progress holds it,
besides a recording tape that would free it right after the op anyway (autodiff.pruning,
which computes it again should the gradient read it). The count is taken in the op's entry
function, where the references the call itself holds are known: the entry's parameter, one
per frame of a wrapper that only forwards its parameters (`forwards_operands`), and the
evaluation stack of the caller when an operator (`a + b`, `-a`) made the call. A count one
too low would let an op overwrite a value someone still reads, so reuse is on only where the
interpreter counts as this module assumes (`COUNTS_AS_ASSUMED`), and anything unexpected (a
view, a shared array, a tape that keeps the value) counts higher and so keeps its array."""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable

import numpy as np

from tapejit.state import STATE
from tapejit.tensor import Tensor

REUSE_BYTES = 1 << 20
"""Operands at least this big may give their array to the result; smaller ones are not
worth the count."""

COUNTS_AS_ASSUMED = (3, 10) <= sys.version_info[:2] < (3, 14) and getattr(
    sys, "_is_gil_enabled", lambda: True)()
"""Whether this interpreter counts references as assumed here and by autodiff.pruning
(measured on CPython 3.11, where a Python call moves its arguments into the callee's frame
and an operator keeps its operands on the caller's stack; 3.10 keeps call arguments on the
stack too, which only counts higher. 3.14 may leave borrowed references uncounted, and a
free-threaded build counts differently.) Elsewhere no array is reused and no value freed
early."""

_OPERATOR_OPCODES = frozenset(code for name, code in dis.opmap.items()
                              if name.startswith(("BINARY_", "UNARY_")))
"""The instructions that call an operator method while holding its operands on the stack."""

_ARRAY = np.ndarray
_FORWARDERS: set = set()  # code objects of wrappers that only forward their parameters


def forwards_operands(fn: Callable) -> Callable:
    """Register `fn` as a wrapper whose frame holds each operand it forwards exactly once
    (as its parameter: TF's `name=` wrappers, the reflected operators); returns `fn`."""
    _FORWARDERS.add(fn.__code__)
    return fn


def spare_operand(x, y=None):
    """`x` or `y` when its array may take the calling op's result, else None. Call it as the
    first statement of an op's entry function, passing that function's own parameters (the
    count below assumes exactly these references)."""
    if type(getattr(x, "_value", None)) is _ARRAY and type(x) is Tensor and \
            _reusable(x._value) and sys.getrefcount(x) == _references_when_temporary(x):
        return x
    if type(getattr(y, "_value", None)) is _ARRAY and type(y) is Tensor and \
            _reusable(y._value) and sys.getrefcount(y) == _references_when_temporary(y):
        return y
    return None


def _reusable(value: np.ndarray) -> bool:
    """A float array that owns its memory, C-contiguous and writeable, big enough, held by
    its Tensor alone (the count: the Tensor, this frame and getrefcount's argument)."""
    return (COUNTS_AS_ASSUMED and value.nbytes >= REUSE_BYTES and value.dtype.kind == "f"
            and value.base is None and value.flags.c_contiguous and value.flags.writeable
            and sys.getrefcount(value) == 3)


def _references_when_temporary(t: Tensor) -> int:
    """The reference count `spare_operand` sees for `t` when nothing but the call and the
    tapes that will free it hold it; -1 when a tape holds it for longer."""
    refs = 3  # spare_operand's parameter, getrefcount's argument, the entry's parameter
    try:
        frame = sys._getframe(3)  # the entry's caller
    except ValueError:  # called from outside any Python frame: nothing to go by
        return -1
    while frame is not None and frame.f_code in _FORWARDERS:
        refs += 1
        frame = frame.f_back
    if frame is not None and frame.f_code.co_code[frame.f_lasti] in _OPERATOR_OPCODES:
        refs += 1
    for tape in STATE.tapes:
        held = tape.references(t)
        if held is None:
            return -1
        refs += held
    return refs
