"""Op-table cases of the indexing primitives: gather (x[idx], tj.gather, gather_nd, take,
take_along_axis), the scatters (at(x)[...], scatter_nd, segment sums, put_along_axis), the
dynamic slices and argmax/argmin. Integer operands are `Indices` arguments, which a case
truncates back to integers with `ix`."""

import numpy as np

import tapejit as tj
import tapejit.numpy as tnp
from tapejit import ops
from tapejit.primitives.indexing import gather_p
from tapejit.trace import bind
from tests.optable import Case, Indices, Transposed


def ix(i):
    return tj.cast(i, tj.int32)


def at(x):
    """x.at for a tensor or an array (the generic checks pass NumPy arrays)."""
    return tj.convert_to_tensor(x).at


def _k(i) -> np.ndarray:
    return np.asarray(i).astype(np.int64)


def _wrapped(i, n: int) -> np.ndarray:
    k = _k(i)
    return np.where(k < 0, k + n, k)


def _updated(x, rows, u, combine, drop=False):
    """x with each row of `rows` (indices into axis 0, in order) combined with u[j]."""
    out = np.array(x, copy=True)
    for j, r in enumerate(_wrapped(rows, len(x)).reshape(-1)):
        if 0 <= r < len(x):
            out[r] = combine(out[r], np.reshape(u, (-1,) + np.shape(x)[1:])[j])
        elif not drop:
            raise IndexError(r)
    return out


def _gather_drop(x, i):
    k = _k(i)
    inside = np.all((k >= 0) & (k < np.array(x.shape[:2])), axis=-1)
    picked = x[np.where(inside, k[..., 0], 0), np.where(inside, k[..., 1], 0)]
    return np.where(inside[..., None], picked, 0.0)


def _segment_sums(d, s, count):
    k, out = _k(s), np.zeros((count,) + d.shape[1:])
    np.add.at(out, k[k >= 0], d[k >= 0])
    return out


def _starts(s, size, n):
    return int(np.clip(_k(s), 0, n - size))


ONES = lambda *shape: tj.constant(np.ones(shape))
_replace = lambda old, new: new

