"""Op-table cases for contractions: full contractions, no free dims on one or both sides,
several contracted dims, batch dims only, NumPy's N-d dot and einsum (diagonals, sums,
several operands), each checked eagerly, under jit, and differentiated."""

from __future__ import annotations

import numpy as np

import tapejit as tj
import tapejit.numpy as tnp
from tapejit.primitives.linalg import dot_general_p
from tapejit.trace import bind
from tests.optable import Case, Transposed


def _dot(dims):
    return lambda a, b: bind(dot_general_p, a, b, dimension_numbers=dims)


def _dot_error(dims, shape_a, shape_b):
    return [lambda: _dot(dims)(tj.constant(np.ones(shape_a)), tj.constant(np.ones(shape_b)))]


def _einsum(subscripts, shapes, **kw):
    return Case("dot_general" if "," in subscripts else "slice",
                lambda *xs: tnp.einsum(subscripts, *xs), shapes, name=f"einsum {subscripts}",
                numpy=lambda *xs: np.einsum(subscripts, *xs), **kw)


FULL = (((0, 1), (0, 1)), ((), ()))
BATCH_ONLY = (((), ()), ((0, 1), (0, 1)))
BATCH_NO_FREE = (((1,), (1,)), ((0,), (0,)))

CASES = [
    Case("dot_general", lambda a, b: tj.tensordot(a, b, 2),
         [((3, 3), (3, 3)), ((2, 3), (2, 3)), ((0, 3), (0, 3)),
          (Transposed((2, 4)), (2, 4))], name="full_contraction",
         numpy=lambda a, b: np.tensordot(a, b, 2),
         errors=[lambda: tj.tensordot(np.ones((2, 3)), np.ones((3, 2)), 2)]),
    Case("dot_general", lambda a, b: tj.tensordot(a, b, [[0, 1], [1, 0]]),
         [((2, 3), (3, 2))], name="full_contraction_swapped",
         numpy=lambda a, b: np.tensordot(a, b, [[0, 1], [1, 0]]),
         errors=[lambda: tj.tensordot(np.ones((2, 3)), np.ones((2, 3)), [[0, 1], [1, 0]])]),
    Case("dot_general", lambda a, b: tj.tensordot(a, b, 2),
         [((3, 4), (3, 4, 5)), ((2, 3), (2, 3, 0))], name="no_free_dims_left",
         numpy=lambda a, b: np.tensordot(a, b, 2),
         errors=[lambda: tj.tensordot(np.ones((3, 4)), np.ones((4, 3, 5)), 2)]),
    Case("dot_general", lambda a, b: tj.tensordot(a, b, [[1, 2], [0, 1]]),
         [((5, 3, 4), (3, 4)), ((0, 3, 4), (3, 4))], name="no_free_dims_right",
         numpy=lambda a, b: np.tensordot(a, b, [[1, 2], [0, 1]]),
         errors=[lambda: tj.tensordot(np.ones((5, 3, 4)), np.ones((3, 4)), [[1, 2], [0]])]),
    Case("dot_general", lambda a, b: tj.tensordot(a, b, [[2, 1, 0], [0, 2, 3]]),
         [((2, 3, 4), (4, 5, 3, 2))], name="several_contracted_dims",
         numpy=lambda a, b: np.tensordot(a, b, [[2, 1, 0], [0, 2, 3]]),
         errors=[lambda: tj.tensordot(np.ones((2, 3)), np.ones((3, 2)), [[0, 0], [0, 1]])]),
    Case("dot_general", _dot(BATCH_ONLY), [((2, 3), (2, 3)), ((0, 3), (0, 3))],
         name="batch_only", numpy=np.multiply,
         errors=_dot_error(BATCH_ONLY, (2, 3), (3, 2))),
    Case("dot_general", _dot(BATCH_NO_FREE), [((2, 3), (2, 3)), ((2, 0), (2, 0))],
         name="batch_no_free", numpy=lambda a, b: np.einsum("bi,bi->b", a, b),
         errors=_dot_error(BATCH_NO_FREE, (2, 3), (2, 4))),
    Case("dot_general", tnp.dot,
         [((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
          ((), (2, 3)), ((0, 3), (2, 3, 4))], name="numpy_dot_nd", numpy=np.dot,
         errors=[lambda: tnp.dot(np.ones((2, 3)), np.ones((2, 4, 5)))]),
    Case("dot_general", tnp.inner, [((2, 3), (4, 3)), ((3,), (2, 4, 3))], name="numpy_inner",
         numpy=np.inner, errors=[lambda: tnp.inner(np.ones((2, 3)), np.ones((3, 2)))]),
    Case("dot_general", tnp.vdot, [((2, 3), (3, 2)), ((0,), (0, 2))], name="numpy_vdot",
         numpy=np.vdot, errors=[lambda: tnp.vdot(np.ones((2, 3)), np.ones(5))]),
    Case("dot_general", lambda a, b: tnp.tensordot(a, b), [((4, 2, 3), (2, 3, 5))],
         name="numpy_tensordot_default", numpy=np.tensordot,
         errors=[lambda: tnp.tensordot(np.ones((2, 3)), np.ones((3, 2)))]),
    _einsum("ii->i", [((3, 3),), ((0, 0),), (Transposed((3, 3)),)],
            errors=[lambda: tnp.einsum("ii->i", np.ones((2, 3)))]),
    _einsum("iji->j", [((3, 2, 3),)], errors=[lambda: tnp.einsum("iji->ii", np.ones((2, 2, 2)))]),
    _einsum("ij,jk,kl->il", [((2, 3), (3, 4), (4, 2))],
            errors=[lambda: tnp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2)))]),
    _einsum("...ij,...jk", [((2, 3, 4), (4, 2)), ((1, 2, 3), (5, 3, 2))],
            errors=[lambda: tnp.einsum("...ij,...jk", np.ones((2, 3, 4)), np.ones((3, 4, 2)))]),
    _einsum("ijj,ik,k->ij", [((2, 3, 3), (2, 4), (4,))],
            errors=[lambda: tnp.einsum("ijj,ik,k->l", np.ones((2, 3, 3)), np.ones((2, 4)),
                                       np.ones(4))]),
    _einsum("bij,bj->b", [((2, 3, 4), (2, 4)), ((2, 3, 4), (1, 4))],
            errors=[lambda: tnp.einsum("bij,bj->b", np.ones((2, 3, 4)), np.ones((3, 4)))]),
]
