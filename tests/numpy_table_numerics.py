"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy's numerics: gradient,
unwrap, apply_along_axis, apply_over_axes, lexsort, the window functions, i0, fromfunction
and row_stack.

Sample coordinates for gradient are made increasing through the namespace under test
(cumsum of |x| + 1), the same way for tnp and np. Window functions take only numbers: their
entries have no array arguments and give M (and beta) as keyword arguments."""

from __future__ import annotations

import warnings

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, F64, NUMERIC, UNARY, Entry, Transposed


def _both(name, call, shapes, dtypes=ALL, **kw):
    """An entry calling `call(m, *args, **kwargs)` with tnp and with np as the namespace."""
    return Entry(name, lambda *a, **k: call(tnp, *a, **k), lambda *a, **k: call(np, *a, **k),
                 shapes, dtypes, **kw)


def _same(name, shapes, dtypes=ALL, function=None, **kw):
    """An entry of tnp.<function> against np.<function> (function: the name by default)."""
    function = function or name
    return Entry(name, getattr(tnp, function), getattr(np, function), shapes, dtypes, **kw)


def _increasing(m, x):
    return m.cumsum(m.abs(x) + 1)


def _numbers_only(name, kwargs):
    """An entry of a function of numbers only, given as keyword arguments; the table's one
    array argument (a scalar) is ignored."""
    return Entry(name, lambda _, **k: getattr(tnp, name)(**k),
                 lambda _, **k: getattr(np, name)(**k), [((),)], (F64,), kwargs=kwargs)


def _ignoring(call):
    """call(m) as a function of the table's (ignored) array argument."""
    return lambda m, _: call(m)


def _row_stack(m, *arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return m.row_stack(arrays)


GRADIENT = [
    _same("gradient", [((5,),), ((3, 4),), (Transposed((4, 3)),), ((3, 3, 4),)], NUMERIC,
          kwargs=[{}, dict(edge_order=2), dict(axis=-1), dict(axis=0, edge_order=2)],
          special=True),
    _same("gradient_axes", [((2, 3, 4),)], NUMERIC, "gradient",
          kwargs=[dict(axis=(2, 0)), dict(axis=[1], edge_order=2)]),
    _both("gradient_spacing", lambda m, f, **k: m.gradient(f, 0.5, np.float64(2.0), **k),
          [((3, 4),), (Transposed((4, 3)),)], NUMERIC, kwargs=[{}, dict(edge_order=2)]),
    _both("gradient_one_spacing", lambda m, f, **k: m.gradient(f, np.float32(0.25), **k),
          [((5,),), ((3, 4),)], NUMERIC, kwargs=[{}, dict(edge_order=2)]),
    _both("gradient_coordinates",
          lambda m, f, x, **k: m.gradient(f, _increasing(m, x), axis=-1, **k),
          [((3, 4), (4,)), ((5,), (5,)), ((2, 3), (3,))], NUMERIC,
          kwargs=[{}, dict(edge_order=2)]),
    _both("gradient_coordinates_per_axis",
          lambda m, f, x, y: m.gradient(f, _increasing(m, x), _increasing(m, y)),
          [((3, 4), (3,), (4,))], NUMERIC),
    _both("gradient_even_coordinates",
          lambda m, f, **k: m.gradient(f, np.arange(f.shape[-1]) * 0.5, axis=-1, **k),
          [((6,),), ((3, 4),)], NUMERIC, kwargs=[{}, dict(edge_order=2)], special=True),
    _same("unwrap", [((7,),), ((3, 5),), (Transposed((5, 3)),), ((0,),), ((2, 0),)], ALL,
          kwargs=[{}, dict(axis=0), dict(discont=4.0), dict(period=5.0), dict(period=4)],
          domain=(-10.0, 10.0), special=True),
]

APPLYING = [
    _both("apply_along_axis", lambda m, a: m.apply_along_axis(m.sum, 1, a),
          [((3, 4),), ((2, 3, 4),), (Transposed((4, 3)),)]),
    _both("apply_along_axis_vector", lambda m, a: m.apply_along_axis(m.cumsum, 0, a),
          [((3, 4),), ((2, 3, 4),), ((5,),)]),
    _both("apply_along_axis_matrix",
          lambda m, a: m.apply_along_axis(lambda r: m.outer(r, r[::-1]), -2, a),
          [((2, 3, 4),), ((3, 2),)], NUMERIC),
    _both("apply_along_axis_args",
          lambda m, a: m.apply_along_axis(m.quantile, 1, a, 0.25, keepdims=True),
          [((3, 5),)], NUMERIC),
    _both("apply_over_axes", lambda m, a: m.apply_over_axes(m.sum, a, [0, 2]),
          [((2, 3, 4),), ((2, 0, 3),)]),
    _both("apply_over_axes_one", lambda m, a: m.apply_over_axes(m.mean, a, -1),
          [((2, 3, 4),), ((5,),)], NUMERIC),
    _both("apply_over_axes_keeping", lambda m, a: m.apply_over_axes(m.cumsum, a, (1, 0)),
          [((3, 4),)], NUMERIC),
]

SORTING = [
    _both("lexsort", lambda m, a, b: m.lexsort((m.round(a), m.round(b))),
          [((8,), (8,)), ((3, 5), (3, 5)), ((0,), (0,)), ((), ())], special=True),
    _both("lexsort_axis", lambda m, a, b, c: m.lexsort([m.round(a), m.round(b), c], axis=0),
          [((6, 3), (6, 3), (6, 3))], NUMERIC),
    _both("lexsort_rows", lambda m, a: m.lexsort(m.round(a)),
          [((3, 6),), ((2, 3, 4),), ((5,),)], NUMERIC),
]

WINDOW_LENGTHS = [dict(M=0), dict(M=1), dict(M=2), dict(M=7), dict(M=6.5), dict(M=-3),
                  dict(M=np.float32(8))]

WINDOWS = [
    *[_numbers_only(name, WINDOW_LENGTHS) for name in ("hamming", "hanning", "bartlett",
                                                        "blackman")],
    _numbers_only("kaiser", [
        dict(M=0, beta=3.0), dict(M=1, beta=3.0), dict(M=7, beta=0.0), dict(M=12, beta=14.1),
        dict(M=9, beta=50.0), dict(M=6.5, beta=2.0)]),
    _both("kaiser_beta", lambda m, b: m.kaiser(6, b), [((),)], NUMERIC, domain=(0.0, 30.0)),
    _same("i0", UNARY + [((2, 3, 4),)], ALL, domain=(-30.0, 30.0), special=True),
]

BUILDING = [
    _both("fromfunction", _ignoring(lambda m: m.fromfunction(lambda i, j: i * 4 + j, (3, 4))),
          [((),)], (F64,)),
    _both("fromfunction_dtype",
          _ignoring(lambda m: m.fromfunction(lambda i: i % 3, (7,), dtype=int)), [((),)],
          (F64,)),
    _both("fromfunction_kwargs", _ignoring(lambda m: m.fromfunction(
        lambda i, j, k, scale: (i - j + k) * scale, (2, 3, 2), dtype=np.float32,
        scale=np.float32(1.5))), [((),)], (F64,)),
    _both("fromfunction_of_data",
          lambda m, a: m.fromfunction(lambda i, j: m.multiply(a[i, j], i + 1), (3, 4),
                                      dtype=int),
          [((3, 4),)], NUMERIC),
    _both("row_stack", _row_stack, [((3,), (3,)), ((2, 3), (1, 3)), ((), ())]),
]

ENTRIES: list = GRADIENT + APPLYING + SORTING + WINDOWS + BUILDING
