"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy: dtype utilities,
conversions, set operations, histograms, in-place refusals.

The dtype utilities answer with dtypes and booleans, so their entries wrap the answers in
arrays (m.zeros((), answer) or m.asarray([...])), and pass tensors (m.asarray(a)) where
NumPy takes arrays, under jit traced ones. The in-place functions are refused by tnp (see
tests/test_numpy_utilities.py); their entries check the functional form each error names
against NumPy's in-place result on a copy."""

from __future__ import annotations

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, FLOATS, NUMERIC, UNARY, Entry, Transposed
from tests.optable import EveryOther

SCALAR_TYPES = (np.int8, np.int64, np.uint16, np.float16, np.float32, np.float64, np.bool_)
KINDS = ("bool", "integral", "real floating", "numeric", ("bool", "signed integer"))
ABSTRACT = ("floating", "integer", "signedinteger", "unsignedinteger", "inexact", "number",
            "generic")
ESTIMATORS = ("auto", "fd", "doane", "rice", "scott", "sqrt", "stone", "sturges")


def _through(name, call, shapes, dtypes=ALL, **kw):
    """An entry calling `call(m, *args, **kwargs)` with tnp and with np as the namespace."""
    return Entry(name, lambda *a, **k: call(tnp, *a, **k), lambda *a, **k: call(np, *a, **k),
                 shapes, dtypes, **kw)


def _in_place(name, functional, numpy_call, shapes, dtypes=ALL, **kw):
    """The functional form tnp's error names against np.<name> writing into a copy of the
    first argument."""
    def numpy_result(a, *rest):
        result = a.copy()
        numpy_call(result, a, *rest)
        return result
    return Entry(f"{name}_functional", functional, numpy_result, shapes, dtypes, **kw)


DTYPE_UTILITIES = [
    _through("result_type", lambda m, a, b: m.zeros((), m.result_type(m.asarray(a), b)),
             [((3,), (2,)), ((), (4,))]),
    _through("result_type_dtypes", lambda m, a: m.zeros((), m.result_type(
        m.asarray(a), np.int16, "f2", np.dtype(np.uint8))), [((3,),)]),
    _through("result_type_weak_int", lambda m, a: m.zeros((), m.result_type(m.asarray(a), 7)),
             [((3,),), ((),)], NUMERIC),
    _through("result_type_weak_float", lambda m, a: m.zeros((), m.result_type(
        m.asarray(a), 2, 1.5, True)), [((3,),)], FLOATS),
    *[_through(f"can_cast{'_' + c if c else ''}", lambda m, a, c=c: m.asarray(
        [m.can_cast(m.asarray(a), t, *([c] if c else [])) for t in SCALAR_TYPES]),
        [((3,),), ((),)]) for c in ("", "same_kind", "unsafe")],
    _through("min_scalar_type", lambda m, a: m.zeros((), m.min_scalar_type(m.asarray(a))),
             [((3,),), ((2, 2),)]),
    _through("min_scalar_type_value", lambda m, a: m.zeros((), m.min_scalar_type(
        m.asarray(a * 100))), [((),)], NUMERIC, jit=False),
    _through("common_type", lambda m, a, b: m.zeros((), m.common_type(
        m.asarray(a), m.asarray(b).astype(np.float16))), [((3,), (2,))], NUMERIC),
    _through("mintypecode", lambda m, a: m.zeros((), m.mintypecode([m.asarray(a), "f"])),
             [((3,),)]),
    _through("mintypecode_typeset", lambda m, a: m.zeros((), m.mintypecode(
        [m.asarray(a)], "fd", "f")), [((3,),)]),
    _through("issubdtype", lambda m, a: m.asarray(
        [m.issubdtype(m.asarray(a).dtype, getattr(m, k)) for k in ABSTRACT]), [((3,),)]),
    _through("isdtype", lambda m, a: m.asarray(
        [m.isdtype(m.asarray(a).dtype, k) for k in KINDS]), [((3,),)]),
    _through("isscalar", lambda m, a: m.asarray(
        [m.isscalar(m.asarray(a)), m.isscalar(1.5), m.isscalar(a.dtype.type(0)),
         m.isscalar([1])]), [((),), ((3,),)]),
    _through("iterable", lambda m, a: m.asarray([m.iterable(m.asarray(a)), m.iterable(3),
                                                 m.iterable([1])]), [((),), ((3,),)]),
]

