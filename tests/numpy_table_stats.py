"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy: statistics, signal,
polynomial and float-format functions (np.cov, np.convolve, np.interp, np.frexp, ...).

Entries that need sorted data (searchsorted, digitize, interp) sort it through the namespace
under test, the same way for tnp and np. trapezoid of integers and booleans with the Python
number dx (1.0 by default) is float32 by tapejit's policy where NumPy gives float64: that
entry compares with NumPy's values in float32."""

from __future__ import annotations

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, BOOL, FLOATS, I32, NUMERIC, UNARY, Entry, Transposed
from tests.optable import EveryOther

EXPONENTS = np.array([0, 1, -1, 30, -30, 130, -150, 1100, -1100, -1074, -1075], np.int32)
FWEIGHTS = np.array([1, 2, 0, 1, 3])
AWEIGHTS = np.array([0.5, 1.0, 2.0, 1.0, 0.25])


def _through(name, call, shapes, dtypes=ALL, **kw):
    """An entry calling `call(m, *args, **kwargs)` with tnp and with np as the namespace."""
    return Entry(name, lambda *a, **k: call(tnp, *a, **k), lambda *a, **k: call(np, *a, **k),
                 shapes, dtypes, **kw)


def _same(name, shapes, dtypes=ALL, **kw):
    return Entry(name, getattr(tnp, name), getattr(np, name), shapes, dtypes, **kw)


STATISTICS = [
    _same("cov", [((3, 5),), ((5,),), (Transposed((5, 3)),), ((1, 4),), ((0, 3),)],
          kwargs=[{}, dict(rowvar=False), dict(bias=True), dict(ddof=0), dict(ddof=4),
                  dict(dtype=np.float32)]),
    Entry("cov_y", tnp.cov, np.cov, [((2, 5), (5,)), ((5,), (5,)), ((2, 4), (3, 4))], ALL),
    Entry("cov_y_columns", lambda a, b: tnp.cov(a, b, rowvar=False),
          lambda a, b: np.cov(a, b, rowvar=False), [((5, 2), (5, 3)), ((5,), (1, 5))]),
    _through("cov_weights", lambda m, a, **k: m.cov(a, fweights=FWEIGHTS, aweights=AWEIGHTS,
                                                    **k),
             [((3, 5),), ((5,),)], kwargs=[{}, dict(ddof=0), dict(ddof=3),
                                           dict(dtype=np.float32)]),
    _through("cov_fweights", lambda m, a, **k: m.cov(a, fweights=FWEIGHTS, **k),
             [((3, 5),)], kwargs=[{}, dict(ddof=0), dict(bias=True)]),
    _same("corrcoef", [((3, 5),), ((5,),), (Transposed((5, 3)),)], kwargs=[
        {}, dict(rowvar=False), dict(dtype=np.float32)]),
    Entry("corrcoef_y", tnp.corrcoef, np.corrcoef, [((2, 5), (5,)), ((5,), (5,))]),
    _same("trapezoid", [((3, 4),), ((5,),), ((2, 3, 4),), (Transposed((4, 3)),), ((0,),)],
          FLOATS, kwargs=[{}, dict(axis=0), dict(axis=-1, dx=0.5), dict(dx=np.float64(2))]),
    Entry("trapezoid_policy", tnp.trapezoid,
          lambda y, **k: np.trapezoid(y, **k).astype(np.float32), [((3, 4),), ((5,),)],
          (I32, BOOL), kwargs=[{}, dict(axis=0)]),
    _through("trapezoid_x", lambda m, y, x, **k: m.trapezoid(y, x, **k),
             [((3, 4), (4,)), ((3, 4), (3, 4)), ((4,), (4,))], NUMERIC),
    _through("trapezoid_x_axis", lambda m, y, x: m.trapezoid(y, x, axis=0),
             [((3, 4), (3,)), ((3, 4), (3, 4))], NUMERIC),
    _through("searchsorted", lambda m, a, v, **k: m.searchsorted(m.sort(a), v, **k),
             [((6,), (3, 4)), ((5,), ()), ((0,), (3,)), ((1,), (4,)), (EveryOther(10), (7,))],
             kwargs=[{}, dict(side="right")], special=True),
    _through("searchsorted_sorter", lambda m, a, v: m.searchsorted(a, v, sorter=m.argsort(a)),
             [((6,), (3, 4)), ((5,), ())]),
    _through("digitize", lambda m, x, b, **k: m.digitize(x, m.sort(b), **k),
             [((3, 4), (5,)), ((), (3,)), ((4,), (0,)), ((4,), (1,))],
             kwargs=[{}, dict(right=True)], special=True),
    _through("digitize_falling", lambda m, x, b, **k: m.digitize(x, m.flip(m.sort(b)), **k),
             [((3, 4), (5,)), ((6,), (2,))], kwargs=[{}, dict(right=True)], special=True),
]

