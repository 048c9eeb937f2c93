"""Special points of every primitive's derivatives: zeros, ties, kinks, infinities, overflow.

Each point gives the value (checked against NumPy), the first derivatives and the second
derivatives, which `test_second_derivatives_at_special_points` checks every way (reverse and
forward over reverse and forward), eagerly and under jit. Conventions, where a derivative is
one: ties of maximum/minimum/reduce_max split ½/½ (0.5 each, as JAX); abs'(0) = 0 and
relu'(0) = 0; x**0 is the constant 1, also at x = 0; pow's exponent derivative is 0 at x <= 0;
logaddexp's derivative is 0 where both operands are the same infinity (its result does not
move). Elsewhere the expected values are the mathematical limits (sqrt'(0) = inf).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

import tapejit as tj
import tapejit.numpy as tnp
from tapejit import ops
from tests.optable import BINARY_SHAPES, TEXT, Case

INF = np.inf
LN2 = np.log(2.0)
SCALAR, PAIR = [((),)], [((), ())]
MISMATCHED = (np.ones(3), np.ones(4))


def _at(x, d1, d2):
    """A special point of a function of one argument: its first and second derivative."""
    return ((x,), (d1,), ((d2,),))


def _zeros(*shapes):
    """The zero second derivatives of a function of arguments of these shapes."""
    return tuple(tuple(np.zeros(a + b) for b in shapes) for a in shapes)


def _tie(value, curvature):
    """A tie of a smooth two-argument maximum (logaddexp): ½/½, and curvature ±c."""
    return ((value, value), (0.5, 0.5), ((curvature, -curvature), (-curvature, curvature)))


def _unary(name, prim, fn, points, *, numpy, domain=(-2.0, 2.0), bad=None, shapes=SCALAR,
           **kw):
    errors = [bad or (lambda: fn(TEXT))]
    return Case(prim, fn, shapes, domain, numpy=numpy, name=name, special_points=points,
                errors=errors, **kw)


def _binary(name, prim, fn, points, *, numpy, domain=(-2.0, 2.0), shapes=PAIR, **kw):
    errors = [lambda: fn(*map(tj.constant, MISMATCHED))]
    return Case(prim, fn, shapes, domain, numpy=numpy, name=name, special_points=points,
                errors=errors, **kw)


def _power(c):
    return lambda x: x ** c


POW = [
    _unary("pow_0_at_0", "pow", _power(0.0), [_at(0.0, 0.0, 0.0), _at(-2.0, 0.0, 0.0),
                                              _at(INF, 0.0, 0.0)],
           numpy=_power(0.0), bad=lambda: ops.pow(TEXT, 0.0)),
    _unary("pow_1_at_0", "pow", _power(1.0), [_at(0.0, 1.0, 0.0), _at(-2.0, 1.0, 0.0),
                                              _at(INF, 1.0, 0.0)],
           numpy=_power(1.0), bad=lambda: ops.pow(TEXT, 1.0)),
    _unary("pow_2_at_0", "pow", _power(2.0), [_at(0.0, 0.0, 2.0), _at(-3.0, -6.0, 2.0),
                                              _at(INF, INF, 2.0)],
           numpy=_power(2.0), bad=lambda: ops.pow(TEXT, 2.0)),
    _unary("pow_half_at_0", "pow", _power(0.5), [_at(0.0, INF, -INF), _at(INF, 0.0, 0.0)],
           domain=(0.5, 2.0), numpy=_power(0.5), bad=lambda: ops.pow(TEXT, 0.5)),
    _unary("pow_neg_at_0", "pow", _power(-1.0), [_at(0.0, -INF, INF)], domain=(0.5, 2.0),
           numpy=_power(-1.0), bad=lambda: ops.pow(TEXT, -1.0)),
    _unary("pow_of_0", "pow", lambda y: 0.0 ** y, [_at(2.0, 0.0, 0.0), _at(0.0, 0.0, 0.0),
                                                  _at(-1.0, 0.0, 0.0)],
           domain=(0.5, 2.0), numpy=lambda y: 0.0 ** y, bad=lambda: ops.pow(0.0, TEXT)),
    _unary("pow_of_2", "pow", lambda y: 2.0 ** y, [_at(-INF, 0.0, 0.0), _at(2000.0, INF, INF)],
           numpy=lambda y: 2.0 ** y, bad=lambda: ops.pow(2.0, TEXT)),
    _binary("pow_special", "pow", lambda x, y: x ** y,
            [((0.0, 0.0), (0.0, 0.0), _zeros((), ())),
             ((1.0, 0.0), (0.0, 0.0), ((0.0, 1.0), (1.0, 0.0))),
             ((2.0, 0.0), (0.0, LN2), ((0.0, 0.5), (0.5, LN2 * LN2))),
             ((0.0, 2.0), (0.0, 0.0), ((2.0, 0.0), (0.0, 0.0))),
             ((0.0, 3.0), (0.0, 0.0), _zeros((), ()))],
            domain=(0.5, 2.0), numpy=np.power),
]

INTEGER_POW = [
    _unary(f"integer_pow_{n}_at_0", "integer_pow", _power(n), points, numpy=_power(float(n)),
           away_from_zero=n < 0, bad=lambda n=n: ops.pow(TEXT, n))
    for n, points in [(0, [_at(0.0, 0.0, 0.0)]),
                      (1, [_at(0.0, 1.0, 0.0)]),
                      (2, [_at(0.0, 0.0, 2.0), _at(INF, INF, 2.0)]),
                      (3, [_at(0.0, 0.0, 0.0), _at(1e200, INF, 6e200), _at(INF, INF, INF)]),
                      (-1, [_at(0.0, -INF, INF), _at(INF, 0.0, 0.0)]),
                      (-2, [_at(0.0, -INF, INF)])]
]

ELEMENTWISE = [
    _unary("square_special", "square", ops.square, [_at(0.0, 0.0, 2.0), _at(INF, INF, 2.0)],
           numpy=np.square),
    _unary("exp_special", "exp", ops.exp, [_at(1000.0, INF, INF), _at(-1000.0, 0.0, 0.0),
                                           _at(-INF, 0.0, 0.0)], numpy=np.exp),
    _unary("expm1_special", "expm1", ops.expm1, [_at(1000.0, INF, INF), _at(-INF, 0.0, 0.0)],
           numpy=np.expm1),
    _unary("log_special", "log", ops.log, [_at(0.0, INF, -INF), _at(INF, 0.0, 0.0)],
           domain=(0.5, 3.0), numpy=np.log),
    _unary("log1p_special", "log1p", ops.log1p, [_at(-1.0, INF, -INF), _at(INF, 0.0, 0.0)],
           domain=(-0.5, 2.0), numpy=np.log1p),
    _unary("sqrt_special", "sqrt", ops.sqrt, [_at(0.0, INF, -INF), _at(INF, 0.0, 0.0)],
           domain=(0.5, 3.0), numpy=np.sqrt),
    _unary("rsqrt_special", "rsqrt", ops.rsqrt, [_at(0.0, -INF, INF), _at(INF, 0.0, 0.0)],
           domain=(0.5, 3.0), numpy=lambda x: 1 / np.sqrt(x)),
    _unary("tanh_special", "tanh", ops.tanh,
           [_at(0.0, 1.0, 0.0)] + [_at(x, 0.0, 0.0) for x in (1000.0, -1000.0, INF, -INF)],
           numpy=np.tanh),
    _unary("sigmoid_special", "sigmoid", ops.sigmoid,
           [_at(0.0, 0.25, 0.0)] + [_at(x, 0.0, 0.0) for x in (1000.0, -1000.0, INF, -INF)],
           numpy=lambda x: 1 / (1 + np.exp(-x))),
    _unary("softplus_special", "softplus", ops.softplus,
           [_at(0.0, 0.5, 0.25), _at(1000.0, 1.0, 0.0), _at(-1000.0, 0.0, 0.0),
            _at(INF, 1.0, 0.0), _at(-INF, 0.0, 0.0)],
           numpy=lambda x: np.logaddexp(0, x)),
    _unary("abs_special", "abs", ops.abs, [_at(0.0, 0.0, 0.0), _at(INF, 1.0, 0.0),
                                           _at(-INF, -1.0, 0.0)], numpy=np.abs),
    _unary("sign_special", "sign", ops.sign, [_at(0.0, 0.0, 0.0), _at(-INF, 0.0, 0.0)],
           order=0, numpy=np.sign),
    _unary("relu_special", "select", tj.nn.relu, [_at(0.0, 0.0, 0.0), _at(INF, 1.0, 0.0),
                                                  _at(-INF, 0.0, 0.0)],
           numpy=lambda x: np.where(x > 0, x, 0.0)),
    _binary("div_special", "div", lambda x, y: x / y,
            [((1.0, 0.0), (INF, -INF), ((0.0, -INF), (-INF, INF))),
             ((INF, 1.0), (1.0, -INF), ((0.0, -1.0), (-1.0, INF))),
             ((1.0, INF), (0.0, 0.0), _zeros((), ()))],
            away_from_zero=True, numpy=np.divide),
    _binary("atan2_special", "atan2", ops.atan2,
            [((1.0, 0.0), (0.0, -1.0), ((0.0, 1.0), (1.0, 0.0))),
             ((0.0, -1.0), (-1.0, 0.0), ((0.0, -1.0), (-1.0, 0.0)))],
            away_from_zero=True, numpy=np.arctan2),
]


def _chooser_ties(grads):
    return [((x, y), g, _zeros((), ())) for (x, y), g in grads]


CHOOSERS = [
    _binary(f"{name}_ties", name, fn,
            _chooser_ties([((1.0, 1.0), (0.5, 0.5)), ((0.0, -0.0), (0.5, 0.5)),
                           ((INF, INF), (0.5, 0.5)), ((-INF, -INF), (0.5, 0.5))]),
            numpy=reference)
    for name, fn, reference in [("maximum", ops.maximum, np.maximum),
                                ("minimum", ops.minimum, np.minimum)]
] + [
    _unary("reduce_max_ties", "reduce_max", lambda x: ops.reduce_max(x, 0),
           [(([1.0, 1.0, 0.0],), ([0.5, 0.5, 0.0],), _zeros((3,))),
            (([-INF, -INF, -INF],), ([1 / 3] * 3,), _zeros((3,))),
            (([INF, 1.0, INF],), ([0.5, 0.0, 0.5],), _zeros((3,)))],
           numpy=lambda x: x.max(0, initial=-np.inf), shapes=[((5,),)],
           bad=lambda: ops.reduce_max(np.ones(3), (0, 0))),
    _unary("reduce_min_ties", "reduce_min", lambda x: ops.reduce_min(x, 0),
           [(([1.0, 1.0, 2.0],), ([0.5, 0.5, 0.0],), _zeros((3,))),
            (([-INF, -INF, 3.0],), ([0.5, 0.5, 0.0],), _zeros((3,)))],
           numpy=lambda x: x.min(0, initial=np.inf), shapes=[((5,),)],
           bad=lambda: ops.reduce_min(np.ones(3), -2)),
    Case("select", lambda c, x, y: ops.where(c > 0, x * 2, y * y), [((), (), ())],
         name="select_at_boundary", numpy=lambda c, x, y: np.where(c > 0, x * 2, y * y),
         special_points=[((0.0, 1.0, 3.0), (0.0, 0.0, 6.0),
                          ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 2.0)))],
         errors=[lambda: ops.where(np.ones(3) > 0, np.ones(3), np.ones(4))]),
]

LOGADDEXP = [
    _binary("logaddexp", "logaddexp", tnp.logaddexp,
            [_tie(0.4, 0.25), _tie(0.0, 0.25), _tie(-1000.0, 0.25),
             ((1000.0, 0.0), (1.0, 0.0), _zeros((), ())),
             ((-INF, 0.0), (0.0, 1.0), _zeros((), ())),
             ((INF, 0.0), (1.0, 0.0), _zeros((), ())),
             ((INF, -INF), (1.0, 0.0), _zeros((), ())),
             ((-INF, -INF), (0.0, 0.0), _zeros((), ())),
             ((INF, INF), (0.0, 0.0), _zeros((), ()))],
            shapes=BINARY_SHAPES, numpy=np.logaddexp, special=True),
    _binary("logaddexp2", "logaddexp", tnp.logaddexp2,
            [_tie(3.0, LN2 / 4), ((-INF, 1.0), (0.0, 1.0), _zeros((), ())),
             ((-INF, -INF), (0.0, 0.0), _zeros((), ()))],
            numpy=np.logaddexp2, special=True),
    # a composite (its shift is a stop_gradient reduce_max), checked like the primitives
    _unary("reduce_logsumexp", "reduce_max", lambda x: tj.math.reduce_logsumexp(x, 0),
           [(([0.4, 0.4],), ([0.5, 0.5],), ((np.array([[0.25, -0.25], [-0.25, 0.25]]),),)),
            (([1000.0, 1000.0],), ([0.5, 0.5],), ((np.array([[0.25, -0.25], [-0.25, 0.25]]),),)),
            (([0.0, -INF],), ([1.0, 0.0],), _zeros((2,))),
            (([-INF, -INF],), ([0.0, 0.0],), _zeros((2,)))],
           numpy=lambda x: logsumexp(x, 0), shapes=[((3,),), ((2, 3),)],
           bad=lambda: tj.math.reduce_logsumexp(TEXT)),
]

CASES = POW + INTEGER_POW + ELEMENTWISE + CHOOSERS + LOGADDEXP