CONVERSIONS = [
    *[_through(n, lambda m, a, n=n, **k: getattr(m, n)(a, **k), UNARY,
               kwargs=[{}, dict(dtype=np.float32)])
      for n in ("asanyarray", "ascontiguousarray", "asfortranarray", "asarray_chkfinite")],
    _through("require", lambda m, a, **k: m.require(a, **k), UNARY,
             kwargs=[{}, dict(dtype=np.float64, requirements=["C", "A", "O", "E"]),
                     dict(requirements="F"), dict(requirements=["aligned", "OWNDATA"])]),
]

SETS = [("intersect1d", [{}, dict(return_indices=True), dict(assume_unique=True)]),
        ("union1d", [{}]), ("setdiff1d", [{}, dict(assume_unique=True)]),
        ("setxor1d", [{}, dict(assume_unique=True)])]

SET_ROUTINES = [
    _through(name, lambda m, a, b, name=name, **k: getattr(m, name)(m.round(a), m.round(b), **k),
             [((6,), (5,)), ((3, 4), (2,)), ((0,), (3,)), ((), (4,)), (Transposed((3, 4)), (7,))],
             kwargs=kwargs, jit=False, special=True)
    for name, kwargs in SETS
]

DATA_SHAPES = [((7,),), ((3, 4),), ((0,),), ((),), (Transposed((3, 4)),), (EveryOther(12),)]
WEIGHTED_SHAPES = [((7,), (7,)), ((3, 4), (3, 4)), ((0,), (0,))]
EDGES = np.array([-3.0, -1.0, 0.0, 0.5, 3.0])
INT_EDGES = np.array([-2, 0, 1, 3], np.int32)

