"""Op-table cases of the higher-order primitives (scan, cond, while_loop), staged even when
called eagerly so that the generic checks run the primitives' own rules: impl against a
NumPy loop, type rule, finite-difference derivatives (scan and cond to order 2), transpose
identity, eager against jit."""

from __future__ import annotations

import numpy as np

import tapejit as tj
from tapejit.lax import scan_as, switch_as, while_as
from tests.optable import Case


def _recurrence(c, w):
    """One step of the scanned function: a nonlinear carry and an output per step."""
    new = tj.math.sin(c) * w + c * 0.5
    return new, c * w


def _np_recurrence(c, w):
    return np.sin(c) * w + c * 0.5, c * w


def _scan(reverse):
    def fn(c, ws):
        carry, ys = scan_as(True, _recurrence, c, ws, None, reverse)
        return carry + tj.reduce_sum(ys, axis=0)

    def numpy(c, ws):
        ys = []
        for w in (ws[::-1] if reverse else ws):
            c, y = _np_recurrence(c, w)
            ys.append(y)
        return c + np.sum(np.array(ys).reshape((len(ws),) + np.shape(c)), axis=0)
    return fn, numpy


def _scan_case(name, reverse):
    fn, numpy = _scan(reverse)
    return Case("scan", fn, [((), (3,)), ((2,), (4, 2)), ((2, 3), (2, 2, 3)), ((2,), (0, 2))],
                numpy=numpy, name=name,
                errors=[lambda: scan_as(True, _recurrence, tj.constant(1.0),
                                        tj.constant(np.ones((3, 2))), 4, False),
                        lambda: scan_as(True, lambda c, x: (tj.cast(c, tj.float64), x),
                                        tj.constant(np.float32(1.0)),
                                        tj.constant(np.ones(3)), None, False)])


def _branches(p, x, y):
    """cond on the sign of p (its derivative in p is zero) between two smooth branches."""
    return switch_as(True, tj.cast(p > 0, tj.int32),
                     [lambda a, b: tj.math.exp(a) - b, lambda a, b: a * b + tj.math.sin(a)],
                     x, y)


def _np_branches(p, x, y):
    return np.where(p > 0, x * y + np.sin(x), np.exp(x) - y)


def _count_then_scale(x):
    """A while_loop counting halvings of the largest |x| until it is below 0.1, while it
    iterates y <- 0.9 sin(y) + 0.2 x from y = x: the trip count depends on x, and reverse
    mode goes through the loop (its carry y and the x it closes over)."""
    top = tj.reduce_max(tj.math.abs(x)) if x.shape else tj.math.abs(x)

    def body(state):
        n, v, y = state
        return n + 1, v * 0.5, tj.math.sin(y) * 0.9 + x * 0.2

    n, _, y = while_as(True, lambda state: state[1] >= 0.1, body, (tj.constant(0), top, x))
    return y * tj.cast(n, x.dtype)


def _np_count_then_scale(x):
    v, n, y = (np.max(np.abs(x)) if np.ndim(x) else abs(x)), 0, x
    while v >= 0.1:
        n, v, y = n + 1, v * 0.5, np.sin(y) * 0.9 + x * 0.2
    return y * n


CASES = [
    _scan_case("scan", False),
    _scan_case("scan_reverse", True),
    Case("cond", _branches, [((), (3,), (3,)), ((), (), ()), ((), (2, 2), (2, 2))],
         numpy=_np_branches, away_from_zero=True,
         errors=[lambda: switch_as(True, 1, [lambda a: a, lambda a: a * np.int32(2)],
                                   tj.constant(np.ones(2, np.int32)) > 0)]),
    Case("while_loop", _count_then_scale, [((),), ((3,),), ((2, 3),)], domain=(0.3, 2.0),
         numpy=_np_count_then_scale,
         errors=[lambda: while_as(True, lambda v: v, lambda v: v, tj.constant(1.0))]),
]


@tj.custom_jvp
def _softclip(x, y):
    """A smooth function whose JVP rule is written by hand (and is right)."""
    return tj.math.tanh(x) * y


@_softclip.defjvp
def _softclip_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    t = tj.math.tanh(x)
    return t * y, (1.0 - t * t) * y * tx + t * ty


@tj.custom_vjp
def _expm1_scaled(x, y):
    return tj.math.expm1(x) * y


def _expm1_scaled_fwd(x, y):
    e = tj.math.exp(x)
    return (e - 1.0) * y, (e, y)


def _expm1_scaled_bwd(res, ct):
    e, y = res
    return ct * e * y, ct * (e - 1.0)


_expm1_scaled.defvjp(_expm1_scaled_fwd, _expm1_scaled_bwd)


def _block(x, y):
    for _ in range(3):
        x = tj.math.sin(x * y) + x
    return x


def _np_block(x, y):
    for _ in range(3):
        x = np.sin(x * y) + x
    return x


def _staged(fn):
    """fn under a recording tape, so the custom equation is bound even when called eagerly."""
    def run(*args):
        with tj.GradientTape():
            return fn(*args)
    return run


_small_block = tj.checkpoint(lambda x, y: x * y + tj.math.exp(x))
_PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (2, 3))]
_BAD_PAIR = [lambda: _staged(_softclip)(tj.constant(np.ones(2)), tj.constant(np.ones(3)))]

CASES += [
    Case("custom_jvp_call", _staged(_softclip), _PAIRS,
         numpy=lambda x, y: np.tanh(x) * y, errors=_BAD_PAIR),
    Case("custom_vjp_call", _staged(_expm1_scaled), _PAIRS, modes=("rev",),
         numpy=lambda x, y: np.expm1(x) * y,
         errors=[lambda: tj.jvp(_expm1_scaled, (tj.constant(1.0), tj.constant(1.0)),
                                (tj.constant(1.0), tj.constant(1.0)))]),
    Case("custom_vjp_lin", _staged(_expm1_scaled), [((3,), (3,))], modes=("rev",),
         name="custom_vjp_lin (the custom_vjp's tangent map, transposed by its gradient)",
         numpy=lambda x, y: np.expm1(x) * y,
         errors=[lambda: tj.jvp(_expm1_scaled, (tj.constant(np.ones(2)),
                                                tj.constant(np.ones(2))),
                                (tj.constant(np.ones(2)), tj.constant(np.ones(2))))]),
    Case("checkpoint", _staged(tj.checkpoint(_block)), _PAIRS, numpy=_np_block,
         errors=[lambda: _staged(tj.checkpoint(_block))(tj.constant(np.ones(2)),
                                                        tj.constant(np.ones(3)))]),
    Case("linear_call", _staged(_small_block), [((3,), (3,))],
         name="linear_call (a checkpoint's tangent map)", numpy=lambda x, y: x * y + np.exp(x),
         errors=[lambda: _staged(_small_block)(tj.constant(np.ones(2)),
                                               tj.constant(np.ones(3)))]),
]


@tj.jit
def _jitted(x, y):
    return tj.math.sin(x) * y + x


CASES += [
    Case("call", _staged(_jitted), _PAIRS, numpy=lambda x, y: np.sin(x) * y + x,
         errors=[lambda: _staged(_jitted)(tj.constant(np.ones(2)), tj.constant(np.ones(3)))]),
]
