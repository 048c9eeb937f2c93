"""Op-table cases of the convolution and window primitives, each against a naive NumPy
loop over output positions (tests/conv_reference.py). Domains are positive so the sums
have no cancellation and the forward check can ask for 1e-12."""

from __future__ import annotations

import numpy as np

import tapejit as tj
from tapejit.primitives.conv import conv_general_dilated
from tapejit.primitives.window import (
    reduce_window_max,
    reduce_window_sum,
    select_and_gather_add,
    select_and_scatter_add,
)
from tests.conv_reference import conv_reference, window_reference
from tests.optable import Case

POSITIVE = (0.5, 2.0)


def _conv(strides, padding, lhs_dil, rhs_dil, groups=1):
    params = (strides, padding, lhs_dil, rhs_dil, groups)
    return (lambda x, w: conv_general_dilated(x, w, *params),
            lambda x, w: conv_reference(x, w, *params))


def _conv_case(name, shapes, *params):
    fn, ref = _conv(*params)
    bad = [lambda: fn(tj.constant(np.ones((1, 4, 4, 3))), tj.constant(np.ones((2, 2, 2, 4))))]
    return Case("conv_general_dilated", fn, shapes, POSITIVE, numpy=ref, name=name, errors=bad)


def _window_case(prim, name, shapes, window, strides, padding):
    op = {"reduce_window_max": reduce_window_max, "reduce_window_sum": reduce_window_sum}[prim]
    reducer = np.max if prim == "reduce_window_max" else np.sum
    fill = -np.inf if prim == "reduce_window_max" else 0.0
    return Case(prim, lambda x: op(x, window, strides, padding), shapes, POSITIVE,
                numpy=lambda x: window_reference(x, window, strides, padding, reducer, fill),
                name=name, errors=[lambda: op(tj.constant(np.ones((3, 3))), (2,), (1,),
                                              ((0, 0),))])


def _gather_reference(window, strides, padding):
    def ref(t, x):
        positions = window_reference(x, window, strides, padding, None, -np.inf, index=True)
        padded_t = np.pad(t, padding)
        return np.array([padded_t[p] for p in positions.reshape(-1)]).reshape(
            positions.shape) if positions.size else np.zeros(positions.shape)
    return ref


def _scatter_reference(window, strides, padding):
    def ref(s, x):
        positions = window_reference(x, window, strides, padding, None, -np.inf, index=True)
        padded = np.zeros(np.pad(x, padding).shape)
        for p, value in zip(positions.reshape(-1), s.reshape(-1)):
            padded[p] += value
        return padded[tuple(slice(lo, lo + n) for (lo, _), n in zip(padding, x.shape))]
    return ref


def _select_case(prim, name, x_shape, window, strides, padding):
    if prim == "select_and_gather_add":
        fn = lambda t, x: select_and_gather_add(t, x, window, strides, padding)
        shapes, ref = [(x_shape, x_shape)], _gather_reference(window, strides, padding)
    else:
        out = window_reference(np.zeros(x_shape), window, strides, padding, np.sum, 0.0).shape
        fn = lambda s, x: select_and_scatter_add(s, x, window, strides, padding)
        shapes, ref = [(out, x_shape)], _scatter_reference(window, strides, padding)
    bad = [lambda: fn(tj.constant(np.ones((2, 2))), tj.constant(np.ones((3, 3))))]
    return Case(prim, fn, shapes, POSITIVE, numpy=ref, name=name, errors=bad)


POOL = ((1, 2, 2, 1), (1, 2, 2, 1), ((0, 0),) * 4)
OVERLAP = ((3, 2), (1, 2), ((1, 1), (0, 1)))

CASES = [
    _conv_case("conv2d_same", [((2, 5, 5, 3), (3, 3, 3, 4)), ((1, 4, 3, 1), (3, 3, 1, 2))],
               (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),
    _conv_case("conv2d_strided_dilated", [((2, 7, 6, 2), (2, 3, 2, 3))],
               (2, 3), ((0, 1), (2, 0)), (1, 1), (2, 1)),
    _conv_case("conv2d_groups_lhs_dilation", [((1, 4, 5, 4), (2, 2, 2, 6))],
               (1, 2), ((1, -1), (0, 2)), (2, 1), (1, 1), 2),
    _conv_case("conv1d_depthwise", [((2, 9, 3), (3, 1, 3))], (2,), ((1, 2),), (1,), (2,), 3),
    _conv_case("conv1d_crop", [((3, 8, 2), (2, 2, 1)), ((0, 8, 2), (2, 2, 1))],
               (3,), ((-1, 0),), (1,), (1,)),
    _window_case("reduce_window_max", "max_pool2d", [((2, 4, 4, 3),), ((1, 5, 3, 2),)],
                 *POOL),
    _window_case("reduce_window_max", "max_window_overlap", [((5, 6),)], *OVERLAP),
    _window_case("reduce_window_sum", "sum_pool2d", [((2, 4, 4, 3),)], *POOL),
    _window_case("reduce_window_sum", "sum_window_overlap", [((5, 6),), ((0, 6),)], *OVERLAP),
    _select_case("select_and_gather_add", "gather_pool", (2, 4, 4, 2), *POOL),
    _select_case("select_and_gather_add", "gather_overlap", (5, 6), *OVERLAP),
    _select_case("select_and_scatter_add", "scatter_pool", (2, 4, 4, 2), *POOL),
    _select_case("select_and_scatter_add", "scatter_overlap", (5, 6), *OVERLAP),
]
