"""How tapejit.numpy builds its elementwise functions: NumPy's ufunc signature (`out=` and
`where=` rejected, `dtype=` converting the operands first) around a computation that
follows NumPy's dtype rules."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.numpy.arguments import float_operands, ufunc_checks, with_dtype
from tapejit.trace import bind


def unary(name: str, compute: Callable, doc: str) -> Callable:
    def fn(x, /, out=None, *, where=True, dtype=None):
        ufunc_checks(name, out, where)
        return compute(*with_dtype(name, (x,), dtype))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def binary(name: str, compute: Callable, doc: str) -> Callable:
    def fn(x1, x2, /, out=None, *, where=True, dtype=None):
        ufunc_checks(name, out, where)
        return compute(*with_dtype(name, (x1, x2), dtype))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def float_unary(name: str, prim, doc: str = "") -> Callable:
    """np.<name> of a float primitive; integers and bools give NumPy's float type."""
    return unary(name, lambda x: bind(prim, *float_operands(name, x)),
                 doc or f"Elementwise {name} (np.{name}); integers give NumPy's float type.")


def float_binary(name: str, prim, doc: str = "") -> Callable:
    return binary(name, lambda x1, x2: bind(prim, *float_operands(name, x1, x2)),
                  doc or f"Elementwise {name} (np.{name}) with NumPy's broadcasting and "
                  f"dtype rules.")