SIGNAL = [
    *[_through(name, lambda m, a, v, name=name, **k: getattr(m, name)(a, v, **k),
               [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((1,), (6,)), ((4,), (2,)),
                (EveryOther(10), (2,))],
               kwargs=[{}, dict(mode="full"), dict(mode="same"), dict(mode="valid"),
                       dict(mode=1)])
      for name in ("convolve", "correlate")],
    Entry("convolve_scalars", tnp.convolve, np.convolve, [((), ()), ((), (3,))]),
    _through("interp", lambda m, x, xp, fp, **k: m.interp(x, m.sort(xp), fp, **k),
             [((3, 4), (5,), (5,)), ((), (1,), (1,)), ((7,), (1,), (1,)), ((6,), (3,), (3,)),
              (Transposed((3, 4)), (5,), (5,))],
             kwargs=[{}, dict(left=-10.0, right=np.float32(10.0)), dict(period=2.5)],
             domain=(-4.0, 4.0)),
    *[_same(name, UNARY, special=True) for name in ("frexp", "modf", "spacing")],
    *[_same(name, [((), ()), ((5,), ()), ((3, 1), (1, 4)), ((0, 3), (1, 3)),
                   (Transposed((3, 4)), (3, 4))], special=True)
      for name in ("nextafter", "heaviside")],
    _through("ldexp", lambda m, a: m.ldexp(a[..., None], EXPONENTS),
             [((),), ((5,),), ((3, 4),), (Transposed((3, 4)),)], special=True),
    Entry("ldexp_int64_exponents", lambda a: tnp.ldexp(a, np.int64(-3)),
          lambda a: np.ldexp(a, np.int64(-3)), [((5,),)], FLOATS),
]

POLYNOMIALS = [
    _same("polyval", [((4,), (3, 5)), ((1,), ()), ((0,), (3,)), ((3,), EveryOther(8)),
                      ((2, 3), (3,))]),
    _same("vander", [((4,),), ((0,),), (EveryOther(8),)],
          kwargs=[{}, dict(N=3), dict(increasing=True), dict(N=0), dict(N=1)]),
    _same("polyder", [((4,),), ((1,),), ((0,),)], kwargs=[{}, dict(m=2), dict(m=0),
                                                          dict(m=5)]),
    _same("polyint", [((4,),), ((1,),), ((0,),)],
          kwargs=[{}, dict(m=2), dict(m=0), dict(m=2, k=[1.0, 2.0]), dict(m=3, k=0.5)]),
    _same("polyadd", [((3,), (5,)), ((4,), (2,)), ((3,), (3,)), ((), (2,))]),
    _same("polysub", [((3,), (5,)), ((4,), (2,)), ((3,), (3,)), ((), (2,))], NUMERIC),
    _same("polymul", [((3,), (4,)), ((1,), (2,)), ((), (3,))], jit=False),
    _through("polymul_leading_zeros",
             lambda m, a, b: m.polymul(m.concatenate([np.zeros(2, a.dtype), a]), b),
             [((3,), (2,)), ((0,), (2,))], jit=False),
]

ENTRIES: list = STATISTICS + SIGNAL + POLYNOMIALS
