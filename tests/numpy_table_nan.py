"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy: NaN-ignoring
reductions and scans (np.nansum, np.nanmean, ...).

A table entry draws random values, so each entry plants NaNs at fixed places first (the
same way for tnp and np): scattered ones, and for arrays of two or more dimensions the
whole plane at index 1 of axis 1, so that reducing over axis 0, the last axis or both has
an all-NaN slice. Integer and boolean arrays are passed as drawn (they hold no NaN)."""

from __future__ import annotations

import warnings

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, AXES, NUMERIC, REDUCED, Entry, Transposed


def nan_mask(shape, whole_plane: bool = True) -> np.ndarray:
    mask = np.arange(int(np.prod(shape))).reshape(shape) % 5 == 2
    if whole_plane and len(shape) >= 2:
        mask[(slice(None), 1)] = True
    return mask


def planted(m, a, whole_plane: bool = True):
    """`a` with NaNs at nan_mask's places, through namespace `m` (tnp or np)."""
    if np.dtype(a.dtype).kind != "f" or len(a.shape) == 0:
        return a
    return m.where(nan_mask(tuple(a.shape), whole_plane), np.nan, a)


def _quiet(fn):
    """fn without NumPy's RuntimeWarnings (for all-NaN slices): tests/test_numpy_nan.py checks
    them."""
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    return call


def _nan(name, call=None, shapes=REDUCED, dtypes=ALL, whole_plane=True, **kw):
    """An entry for np.<function> on arrays with NaNs planted; `call(m, fn, a, **kwargs)`
    (default: fn(a, **kwargs)) adds arguments."""
    function = name.split("_")[0]
    call = call or (lambda m, fn, a, **k: fn(a, **k))

    def through(m):
        fn = getattr(m, function)
        return _quiet(lambda a, **k: call(m, fn, planted(m, a, whole_plane), **k))
    return Entry(name, through(tnp), through(np), shapes, dtypes, **kw)


SCAN_SHAPES = [((3, 4),), ((2, 3, 4),), ((0, 3),), (Transposed((4, 3)),)]
MEDIAN_SHAPES = REDUCED + [((5,),), ((1,),)]
VAR_KWARGS = AXES + [dict(axis=1, ddof=1), dict(axis=-1, ddof=4), dict(axis=0, correction=1)]
LANE_MASK = np.array([[True], [False], [True]])   # broadcasts to (2, 3, 4)
SPECIAL = [((10,),), ((3, 4),)]                  # special values: 1-d, axis=-1 fits both

ENTRIES = [
    *[_nan(n, kwargs=AXES) for n in ("nansum", "nanprod", "nanmax", "nanmin", "nanmean")],
    *[_nan(n, kwargs=VAR_KWARGS) for n in ("nanvar", "nanstd")],
    *[_nan(f"{n}_empty_or_scalar", shapes=[((0, 3),), ((),), ((1,),)])
      for n in ("nansum", "nanprod", "nanmean")],
    *[_nan(f"{n}_dtype", kwargs=[dict(axis=1, dtype=np.float32), dict(dtype=np.float64)])
      for n in ("nansum", "nanmean", "nanvar")],
    _nan("nansum_int_dtype", kwargs=[dict(axis=-1, dtype=np.int32)], dtypes=NUMERIC),
    *[_nan(f"{n}_initial", kwargs=[dict(axis=-1, initial=1), dict(axis=(0, 2), initial=1,
                                                                 keepdims=True)])
      for n in ("nansum", "nanprod", "nanmax", "nanmin")],
    *[_nan(f"{n}_where", kwargs=[dict(axis=-1, where=LANE_MASK), dict(where=LANE_MASK),
                                 dict(axis=(0, 1), where=LANE_MASK, keepdims=True)])
      for n in ("nansum", "nanprod", "nanmean", "nanvar", "nanstd")],
    *[_nan(f"{n}_where", kwargs=[dict(axis=-1, where=LANE_MASK, initial=-1),
                                 dict(axis=1, where=LANE_MASK, initial=-1)], dtypes=NUMERIC)
      for n in ("nanmax", "nanmin")],
    *[_nan(f"{n}_mean", lambda m, fn, a, **k: fn(a, mean=m.nanmean(a, 1, keepdims=True), **k),
           kwargs=[dict(axis=1), dict(axis=1, ddof=1, keepdims=True)])
      for n in ("nanvar", "nanstd")],
    *[_nan(n, whole_plane=False, kwargs=[{}, dict(axis=0), dict(axis=-1, keepdims=True),
                                         dict(axis=1)])
      for n in ("nanargmax", "nanargmin")],
    *[_nan(f"{n}_1d", whole_plane=False, shapes=[((5,),), ((1,),)],
           kwargs=[{}, dict(axis=0, keepdims=True)]) for n in ("nanargmax", "nanargmin")],
    *[_nan(n, shapes=SCAN_SHAPES, kwargs=[{}, dict(axis=0), dict(axis=-1)])
      for n in ("nancumsum", "nancumprod")],
    _nan("nancumsum_dtype", shapes=[((3, 4),)], kwargs=[dict(axis=1, dtype=np.float64)]),
    _nan("nanmedian", shapes=MEDIAN_SHAPES, kwargs=[{}, dict(axis=0), dict(axis=-1,
                                                                           keepdims=True)]),
    _nan("nanmedian_scalar", shapes=[((),), ((1,),)]),
    _nan("nanmedian_axes", kwargs=[dict(axis=(0, 2)), dict(axis=(0, 2), keepdims=True)]),
    _nan("nanquantile", lambda m, fn, a, **k: fn(a, np.array([0.0, 0.25, 0.9, 1.0]), **k),
         dtypes=NUMERIC, kwargs=[{}, dict(axis=1), dict(axis=-1), dict(axis=(0, 2),
                                                                      keepdims=True)]),
    _nan("nanquantile_scalar", lambda m, fn, a, **k: fn(a, 0.3, **k), dtypes=NUMERIC,
         shapes=MEDIAN_SHAPES, kwargs=[{}, dict(axis=-1, keepdims=True)]),
    _nan("nanquantile_integer_q", lambda m, fn, a, **k: fn(a, np.array([0, 1]), **k),
         dtypes=ALL, kwargs=[{}, dict(axis=0)]),
    _nan("nanquantile_strong_q", lambda m, fn, a, **k: fn(a, np.float32(0.7), **k),
         dtypes=NUMERIC, kwargs=[dict(axis=-1)]),
    _nan("nanpercentile", lambda m, fn, a, **k: fn(a, np.array([10.0, 50.0]), **k),
         dtypes=NUMERIC, kwargs=[dict(axis=0), dict(axis=(0, 2))]),
    _nan("nanpercentile_scalar", lambda m, fn, a, **k: fn(a, 75.0, **k), dtypes=NUMERIC,
         kwargs=[{}, dict(axis=-1)]),
    *[_nan(f"{n}_special", shapes=SPECIAL, dtypes=NUMERIC, kwargs=[dict(axis=-1)],
           special=True)
      for n in ("nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
                "nancumsum", "nancumprod", "nanmedian")],
    *[_nan(f"{n}_special", lambda m, fn, a, **k: fn(a, np.array([0.0, 0.3, 0.5, 1.0]), **k),
           shapes=SPECIAL, dtypes=NUMERIC, kwargs=[dict(axis=-1)], special=True)
      for n in ("nanquantile", "nanpercentile")],
]