CASES = [
    Case("gather", lambda x, i: tj.convert_to_tensor(x)[ix(i)], [
        ((5, 3), Indices((4,), -5, 5)), ((6,), Indices((2, 3), -6, 6)),
        ((4, 0), Indices((3,), 0, 4)), ((4, 2), Indices((0,), 0, 4)),
        (Transposed((3, 4)), Indices((5,), 0, 3))], name="getitem_array",
        numpy=lambda x, i: x[_k(i)], errors=[lambda: ONES(3)[[3]]]),
    Case("gather", lambda x, i, j: tj.convert_to_tensor(x)[ix(i), 1:, ix(j)],
         [((4, 3, 5), Indices((2,), -4, 4), Indices((3, 1), -5, 5))], name="getitem_mixed",
         numpy=lambda x, i, j: x[_k(i), 1:, _k(j)], errors=[lambda: ONES(2, 3)[[0], [3]]]),
    Case("gather", lambda p, i: tj.gather(p, ix(i), axis=-1), [((3, 4), Indices((2, 2), 0, 4))],
         name="tf_gather_axis", numpy=lambda p, i: np.take(p, _k(i), axis=-1),
         errors=[lambda: tj.gather(np.ones((2, 3)), [-1], axis=1)]),
    Case("gather", lambda p, i: tj.gather_nd(p, ix(i)), [((3, 4, 2), Indices((5, 2), 0, 3))],
         name="gather_nd", numpy=lambda p, i: p[_k(i)[:, 0], _k(i)[:, 1]],
         errors=[lambda: tj.gather_nd(np.ones((2, 3)), [[2, 0]])]),
    Case("gather", lambda a, i: tnp.take_along_axis(a, ix(i), axis=0),
         [((5,), Indices((7,), -5, 5)), ((4,), Indices((0,), 0, 4))], name="take_along_axis",
         numpy=lambda a, i: np.take_along_axis(a, _k(i), 0),
         errors=[lambda: tnp.take_along_axis(np.ones((3, 4)), np.array([[5]]), 1)]),
    Case("gather", lambda a, i: tnp.take(a, ix(i), axis=0, mode="wrap"),
         [((4, 2), Indices((5,), -9, 9))], name="take_wrap",
         numpy=lambda a, i: np.take(a, _k(i), axis=0, mode="wrap"),
         errors=[lambda: tnp.take(np.ones(3), [5])]),
    Case("gather", lambda x, i: at(x)[ix(i)].get(mode="clip"), [((5,), Indices((6,), -8, 8))],
         name="at_get_clip", numpy=lambda x, i: x[np.clip(_wrapped(i, 5), 0, 4)],
         errors=[lambda: ONES(3).at[[0]].get(mode="fill")]),
    Case("gather", lambda x, i: bind(gather_p, x, ix(i), axes=(0, 1), mode="drop"),
         [((4, 3, 2), Indices((5, 2), -2, 5))], name="gather_drop", numpy=_gather_drop,
         errors=[lambda: bind(gather_p, ONES(3), np.zeros((2, 2), np.int32), axes=(0,),
                              mode="drop")]),
    Case("scatter_add", lambda x, i, u: at(x)[ix(i)].add(u),
         [((5, 3), Indices((7,), -5, 5), (7, 3)), ((4,), Indices((2, 3), 0, 4), (2, 3))],
         name="at_add", numpy=lambda x, i, u: _updated(x, i, u, np.add),
         errors=[lambda: ONES(3).at[[3]].add(1.0)]),
    Case("scatter_add", lambda x, i, u: at(x)[ix(i)].add(u, mode="drop"),
         [((5,), Indices((8,), -8, 8), (8,))], name="at_add_drop",
         numpy=lambda x, i, u: _updated(x, i, u, np.add, drop=True),
         errors=[lambda: ONES(3).at[[0]].add(1.0, mode="wrap")]),
    Case("scatter_add", lambda i, u: tj.scatter_nd(ix(i), u, (4, 3)),
         [(Indices((5, 1), 0, 4), (5, 3))], name="scatter_nd",
         numpy=lambda i, u: _updated(np.zeros((4, 3)), _k(i)[:, 0], u, np.add),
         errors=[lambda: tj.scatter_nd([[4]], [1.0], (4,))]),
    Case("scatter_add", lambda d, s: tj.math.unsorted_segment_sum(d, ix(s), 4),
         [((6, 2), Indices((6,), -1, 4))], name="unsorted_segment_sum",
         numpy=lambda d, s: _segment_sums(d, s, 4),
         errors=[lambda: tj.math.unsorted_segment_sum(np.ones(3), [0, 5, 1], 3)]),
    Case("scatter", lambda x, i, u: at(x)[ix(i)].set(u), [((5, 3), Indices((7,), -5, 5), (7, 3))],
         name="at_set", numpy=lambda x, i, u: _updated(x, i, u, _replace),
         errors=[lambda: ONES(2, 2).at[[0, 1]].set(np.ones(3))]),
    Case("scatter", lambda x, i, u: at(x)[:, ix(i)].set(u),
         [((2, 5), Indices((3, 2), -5, 5), (2, 3, 2))], name="at_set_columns",
         numpy=lambda x, i, u: _updated(x.T, _k(i), np.moveaxis(u, 0, -1), _replace).T,
         errors=[lambda: ONES(2, 2).at[1:, 5].set(1.0)]),
    Case("scatter", lambda a, i, v: tnp.put_along_axis(a, ix(i), v, axis=0),
         [((5,), Indices((7,), -5, 5), (7,))], name="put_along_axis",
         numpy=lambda a, i, v: _updated(a, i, v, _replace),
         errors=[lambda: tnp.put_along_axis(np.ones((2, 2)), np.ones((2, 2)), 1.0, 1)]),
    Case("scatter_mul", lambda x, i, u: at(x)[ix(i)].multiply(u),
         [((5, 2), Indices((6,), -5, 5), (6, 2))], name="at_multiply",
         numpy=lambda x, i, u: _updated(x, i, u, np.multiply),
         errors=[lambda: tj.constant([True]).at[[0]].multiply(True)]),
    Case("scatter_min", lambda x, i, u: at(x)[ix(i)].min(u),
         [((6,), Indices((8,), 0, 6), (8,)), ((4, 2), Indices((3,), -4, 4), (3, 2))],
         name="at_min", numpy=lambda x, i, u: _updated(x, i, u, np.minimum),
         errors=[lambda: ONES(3).at[[5]].min(1.0)]),
    Case("scatter_max", lambda x, i, u: at(x)[ix(i)].max(u),
         [((6,), Indices((8,), 0, 6), (8,)), ((4, 2), Indices((3,), -4, 4), (3, 2))],
         name="at_max", numpy=lambda x, i, u: _updated(x, i, u, np.maximum),
         errors=[lambda: ONES(3).at[[0, 1]].max(np.ones(4))]),
    Case("dynamic_slice", lambda x, s: ops.dynamic_slice(x, (ix(s), 1), (2, 3)),
         [((5, 4), Indices((), -2, 6))],
         numpy=lambda x, s: x[_starts(s, 2, 5):_starts(s, 2, 5) + 2, 1:4],
         errors=[lambda: ops.dynamic_slice(np.ones((2, 2)), (0,), (1, 1))]),
    Case("dynamic_update_slice", lambda x, u, s: ops.dynamic_update_slice(x, u, (ix(s), 2)),
         [((5, 4), (2, 3), Indices((), -2, 6))], numpy=lambda x, u, s: _written(x, u, s),
         errors=[lambda: ops.dynamic_update_slice(np.ones(2), np.ones(3), (0,))]),
    Case("argmax", lambda x: tj.argmax(x), [((3, 4),), ((5,),), (Transposed((3, 4)),)],
         order=0, numpy=lambda x: np.argmax(x, 0),
         errors=[lambda: tj.argmax(np.zeros((0, 2)))]),
    Case("argmax", lambda x: tnp.argmax(x, axis=-1, keepdims=True), [((3, 4),), ((2, 3, 1),)],
         order=0, name="tnp_argmax", numpy=lambda x: np.argmax(x, -1, keepdims=True),
         errors=[lambda: tnp.argmax(np.zeros(0))]),
    Case("argmin", lambda x: tnp.argmin(x), [((3, 4),), ((1,),), ((2, 3, 2),)], order=0,
         numpy=np.argmin, errors=[lambda: tnp.argmin(np.zeros((2, 0)), axis=1)]),
]


def _written(x, u, s):
    out = np.array(x, copy=True)
    start = _starts(s, 2, 5)
    out[start:start + 2, 1:4] = u
    return out
