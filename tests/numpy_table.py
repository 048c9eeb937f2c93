"""The table tests/test_numpy_conformance.py drives: each tapejit.numpy function beside the
NumPy function it must match, the dtypes NumPy accepts for it, and the argument shapes to
try (scalars, empty arrays, broadcasting pairs, non-contiguous inputs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tapejit.numpy as tnp
from tests.optable import EveryOther, Transposed

F16, F32, F64, I32, BOOL = np.float16, np.float32, np.float64, np.int32, np.bool_
FLOATS = (F32, F64)
NUMERIC = (F32, F64, I32)
ALL = (F32, F64, I32, BOOL)

UNARY = [((),), ((0,),), ((5,),), ((3, 4),), (Transposed((3, 4)),), (EveryOther(12),)]
BINARY = [((), ()), ((5,), ()), ((3, 1), (1, 4)), ((2, 3, 4), (3, 4)), ((0, 3), (1, 3)),
          (Transposed((3, 4)), (3, 4)), (EveryOther(10), EveryOther(10))]
AXES = [dict(), dict(axis=0), dict(axis=-1, keepdims=True), dict(axis=(0, 2))]
REDUCED = [((2, 3, 4),), (Transposed((4, 3, 2)),)]


@dataclass
class Entry:
    """One function: `tnp(*args, **kw)` must equal `ref(*args, **kw)` for every shape spec
    in `shapes` (with each kwargs in `kwargs`) and dtype in `dtypes`."""

    name: str
    tnp: Callable
    ref: Callable
    shapes: list
    dtypes: tuple = ALL
    kwargs: list = field(default_factory=lambda: [{}])
    domain: tuple = (-3.0, 3.0)
    special: bool = False     # also at NaN, +-inf, +-0 (float dtypes)
    jit: bool = True          # False: the result's shape depends on the data

    @property
    def id(self) -> str:
        return self.name


def _same(name, dtypes=ALL, shapes=UNARY, **kw):
    """An entry whose NumPy reference has the same name."""
    return Entry(name, getattr(tnp, name), getattr(np, name), shapes, dtypes, **kw)


def _unary(name, dtypes=ALL, **kw):
    return _same(name, dtypes, UNARY, special=True, **kw)


def _binary(name, dtypes=ALL, **kw):
    return _same(name, dtypes, BINARY, special=True, **kw)


ELEMENTWISE = [
    *[_unary(n, domain=(-0.95, 0.95)) for n in ("arcsin", "arccos", "arctanh")],
    *[_unary(n) for n in ("arctan", "sinh", "cosh", "arcsinh", "exp2", "cbrt", "sinc",
                          "deg2rad", "rad2deg", "degrees", "radians", "rint", "fabs")],
    _unary("arccosh", domain=(1.0, 4.0)),
    *[_unary(n, domain=(0.1, 4.0)) for n in ("log2", "log10")],
    *[_unary(n) for n in ("floor", "ceil", "trunc", "fix", "isnan", "isinf", "isfinite",
                          "signbit", "isposinf", "isneginf", "logical_not", "nan_to_num")],
    *[_unary(n, NUMERIC) for n in ("sign", "positive")],
    _unary("reciprocal", (F32, F64), domain=(0.5, 3.0)),
    Entry("reciprocal_int", tnp.reciprocal, np.reciprocal, UNARY, (I32,), domain=(1.0, 4.0)),
    Entry("round", tnp.round, np.round, UNARY, NUMERIC,
          kwargs=[{}, dict(decimals=1), dict(decimals=-1)], domain=(-300.0, 300.0),
          special=True),
    Entry("around", tnp.around, np.around, UNARY, (BOOL,)),
    *[_binary(n) for n in ("hypot", "fmax", "fmin", "copysign", "float_power",
                           "logical_and", "logical_or", "logical_xor", "greater",
                           "greater_equal", "less", "less_equal", "equal", "not_equal")],
    *[_binary(n, domain=(-4.0, 4.0)) for n in ("fmod", "mod", "remainder", "floor_divide",
                                                "divmod")],
    Entry("where", tnp.where, np.where, [((3, 4), (3, 4), (3, 4)), ((), (5,), ()),
                                         ((3, 1), (1, 4), (3, 4))], special=True),
    Entry("clip", tnp.clip, np.clip, [((3, 4), (), ()), ((5,), (5,), ()),
                                      ((3, 4), (4,), (3, 1))], NUMERIC, special=True),
    Entry("clip_none", lambda a, hi: tnp.clip(a, None, hi), lambda a, hi: np.clip(a, None, hi),
          [((3, 4), ())], NUMERIC),
    Entry("clip_min_above_max", lambda a: tnp.clip(a, a.dtype.type(2), a.dtype.type(1)),
          lambda a: np.clip(a, a.dtype.type(2), a.dtype.type(1)), [((3, 4),)], NUMERIC),
]

REDUCTIONS = [
    *[_same(n, ALL, REDUCED, kwargs=AXES) for n in ("sum", "prod", "max", "min", "amax", "amin",
                                                    "all", "any")],
    *[_same(n, ALL, REDUCED, kwargs=AXES + [dict(axis=1, ddof=1)]) for n in ("var", "std")],
    _same("mean", ALL, REDUCED, kwargs=AXES),
    _same("ptp", NUMERIC, REDUCED, kwargs=AXES[:3]),
    _same("count_nonzero", ALL, REDUCED, kwargs=[dict(axis=1), dict(axis=(0, 2),
                                                                    keepdims=True)]),
    *[Entry(f"{n}_empty_or_scalar", getattr(tnp, n), getattr(np, n), [((0, 3),), ((),)])
      for n in ("sum", "prod", "mean", "any", "all")],
    Entry("max_initial", lambda a: tnp.max(a, axis=0, initial=a.dtype.type(-1)),
          lambda a: np.max(a, axis=0, initial=a.dtype.type(-1)), [((0, 3),), ((3, 4),)],
          NUMERIC),
    Entry("sum_dtype", lambda a: tnp.sum(a, 0, dtype=np.float32),
          lambda a: np.sum(a, 0, dtype=np.float32), [((3, 4),)]),
    Entry("average", lambda a, w: tnp.average(a, axis=1, weights=w),
          lambda a, w: np.average(a, axis=1, weights=w), [((3, 4), (4,)), ((3, 4), (3, 4))],
          NUMERIC, domain=(0.5, 3.0)),
    Entry("average_plain", tnp.average, np.average, REDUCED, NUMERIC,
          kwargs=[{}, dict(axis=(0, 1), returned=True)]),
    _same("median", NUMERIC, REDUCED + [((5,),), ((1,),)], kwargs=[{}, dict(axis=0),
                                                                   dict(axis=-1,
                                                                        keepdims=True)],
          special=True),
    Entry("quantile", lambda a, **kw: tnp.quantile(a, np.array([0.0, 0.25, 0.9, 1.0]), **kw),
          lambda a, **kw: np.quantile(a, np.array([0.0, 0.25, 0.9, 1.0]), **kw), REDUCED,
          NUMERIC, kwargs=[{}, dict(axis=1)]),
    Entry("quantile_scalar", lambda a: tnp.quantile(a, 0.3, axis=-1),
          lambda a: np.quantile(a, 0.3, axis=-1), REDUCED, NUMERIC),
    Entry("percentile", lambda a: tnp.percentile(a, np.array([10.0, 50.0]), axis=0),
          lambda a: np.percentile(a, np.array([10.0, 50.0]), axis=0), REDUCED, NUMERIC),
]

SCANS_AND_SORTS = [
    *[_same(n, ALL, [((3, 4),), ((2, 3, 4),), ((0, 3),), (Transposed((4, 3)),)],
            kwargs=[{}, dict(axis=0), dict(axis=-1)]) for n in ("cumsum", "cumprod")],
    _same("cumsum", NUMERIC, [((3, 4),)], kwargs=[dict(axis=1, dtype=np.float64)]),
    _same("diff", ALL, [((5,),), ((3, 4),), (Transposed((4, 3)),)],
          kwargs=[{}, dict(n=2, axis=0), dict(n=0), dict(axis=-1, prepend=np.int32(1))]),
    _same("ediff1d", NUMERIC, [((5,),), ((3, 4),), ((0,),)],
          kwargs=[{}, dict(to_begin=np.array([7, 8], np.int32), to_end=np.int32(9))]),
    *[_same(n, ALL, [((5,),), ((3, 4),), ((2, 3, 4),), ((0, 3),), (Transposed((4, 3)),)],
            kwargs=[{}, dict(axis=0), dict(axis=None)], special=True)
      for n in ("sort",)],
    Entry("argsort", tnp.argsort, lambda a, **kw: np.argsort(a, kind="stable", **kw),
          [((5,),), ((3, 4),), ((2, 3, 4),), ((0, 3),), (Transposed((4, 3)),)],
          kwargs=[{}, dict(axis=0), dict(axis=None)], special=True),
]


def _both(name, call, shapes, dtypes=ALL, **kw):
    """An entry calling the same code with tnp and with np as the namespace."""
    return Entry(name, lambda *a: call(tnp, *a), lambda *a: call(np, *a), shapes, dtypes, **kw)


SHAPES = [
    _both("reshape", lambda m, a: m.reshape(a, (2, -1)), [((3, 4),), (Transposed((4, 3)),)]),
    _both("reshape_shape_kw", lambda m, a: m.reshape(a, shape=(-1,)), [((3, 4),), ((),)]),
    _both("ravel", lambda m, a: m.ravel(a), [((3, 4),), ((),), (Transposed((4, 3)),)]),
    _both("transpose", lambda m, a: m.transpose(a, (1, 2, 0)), [((2, 3, 4),)]),
    _both("transpose_default", lambda m, a: m.transpose(a), [((2, 3, 4),), ((),), ((5,),)]),
    _both("permute_dims", lambda m, a: m.permute_dims(a, (1, 0)), [((3, 4),)]),
    _both("moveaxis", lambda m, a: m.moveaxis(a, (0, -1), (-1, 1)), [((2, 3, 4, 5),)]),
    _both("swapaxes", lambda m, a: m.swapaxes(a, 0, -1), [((2, 3, 4),)]),
    *[_both(f"rollaxis_{i}_{j}", lambda m, a, i=i, j=j: m.rollaxis(a, i, j), [((2, 3, 4, 5),)])
      for i, j in ((3, 1), (1, 3), (2, 0), (-1, 4), (0, -2))],
    _both("expand_dims", lambda m, a: m.expand_dims(a, (0, -1)), [((3, 4),), ((),)]),
    _both("squeeze", lambda m, a: m.squeeze(a), [((1, 3, 1),), ((1,),)]),
    _both("squeeze_axis", lambda m, a: m.squeeze(a, -1), [((1, 3, 1),)]),
    *[_both(n, lambda m, a, b, n=n: getattr(m, n)(a, b), [((), (5,)), ((3,), (2, 3)),
                                                          ((2, 3), (4, 2, 3))])
      for n in ("atleast_1d", "atleast_2d", "atleast_3d")],
    *[_both(f"{n}_one", lambda m, a, n=n: getattr(m, n)(a), [((),), ((5,),), ((2, 3),)])
      for n in ("atleast_1d", "atleast_2d", "atleast_3d")],
    _both("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 4)), [((3, 1),), ((),)]),
    _both("broadcast_arrays", lambda m, a, b: m.broadcast_arrays(a, b),
          [((3, 1), (4,)), ((), (2, 3))]),
    _both("astype", lambda m, a: m.astype(a, np.int8), [((3, 4),)]),
    _both("copy", lambda m, a: m.copy(a), [((3, 4),), (Transposed((4, 3)),)]),
    _both("concatenate", lambda m, a, b: m.concatenate([a, b, a], axis=1),
          [((2, 3), (2, 1)), ((0, 3), (0, 2))]),
    _both("concatenate_flat", lambda m, a, b: m.concatenate((a, b), axis=None),
          [((2, 3), (4,))]),
    _both("concatenate_dtype", lambda m, a, b: m.concatenate((a, b), dtype=np.float32),
          [((3,), (2,))]),
    _both("stack", lambda m, a, b: m.stack([a, b], axis=-1), [((2, 3), (2, 3)), ((), ())]),
    _both("hstack", lambda m, a, b: m.hstack((a, b)), [((3,), (2,)), ((2, 3), (2, 1)),
                                                      ((), ())]),
    _both("vstack", lambda m, a, b: m.vstack((a, b)), [((3,), (3,)), ((2, 3), (1, 3)),
                                                      ((), ())]),
    _both("dstack", lambda m, a, b: m.dstack((a, b)), [((3,), (3,)), ((2, 3), (2, 3)),
                                                      ((2, 3, 1), (2, 3, 2))]),
    _both("column_stack", lambda m, a, b: m.column_stack((a, b)), [((3,), (3,)),
                                                                  ((3, 2), (3,))]),
    _both("append", lambda m, a, b: m.append(a, b), [((2, 3), (4,))]),
    _both("append_axis", lambda m, a, b: m.append(a, b, axis=0), [((2, 3), (1, 3))]),
    _both("split", lambda m, a: m.split(a, 3, axis=1), [((2, 6),)]),
    _both("split_indices", lambda m, a: m.split(a, [1, 4, -2, 9]), [((7, 2),)]),
    _both("array_split", lambda m, a: m.array_split(a, 3), [((7,),), ((2, 3),)]),
    _both("hsplit", lambda m, a: m.hsplit(a, 2), [((4,),), ((3, 4),)]),
    _both("vsplit", lambda m, a: m.vsplit(a, [1]), [((3, 4),)]),
    _both("dsplit", lambda m, a: m.dsplit(a, 2), [((2, 3, 4),)]),
    _both("tile", lambda m, a: m.tile(a, (2, 1, 3)), [((3,),), ((2, 3),), ((),)]),
    _both("tile_int", lambda m, a: m.tile(a, 2), [((2, 3),)]),
    _both("repeat", lambda m, a: m.repeat(a, 2, axis=1), [((2, 3),)]),
    _both("repeat_flat", lambda m, a: m.repeat(a, 3), [((2, 3),), ((),)]),
    _both("repeat_counts", lambda m, a: m.repeat(a, [2, 0, 1], axis=0), [((3, 2),)]),
    _both("flip", lambda m, a: m.flip(a), [((2, 3),), ((),), (Transposed((4, 3)),)]),
    _both("flip_axis", lambda m, a: m.flip(a, (0, 2)), [((2, 3, 4),)]),
    _both("fliplr", lambda m, a: m.fliplr(a), [((2, 3),)]),
    _both("flipud", lambda m, a: m.flipud(a), [((2, 3),), ((3,),)]),
    _both("roll", lambda m, a: m.roll(a, 2), [((2, 3),), ((0,),)]),
    _both("roll_axes", lambda m, a: m.roll(a, (1, -5, 2), (0, 1, 0)), [((3, 4),)]),
    *[_both(f"rot90_{k}", lambda m, a, k=k: m.rot90(a, k, (1, 2)), [((2, 3, 4),)])
      for k in (1, 2, 3, -1, 4)],
    _both("rot90", lambda m, a: m.rot90(a), [((3, 4),)]),
    *[_both(f"diagonal_{o}", lambda m, a, o=o: m.diagonal(a, o), [((3, 4),), ((4, 3),)])
      for o in (0, 2, -1, 5)],
    _both("diagonal_axes", lambda m, a: m.diagonal(a, 1, -1, 0), [((3, 2, 4),)]),
    _both("trace", lambda m, a: m.trace(a, 1), [((3, 4),), ((2, 3, 4),)]),
    *[_both(f"diag_{k}", lambda m, a, k=k: m.diag(a, k), [((3,),), ((3, 4),), ((0,),)])
      for k in (0, 1, -2)],
    _both("diagflat", lambda m, a: m.diagflat(a, -1), [((2, 2),)]),
    _both("tril", lambda m, a: m.tril(a, -1), [((3, 4),), ((2, 3, 4),), ((4,),)]),
    _both("triu", lambda m, a: m.triu(a, 1), [((3, 4),), ((2, 3, 4),), ((4,),)]),
    _both("kron", lambda m, a, b: m.kron(a, b), [((2, 3), (3, 2)), ((2,), (2, 2)), ((), (3,))],
          NUMERIC),
    _both("cross", lambda m, a, b: m.cross(a, b), [((4, 3), (3,)), ((3,), (2, 1, 3))], NUMERIC),
    _both("cross_axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=1, axisc=0),
          [((3, 4), (4, 3))], NUMERIC),
    _both("meshgrid", lambda m, a, b, c: m.meshgrid(a, b, c), [((2,), (3,), (4,))]),
    _both("meshgrid_ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij", sparse=True),
          [((2,), (3,))]),
]

EAGER_ONLY = [
    _both("nonzero", lambda m, a: m.nonzero(a), [((3, 4),), ((5,),)], jit=False),
    _both("where_one", lambda m, a: m.where(a), [((3, 4),)], jit=False),
    _both("flatnonzero", lambda m, a: m.flatnonzero(a), [((3, 4),)], jit=False),
    _both("argwhere", lambda m, a: m.argwhere(a), [((3, 4),)], jit=False),
    _both("unique", lambda m, a: m.unique(m.round(a)), [((3, 4),), ((0,),), ((),)], jit=False,
          special=True),
    _both("unique_returns", lambda m, a: m.unique(m.round(a), return_index=True,
                                                  return_inverse=True, return_counts=True),
          [((3, 4),), (Transposed((4, 3)),)], jit=False),
    _both("unique_axis", lambda m, a: m.unique(m.round(a / 3), axis=0, return_inverse=True),
          [((4, 2),)], NUMERIC, jit=False),
    _both("unique_equal_nan", lambda m, a: m.unique(m.round(a), equal_nan=False),
          [((5,),)], FLOATS, jit=False, special=True),
    *[_both(n, lambda m, a, n=n: tuple(getattr(m, n)(m.round(a))) if n != "unique_values"
            else m.unique_values(m.round(a)), [((3, 4),), ((6,),)], jit=False, special=True)
      for n in ("unique_values", "unique_counts", "unique_inverse", "unique_all")],
    _both("bincount", lambda m, a: m.bincount(m.abs(a).astype(np.int32), minlength=3),
          [((5,),), ((0,),)], NUMERIC, jit=False),
    _both("bincount_weights", lambda m, a, w: m.bincount(m.abs(a).astype(np.int32), w),
          [((5,), (5,))], NUMERIC, jit=False),
]

from tests.numpy_table_compare import ENTRIES as COMPARE_ENTRIES  # noqa: E402
from tests.numpy_table_index import ENTRIES as INDEX_ENTRIES  # noqa: E402
from tests.numpy_table_nan import ENTRIES as NAN_ENTRIES  # noqa: E402
from tests.numpy_table_numerics import ENTRIES as NUMERICS_ENTRIES  # noqa: E402
from tests.numpy_table_stats import ENTRIES as STATS_ENTRIES  # noqa: E402
from tests.numpy_table_utilities import ENTRIES as UTILITIES_ENTRIES  # noqa: E402

TABLE = (ELEMENTWISE + REDUCTIONS + SCANS_AND_SORTS + SHAPES + EAGER_ONLY + NAN_ENTRIES
         + COMPARE_ENTRIES + STATS_ENTRIES + INDEX_ENTRIES + NUMERICS_ENTRIES
         + UTILITIES_ENTRIES)