HISTOGRAMS = [
    _through("histogram", lambda m, a, **k: m.histogram(a, **k), DATA_SHAPES,
             kwargs=[{}, dict(bins=3), dict(bins=1), dict(range=(-1, 2)),
                     dict(bins=4, range=(0.5, 0.5)), dict(bins=5, range=(np.float64(-2), 3)),
                     dict(bins=np.int64(6), range=(np.float32(-1.5), np.float32(1.5))),
                     dict(density=True), dict(bins=2, density=True, range=(0, 1))]),
    _through("histogram_range", lambda m, a, **k: m.histogram(a, **k), [((9,),)], ALL,
             kwargs=[dict(range=(-2, 2)), dict(bins=3, range=(-1e30, 1e30))], special=True),
    _through("histogram_edges", lambda m, a, **k: m.histogram(a, **k), DATA_SHAPES,
             kwargs=[dict(bins=EDGES), dict(bins=INT_EDGES), dict(bins=EDGES, density=True),
                     dict(bins=np.array([1.0])), dict(bins=np.array([0.0, 0.0, 1.0]))],
             special=True),
    _through("histogram_weights", lambda m, a, w, **k: m.histogram(a, weights=w, **k),
             WEIGHTED_SHAPES, kwargs=[{}, dict(bins=3, range=(-1, 1)), dict(density=True)]),
    _through("histogram_weights_edges", lambda m, a, w, **k: m.histogram(a, weights=w, **k),
             WEIGHTED_SHAPES, NUMERIC, kwargs=[dict(bins=EDGES), dict(bins=INT_EDGES),
                                               dict(bins=EDGES, density=True)]),
    _through("histogram_estimators", lambda m, a, **k: m.histogram(a, **k),
             [((20,),), ((3, 4),), ((0,),), ((1,),)], kwargs=[
                 *[dict(bins=e) for e in ESTIMATORS], dict(bins="auto", range=(-1, 1))],
             jit=False),
    _through("histogram_bin_edges", lambda m, a, **k: m.histogram_bin_edges(a, **k),
             DATA_SHAPES, kwargs=[{}, dict(bins=4, range=(-1, 1)), dict(bins=EDGES),
                                  dict(bins=2)]),
    _through("histogramdd", lambda m, s, **k: m.histogramdd(s, **k),
             [((9, 2),), ((9, 3),), ((0, 2),), ((5,),), (Transposed((9, 2)),)],
             kwargs=[{}, dict(bins=3), dict(bins=2, density=True)]),
    _through("histogramdd_axes", lambda m, s, **k: m.histogramdd(s, **k),
             [((9, 2),), (Transposed((9, 2)),)],
             kwargs=[dict(bins=[2, EDGES]), dict(range=[(-1, 2), (np.float32(0), 1)]),
                     dict(bins=(INT_EDGES, 3), range=[None, (0, 1)], density=True)]),
    _through("histogramdd_special", lambda m, s, **k: m.histogramdd(s, **k), [((9,),)],
             kwargs=[dict(range=[(-2, 2)]), dict(bins=[EDGES])], special=True),
    _through("histogramdd_weights", lambda m, s, w, **k: m.histogramdd(s, weights=w, **k),
             [((9, 2), (9,)), ((0, 3), (0,))], kwargs=[{}, dict(density=True)]),
    _through("histogram2d", lambda m, x, y, **k: m.histogram2d(x, y, **k),
             [((8,), (8,)), ((0,), (0,)), (EveryOther(16), (8,))],
             kwargs=[{}, dict(bins=3), dict(bins=[2, 4]), dict(bins=EDGES),
                     dict(bins=[3, EDGES]), dict(range=[(-1, 1), (0, 2)], density=True)]),
    _through("histogram2d_weights", lambda m, x, y, w: m.histogram2d(x, y, 3, weights=w),
             [((8,), (8,), (8,))]),
    _through("histogram_bin_edges_estimator", lambda m, a, **k: m.histogram_bin_edges(
        a, **k), [((20,),)], kwargs=[dict(bins=e) for e in ESTIMATORS], jit=False),
]

IN_PLACE = [
    _in_place("fill_diagonal", lambda a: tnp.asarray(a).at[
        tnp.diag_indices(min(a.shape), a.ndim)].set(a.dtype.type(1)),
              lambda out, a: np.fill_diagonal(out, a.dtype.type(1)),
              [((3, 3),), ((4, 3),), ((3, 4),), ((2, 2, 2),)]),
    _in_place("put", lambda a: tnp.ravel(a).at[np.array([0, 5, -1])].set(
        tnp.flip(tnp.ravel(a)[:3])).reshape(a.shape),
              lambda out, a: np.put(out, np.array([0, 5, -1]), np.flip(a.ravel()[:3])),
              [((3, 4),), ((6,),)]),
    _in_place("putmask", lambda a, b: tnp.where(a > 0, b, a),
              lambda out, a, b: np.putmask(out, a > 0, b), [((3, 4), (3, 4)), ((5,), (5,))]),
    _in_place("place", lambda a: tnp.asarray(a).at[a > 0].set(a.dtype.type(1)),
              lambda out, a: np.place(out, a > 0, [a.dtype.type(1)]), [((3, 4),), ((5,),)],
              jit=False),
    _in_place("copyto", lambda a, b: tnp.where(b > 0, b, a).astype(a.dtype),
              lambda out, a, b: np.copyto(out, b, where=b > 0),
              [((3, 4), (3, 4)), ((3, 4), (4,))]),
    _in_place("copyto_everywhere", lambda a, b: tnp.broadcast_to(
        tnp.asarray(b, a.dtype), a.shape), lambda out, a, b: np.copyto(out, b),
              [((3, 4), (4,)), ((2,), ())]),
]

ENTRIES: list = DTYPE_UTILITIES + CONVERSIONS + SET_ROUTINES + HISTOGRAMS + IN_PLACE
