"""The op table: one or more cases per primitive, driving the generic primitive checks.

A case names the primitive it covers, a function applying it (through the user-level op or
`bind`), argument shapes, a sampling domain and how far it can be differentiated. A primitive
with no case fails `test_every_primitive_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tapejit as tj
from tapejit import ops
from tapejit.primitives.convert import convert_element_type_p
from tapejit.primitives.linalg import dot_general_p
from tapejit.trace import bind


@dataclass(frozen=True)
class Transposed:
    """A non-contiguous argument: a (shape[::-1]) array seen transposed."""

    shape: tuple

    def __repr__(self) -> str:
        return f"T{self.shape}"


@dataclass(frozen=True)
class EveryOther:
    """A strided argument: every other element of an n-element array."""

    n: int

    def __repr__(self) -> str:
        return f"S{self.n}"


@dataclass(frozen=True)
class Indices:
    """An integer-index argument of `shape` with values k in [low, high), drawn as the float
    k + 0.5 (k - 0.5 when negative) so that it survives the float casts of the generic checks
    and finite differences never cross an integer: the case recovers k with
    `tj.cast(i, tj.int32)` (truncation), and its derivative in it is zero."""

    shape: tuple
    low: int
    high: int

    def __repr__(self) -> str:
        return f"I{self.shape}[{self.low},{self.high})"


UNARY_SHAPES = [((),), ((1,),), ((5,),), ((3, 4),), ((0, 3),), (Transposed((3, 4)),),
                (EveryOther(1026),)]
BINARY_SHAPES = [((), ()), ((1,), (5,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)),
                 ((2, 3, 4), (2, 1, 4)), ((5,), ()), ((0, 3), (0, 3)),
                 (Transposed((3, 4)), (3, 4)), (EveryOther(1026), EveryOther(1026))]
SPECIAL_VALUES = np.array([0.0, -0.0, 1.0, -1.0, np.pi / 2, 1000.0, -1000.0, np.inf, -np.inf,
                           np.nan])


@dataclass(frozen=True)
class Case:
    prim: str
    fn: Callable
    shapes: list
    domain: tuple[float, float] = (-2.0, 2.0)
    order: int = 2            # 0: not differentiable (checked for zero gradients instead)
    away_from_zero: bool = False
    numpy: Callable | None = None   # reference for the forward value
    name: str = ""
    kinks: list = field(default_factory=list)      # (args, expected gradients) at kinks
    # (args, first derivatives, second derivatives) of reduce_sum(fn) at special points:
    # one gradient per argument, and hessian[i][j] = d grads[i] / d args[j], block by block
    special_points: list = field(default_factory=list)
    errors: list = field(default_factory=list)     # calls that must raise a clear error
    special: bool = False           # compare with numpy at SPECIAL_VALUES (elementwise)
    make: Callable | None = None    # drawn arrays -> the arguments (e.g. made well conditioned)
    modes: tuple = ("fwd", "rev")   # the autodiff modes it supports (custom_vjp: reverse only)

    @property
    def id(self) -> str:
        return self.name or self.prim


BOOLS = np.array([True, False])
TEXT = np.array(["a", "b"])


def _u(prim, fn, domain=(-2.0, 2.0), **kw):
    """A unary elementwise case; its default bad input is a string array."""
    kw.setdefault("special", True)
    kw.setdefault("errors", [lambda: fn(TEXT)])
    return Case(prim, fn, UNARY_SHAPES, domain, **kw)


def _numeric(fn):
    """Bad input for ops defined on numbers but not on booleans."""
    return [lambda: fn(tj.constant(BOOLS))]


def _b(prim, fn, domain=(-2.0, 2.0), shapes=BINARY_SHAPES, **kw):
    kw.setdefault("special", True)
    kw.setdefault("errors", [lambda: fn(tj.constant(np.ones(3)), tj.constant(np.ones(4)))])
    return Case(prim, fn, shapes, domain, **kw)


CASES = [
    _b("add", lambda x, y: x + y, numpy=np.add),
    _b("sub", lambda x, y: x - y, numpy=np.subtract),
    _b("mul", lambda x, y: x * y, numpy=np.multiply),
    _b("div", lambda x, y: x / y, away_from_zero=True, numpy=np.divide),
    _u("neg", lambda x: -x, numpy=np.negative, errors=_numeric(lambda x: -x)),
    _u("square", ops.square, numpy=np.square),
    _u("integer_pow", lambda x: x**3, name="integer_pow_3", numpy=lambda x: x**3,
       errors=_numeric(lambda x: x**3)),
    _u("integer_pow", lambda x: x**2, name="integer_pow_2", numpy=lambda x: x**2,
       errors=_numeric(lambda x: x**2)),
    _u("integer_pow", lambda x: x**-2, name="integer_pow_neg", away_from_zero=True,
       numpy=lambda x: x**-2.0, errors=_numeric(lambda x: x**-2)),
    _u("integer_pow", lambda x: x**0 + x, name="integer_pow_0", numpy=lambda x: 1 + x,
       errors=_numeric(lambda x: x**0)),
    _b("pow", lambda x, y: x**y, domain=(0.5, 2.0), numpy=np.power),
    _u("pow", lambda x: x**1.5, domain=(0.5, 2.0), name="pow_scalar",
       numpy=lambda x: x**1.5, errors=[lambda: ops.pow(TEXT, 1.5)]),
    _u("exp", ops.exp, numpy=np.exp),
    _u("log", ops.log, domain=(0.5, 3.0), numpy=np.log),
    _u("log1p", ops.log1p, domain=(-0.5, 2.0), numpy=np.log1p),
    _u("expm1", ops.expm1, numpy=np.expm1),
    _u("sin", ops.sin, numpy=np.sin),
    _u("cos", ops.cos, numpy=np.cos),
    _u("tan", ops.tan, domain=(-1.0, 1.0), numpy=np.tan),
    _u("tanh", ops.tanh, numpy=np.tanh),
    _u("sqrt", ops.sqrt, domain=(0.5, 3.0), numpy=np.sqrt),
    _u("rsqrt", ops.rsqrt, domain=(0.5, 3.0), numpy=lambda x: 1 / np.sqrt(x)),
    _u("abs", ops.abs, away_from_zero=True, numpy=np.abs, errors=_numeric(ops.abs),
       kinks=[((0.0,), (0.0,))]),
    _u("sign", ops.sign, order=0, away_from_zero=True, numpy=np.sign,
       errors=_numeric(ops.sign)),
    _u("sigmoid", ops.sigmoid, domain=(-6.0, 6.0), numpy=lambda x: 1 / (1 + np.exp(-x))),
    _u("softplus", ops.softplus, domain=(-6.0, 6.0), numpy=lambda x: np.logaddexp(0, x)),
    _b("atan2", ops.atan2, away_from_zero=True, numpy=np.arctan2),
    _b("maximum", ops.maximum, numpy=np.maximum, kinks=[((1.0, 1.0), (0.5, 0.5))]),
    _b("minimum", ops.minimum, numpy=np.minimum, kinks=[((1.0, 1.0), (0.5, 0.5))]),
    _b("gt", lambda x, y: x > y, order=0, numpy=np.greater),
    _b("ge", lambda x, y: x >= y, order=0, numpy=np.greater_equal),
    _b("lt", lambda x, y: x < y, order=0, numpy=np.less),
    _b("le", lambda x, y: x <= y, order=0, numpy=np.less_equal),
    _b("eq", lambda x, y: ops.equal(x, ops.maximum(x, y)), order=0,
       numpy=lambda x, y: x == np.maximum(x, y)),
    _b("ne", lambda x, y: x != y, order=0, numpy=np.not_equal),
    _b("and", lambda x, y: ops.logical_and(x > 0, y > 0), order=0,
       numpy=lambda x, y: (x > 0) & (y > 0)),
    _b("or", lambda x, y: ops.logical_or(x > 0, y > 0), order=0,
       numpy=lambda x, y: (x > 0) | (y > 0)),
    _u("not", lambda x: ops.logical_not(x > 0), order=0, numpy=lambda x: ~(x > 0),
       errors=[lambda: ops.logical_not(TEXT)]),
    Case("select", lambda c, x, y: ops.where(c > 0, x * 2, y * y),
         [((), (), ()), ((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)), ((4,), (), (3, 4)),
          ((0, 3), (0, 3), (0, 3)), (Transposed((3, 4)), (3, 4), EveryOther(8))],
         away_from_zero=True, numpy=lambda c, x, y: np.where(c > 0, x * 2, y * y),
         errors=[lambda: ops.where(np.ones(3) > 0, np.ones(3), np.ones(4))]),
    Case("select", lambda x: tj.nn.relu(x), UNARY_SHAPES, name="relu", special=True,
         numpy=lambda x: np.where(x > 0, x, 0.0), kinks=[((0.0,), (0.0,))],
         errors=[lambda: tj.nn.relu(TEXT)]),
    Case("broadcast_in_dim", lambda x: ops.broadcast_to(x, (2, 3, 4)),
         [((4,),), ((3, 1),), ((),)], numpy=lambda x: np.broadcast_to(x, (2, 3, 4)),
         errors=[lambda: ops.broadcast_to(np.ones(3), (2, 4))]),
    Case("reshape", lambda x: ops.reshape(x, (4, -1)), [((2, 6),), ((3, 4),), ((0, 4),),
                                                        (Transposed((4, 3)),)],
         numpy=lambda x: x.reshape(4, -1), errors=[lambda: ops.reshape(np.ones(6), (4, 2))]),
    Case("transpose", lambda x: ops.transpose(x, (2, 0, 1)), [((2, 3, 4),), ((2, 0, 3),)],
         numpy=lambda x: x.transpose(2, 0, 1),
         errors=[lambda: ops.transpose(np.ones((2, 3, 4)), (0, 0, 1))]),
    Case("squeeze", lambda x: ops.squeeze(x, 1), [((3, 1, 2),)],
         numpy=lambda x: x.squeeze(1), errors=[lambda: ops.squeeze(np.ones((3, 2)), 1)]),
    Case("expand_dims", lambda x: ops.expand_dims(x, -1) * 1.0, [((3, 2),), ((),)],
         numpy=lambda x: np.expand_dims(x, -1),
         errors=[lambda: ops.expand_dims(np.ones(3), 3)]),
    Case("concatenate", lambda x, y: ops.concat([x, y, x], 1), [((2, 3), (2, 1)),
                                                                ((0, 3), (0, 1))],
         numpy=lambda x, y: np.concatenate([x, y, x], 1),
         errors=[lambda: ops.concat([np.ones((2, 3)), np.ones((3, 3))], 1)]),
    Case("slice", lambda x: x[1:, ::2], [((4, 5),), (Transposed((4, 5)),)],
         numpy=lambda x: x[1:, ::2], errors=[lambda: tj.constant(np.ones((4, 5)))[1, 2, 3]]),
    Case("slice", lambda x: x[1::3, 2], [((7, 5),)], name="slice_int",
         numpy=lambda x: x[1::3, 2], errors=[lambda: tj.constant(np.ones((7, 5)))[:, 5]]),
    Case("rev", lambda x: x[::-1, ..., None, ::-2], [((4, 5),)], name="rev_index",
         numpy=lambda x: x[::-1, ..., None, ::-2],
         errors=[lambda: tj.constant(np.ones((4, 5)))[..., ...]]),
    Case("rev", lambda x: ops.reverse(x, 0), [((4, 5),), (EveryOther(1026),)],
         numpy=lambda x: x[::-1], errors=[lambda: ops.reverse(np.ones(3), 1)]),
    Case("pad", lambda x: ops.pad(x, [[1, 2], [0, 3]]), [((2, 3),), ((0, 3),)],
         numpy=lambda x: np.pad(x, [[1, 2], [0, 3]]),
         errors=[lambda: ops.pad(np.ones((2, 3)), [[1, 2]])]),
    Case("reduce_sum", lambda x: ops.reduce_sum(x, 1), [((3, 4),), ((2, 3, 4),), ((0, 3),),
                                                        (Transposed((3, 4)),)],
         numpy=lambda x: x.sum(1), errors=[lambda: ops.reduce_sum(np.ones(3), 1)]),
    Case("reduce_sum", lambda x: ops.reduce_sum(x), [((3, 4),), ((),), (EveryOther(1026),)],
         name="reduce_sum_all", numpy=lambda x: x.sum(),
         errors=[lambda: ops.reduce_sum(TEXT)]),
    Case("reduce_max", lambda x: ops.reduce_max(x, 0), [((3, 4),), ((5,),), ((0, 3),)],
         numpy=lambda x: x.max(0, initial=-np.inf),
         errors=[lambda: ops.reduce_max(np.ones(3), (0, 0))]),
    Case("reduce_min", lambda x: ops.reduce_min(x, (0, 2)), [((2, 3, 4),)],
         numpy=lambda x: x.min((0, 2)), errors=[lambda: ops.reduce_min(np.ones(3), -2)]),
    Case("dot_general", lambda a, b: a @ b,
         [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (2, 4, 5)),
          ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 5)), ((4,), (4,)), ((0, 4), (4, 2)),
          (Transposed((3, 4)), Transposed((4, 2)))], name="matmul",
         numpy=np.matmul, errors=[lambda: ops.matmul(np.ones((3, 4)), np.ones((5, 6)))]),
    Case("dot_general", lambda a, b: bind(dot_general_p, a, b,
                                          dimension_numbers=(((0, 3), (2, 0)), ((2,), (1,)))),
         [((3, 2, 4, 5), (5, 4, 3, 2))], name="dot_general_batch_middle",
         numpy=lambda a, b: np.einsum("cbzd,dzcr->zbr", a, b),
         errors=[lambda: bind(dot_general_p, tj.constant(np.ones((3, 2))),
                              tj.constant(np.ones((4, 2))),
                              dimension_numbers=(((0,), (0,)), ((), ())))]),
    Case("dot_general", lambda a, b: ops.tensordot(a, b, ((1, 2), (0, 1))),
         [((2, 3, 4), (3, 4, 5))], name="tensordot",
         numpy=lambda a, b: np.tensordot(a, b, ((1, 2), (0, 1))),
         errors=[lambda: ops.tensordot(np.ones((2, 3)), np.ones((4, 5)), 1)]),
    Case("convert_element_type",
         lambda x: bind(convert_element_type_p, x, new_dtype=np.dtype(np.float64)),
         UNARY_SHAPES, numpy=lambda x: x, errors=[lambda: tj.cast(np.ones(2), "complex64")]),
    Case("stop_gradient", lambda x: ops.stop_gradient(x) * x, UNARY_SHAPES,
         order=0, name="stop_gradient", numpy=lambda x: x * x,
         errors=[lambda: ops.stop_gradient("text")]),
]


def _extensions() -> list[Case]:
    """Cases kept beside this file in optable_<area>.py modules (each defines CASES)."""
    import importlib
    import pkgutil
    from pathlib import Path

    found = []
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("optable_"):
            found += importlib.import_module(f"tests.{module.name}").CASES
    return found


CASES += _extensions()


def _draw(case: Case, shape, rng) -> np.ndarray:
    lo, hi = case.domain
    x = rng.uniform(lo, hi, size=shape)
    if case.away_from_zero:
        x = np.where(np.abs(x) < 0.3, np.sign(x + 1e-9) * 0.5, x)
    return np.asarray(x, np.float64)


def sample(case: Case, shapes, rng) -> list[np.ndarray]:
    """Arguments for one shape spec: plain, transposed (non-contiguous), strided or integer
    indices."""
    out = []
    for spec in shapes:
        if isinstance(spec, Transposed):
            out.append(_draw(case, spec.shape[::-1], rng).T)
        elif isinstance(spec, EveryOther):
            out.append(_draw(case, (spec.n,), rng)[::2])
        elif isinstance(spec, Indices):
            k = rng.integers(spec.low, spec.high, size=spec.shape)
            out.append(np.asarray(k + np.where(k < 0, -0.5, 0.5), np.float64))
        else:
            out.append(_draw(case, spec, rng))
    return list(case.make(*out)) if case.make else out


def one_per_primitive(params):
    """The first op-table case of each primitive: the checks that compile a kernel
    per case run on these, so the suite's Numba time stays bounded (the eager checks take
    every case)."""
    seen, kept = set(), []
    for p in params:
        if p.values[0].prim not in seen:
            seen.add(p.values[0].prim)
            kept.append(p)
    return kept


def covered_primitives() -> set[str]:
    return {c.prim for c in CASES}


__all__ = ["CASES", "Case", "Indices", "covered_primitives", "one_per_primitive", "sample",
           "tj"]
