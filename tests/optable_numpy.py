"""Op-table cases of the primitives behind tapejit.numpy (trig, special, rounding, scan,
sort families), driven through tapejit.numpy's functions, and of tapejit.numpy's
compositions whose gradients are worth checking (sinc, var, prod, median, diagonal, ...)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

import tapejit as tj
import tapejit.numpy as tnp
from tapejit.primitives import scan
from tests.optable import (
    BINARY_SHAPES,
    TEXT,
    UNARY_SHAPES,
    Case,
    EveryOther,
    Transposed,
    _b,
    _u,
)

SMALL_BINARY = [s for s in BINARY_SHAPES if not isinstance(s[0], EveryOther)]
"""Shapes for ops with jumps: few elements, so no finite-difference step crosses one."""
LANES = [((5,),), ((3, 4),), ((2, 3, 4),), ((0, 3),), (Transposed((3, 4)),)]
BOOLS = np.array([True, False])


def _bool_error(fn):
    return [lambda: fn(tj.constant(BOOLS), tj.constant(BOOLS))]


def _rec(axis, reverse):
    return lambda a, b: scan.linear_recurrence(a, b, axis, reverse)


ELEMENTWISE = [
    _u("asin", tnp.arcsin, domain=(-0.9, 0.9), numpy=np.arcsin),
    _u("acos", tnp.arccos, domain=(-0.9, 0.9), numpy=np.arccos),
    _u("atan", tnp.arctan, numpy=np.arctan),
    _u("sinh", tnp.sinh, numpy=np.sinh),
    _u("cosh", tnp.cosh, numpy=np.cosh),
    _u("asinh", tnp.arcsinh, numpy=np.arcsinh),
    _u("acosh", tnp.arccosh, domain=(1.2, 3.0), numpy=np.arccosh),
    _u("atanh", tnp.arctanh, domain=(-0.9, 0.9), numpy=np.arctanh),
    _b("hypot", tnp.hypot, away_from_zero=True, numpy=np.hypot,
       kinks=[((0.0, 0.0), (0.0, 0.0))]),
    _u("exp2", tnp.exp2, numpy=np.exp2),
    _u("log2", tnp.log2, domain=(0.5, 3.0), numpy=np.log2),
    _u("log10", tnp.log10, domain=(0.5, 3.0), numpy=np.log10),
    _u("cbrt", tnp.cbrt, away_from_zero=True, numpy=np.cbrt),
    _u("erf", tj.math.erf, numpy=special.erf),
    _u("erfc", tj.math.erfc, numpy=special.erfc),
    _u("floor", tnp.floor, order=0, numpy=np.floor),
    _u("ceil", tnp.ceil, order=0, numpy=np.ceil),
    _u("round", tnp.rint, order=0, numpy=np.rint),
    _u("trunc", tnp.trunc, order=0, numpy=np.trunc),
    _u("signbit", tnp.signbit, order=0, numpy=np.signbit),
    _b("floor_divide", tnp.floor_divide, order=0, away_from_zero=True, numpy=np.floor_divide,
       errors=_bool_error(lambda x, y: x // y)),
    # x + 3 over y in (1.1, 1.3) stays in (3, 4): no jump for a finite-difference step
    _b("fmod", lambda x, y: tnp.fmod(x + 3.0, y) + tnp.fmod(-(x + 3.0), y), shapes=SMALL_BINARY,
       domain=(1.1, 1.3), numpy=lambda x, y: np.fmod(x + 3.0, y) + np.fmod(-(x + 3.0), y)),
    _b("mod", lambda x, y: tnp.mod(x + 3.0, y) + tnp.mod(-(x + 3.0), y), shapes=SMALL_BINARY,
       domain=(1.1, 1.3), numpy=lambda x, y: np.mod(x + 3.0, y) + np.mod(-(x + 3.0), y),
       errors=_bool_error(lambda x, y: x % y)),
    _b("mod", lambda x, y: (x + 3.0) % -y, name="mod_operator", shapes=SMALL_BINARY,
       domain=(1.1, 1.3), numpy=lambda x, y: np.mod(x + 3.0, -y),
       errors=_bool_error(lambda x, y: x % y)),
]

SCANS_AND_SORTS = [
    Case("cumsum", lambda x: tnp.cumsum(x, axis=-1), LANES,
         numpy=lambda x: np.cumsum(x, axis=-1), errors=[lambda: tnp.cumsum(np.ones(3), 1)]),
    Case("cumsum", lambda x: scan.cumsum(x, 0, True), LANES[:4], name="cumsum_reverse",
         numpy=lambda x: np.flip(np.cumsum(np.flip(x, 0), 0), 0),
         errors=[lambda: scan.cumsum(tj.constant(1.0), 0)]),
    Case("cumprod", lambda x: tnp.cumprod(x, axis=0), LANES, domain=(-1.5, 1.5),
         numpy=lambda x: np.cumprod(x, axis=0), errors=[lambda: tnp.cumprod(TEXT)]),
    Case("cumprod", lambda x: scan.cumprod(x, x.ndim - 1, True), LANES[:4],
         name="cumprod_reverse", domain=(-1.5, 1.5),
         numpy=lambda x: np.flip(np.cumprod(np.flip(x, -1), -1), -1),
         errors=[lambda: scan.cumprod(tj.constant(BOOLS), 0)]),
    Case("cumprod", lambda x: tnp.cumprod(_second_zeroed(x), axis=-1),
         [((4,),), ((3, 4),)], name="cumprod_through_zero",
         numpy=lambda x: np.cumprod(x * [1.0, 0.0, 1.0, 1.0], axis=-1),
         errors=[lambda: tnp.cumprod(np.ones(3), axis=2)]),
    Case("linear_recurrence", _rec(1, False), [((3, 4), (3, 4)), ((2, 0), (2, 0))],
         domain=(-1.5, 1.5), numpy=lambda a, b: _recurrence(a, b, 1, False),
         errors=[lambda: _rec(0, False)(tj.constant(np.ones(3)), tj.constant(np.ones(4)))]),
    Case("linear_recurrence", _rec(0, True), [((5,), (5,)), ((4, 3), (4, 3))],
         name="linear_recurrence_reverse", domain=(-1.5, 1.5),
         numpy=lambda a, b: _recurrence(a, b, 0, True),
         errors=[lambda: _rec(0, True)(tj.constant(np.ones(3, np.int32)),
                                       tj.constant(np.ones(3, np.int32)))]),
    Case("argsort", lambda x: tnp.argsort(x, axis=-1), LANES, order=0,
         numpy=lambda x: np.argsort(x, axis=-1, kind="stable"),
         errors=[lambda: tnp.argsort(np.ones(3), axis=1)]),
    Case("permute_along_axis", lambda x: tnp.sort(x, axis=0), LANES,
         numpy=lambda x: np.sort(x, axis=0), errors=[lambda: tnp.sort(3.0)]),
    Case("permute_along_axis", lambda x: tnp.sort(x, axis=None), [((3, 4),), ((),)],
         name="sort_flat", numpy=lambda x: np.sort(x, axis=None),
         errors=[lambda: tnp.sort(np.ones(3), kind="bubble")]),
]


def _second_zeroed(x):
    """x with its second column made zero by ops on x (an op-table function captures no
    constant arrays)."""
    return tnp.concatenate([x[..., :1], x[..., 1:2] * 0.0, x[..., 2:]], -1)


def _recurrence(a, b, axis, reverse):
    a, b = np.moveaxis(a, axis, 0), np.moveaxis(b, axis, 0)
    out = np.array(b)
    steps = range(len(b) - 2, -1, -1) if reverse else range(1, len(b))
    for i in steps:
        out[i] = a[i] * out[i + 1 if reverse else i - 1] + b[i]
    return np.moveaxis(out, 0, axis)


def _numpy_cross(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 deprecates 2-vectors
        return np.cross(a, b)


def _c(prim, name, fn, shapes, numpy, error, **kw):
    """A case checking the gradient of a tapejit.numpy composition."""
    return Case(prim, fn, shapes, name=name, numpy=numpy, errors=[error], **kw)


COMPOSITIONS = [
    _c("sin", "tnp_sinc", tnp.sinc, UNARY_SHAPES[:4], np.sinc, lambda: tnp.sinc(TEXT),
       kinks=[((0.0,), (0.0,))]),
    _c("reduce_sum", "tnp_var", lambda x: tnp.var(x, axis=-1, ddof=1), LANES[:3],
       lambda x: np.var(x, axis=-1, ddof=1), lambda: tnp.var(np.ones(3), axis=1)),
    _c("sqrt", "tnp_std", lambda x: tnp.std(x, axis=-1, keepdims=True), LANES[1:3],
       lambda x: np.std(x, axis=-1, keepdims=True), lambda: tnp.std(TEXT)),
    _c("permute_along_axis", "tnp_median", lambda x: tnp.median(x, axis=-1), LANES[:3],
       lambda x: np.median(x, axis=-1), lambda: tnp.median(np.ones(3), axis=1)),
    _c("slice", "tnp_diagonal", lambda x: tnp.diagonal(x, -1, 0, 2), [((3, 2, 4),)],
       lambda x: np.diagonal(x, -1, 0, 2), lambda: tnp.diagonal(np.ones(3))),
    _c("pad", "tnp_diag", lambda x: tnp.diag(x, 1), [((3,),), ((0,),)],
       lambda x: np.diag(x, 1), lambda: tnp.diag(np.ones((2, 2, 2)))),
    _c("concatenate", "tnp_roll", lambda x: tnp.roll(x, (1, -2), (0, 1)), [((3, 4),)],
       lambda x: np.roll(x, (1, -2), (0, 1)), lambda: tnp.roll(np.ones(3), 1, 2)),
    _c("mul", "tnp_kron", tnp.kron, [((2, 3), (3, 2)), ((2,), (2, 2))], np.kron,
       lambda: tnp.kron(TEXT, TEXT)),
    _c("mul", "tnp_cross", lambda a, b: tnp.cross(a, b), [((4, 3), (4, 3)), ((3,), (2,))],
       _numpy_cross, lambda: tnp.cross(np.ones(4), np.ones(4))),
    _c("select", "tnp_copysign", tnp.copysign, [((3, 4), (3, 4))], np.copysign,
       lambda: tnp.copysign(TEXT, TEXT), away_from_zero=True),
    _c("select", "tnp_fmax", lambda x, y: tnp.fmax(x, y) + tnp.fmin(x, y),
       [((3, 1), (1, 4))], lambda x, y: np.fmax(x, y) + np.fmin(x, y),
       lambda: tnp.fmax(np.ones(3), np.ones(4))),
    _c("maximum", "tnp_clip", lambda x: tnp.clip(x, -0.5, 0.7), [((3, 4),)],
       lambda x: np.clip(x, -0.5, 0.7), lambda: tnp.clip(np.ones(3), 0, 1, out=np.ones(3))),
    _c("mul", "tnp_average", lambda x, w: tnp.average(x, axis=1, weights=w + 3.0),
       [((3, 4), (4,))], lambda x, w: np.average(x, axis=1, weights=w + 3.0),
       lambda: tnp.average(np.ones((3, 4)), axis=1, weights=np.ones(3))),
    _c("sub", "tnp_diff", lambda x: tnp.diff(x, 2, axis=0, append=x[:1]), [((4, 3),)],
       lambda x: np.diff(x, 2, axis=0, append=x[:1]), lambda: tnp.diff(np.float64(1.0))),
]

CASES = ELEMENTWISE + SCANS_AND_SORTS + COMPOSITIONS
