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
    """A while_loop counting halvings of the largest |x| until it is below 0.1; the count
    (an int carry, no tangent) scales x, so reverse mode never differentiates the loop."""
    top = tj.reduce_max(tj.math.abs(x)) if x.shape else tj.math.abs(x)

    def body(state):
        n, v = state
        return n + 1, v * 0.5

    n, _ = while_as(True, lambda state: state[1] >= 0.1, body, (tj.constant(0), top))
    return x * tj.cast(n, x.dtype)


def _np_count_then_scale(x):
    v, n = (np.max(np.abs(x)) if np.ndim(x) else abs(x)), 0
    while v >= 0.1:
        n, v = n + 1, v * 0.5
    return x * n


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
