"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy: index helpers and
selection (np.tril_indices, np.select, np.insert, ...) and NumPy 2's array-API names.

Index helpers are checked as users use them too: indexing an array with them, which under
jit is a traced tensor indexed by the helper's tensors. Partitions are compared by what
NumPy guarantees: the k-th element, and the sorted elements before and after it."""

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, I32, NUMERIC, Entry
from tests.optable import Transposed

NO_BOOL = NUMERIC
INDEX = (I32,)


def _both(name, call, shapes, dtypes=ALL, **kw):
    """An entry calling the same code with tnp and with np as the namespace (keyword
    arguments from the entry's kwargs passed on)."""
    return Entry(name, lambda *a, **k: call(tnp, *a, **k), lambda *a, **k: call(np, *a, **k),
                 shapes, dtypes, **kw)


def _indexed(helper):
    """a indexed by helper(m, a), for NumPy's and tapejit's helper alike."""
    return lambda m, a: m.asarray(a)[helper(m, a)]


INDEX_HELPERS = [
    _both("tril_indices", lambda m, a: m.tril_indices(4, -1, 5), [((),)], INDEX),
    _both("tril_indices_take", _indexed(lambda m, a: m.tril_indices(3, 1, 4)), [((3, 4),)]),
    _both("triu_indices", lambda m, a: m.triu_indices(3), [((),)], INDEX),
    _both("triu_indices_take", _indexed(lambda m, a: m.triu_indices(4, -1, 3)), [((4, 3),)]),
    _both("tril_indices_from", _indexed(lambda m, a: m.tril_indices_from(a, 1)),
          [((3, 4),), ((4, 2),), (Transposed((3, 4)),)]),
    _both("triu_indices_from", _indexed(lambda m, a: m.triu_indices_from(a, -1)),
          [((3, 4),), ((0, 2),)]),
    _both("diag_indices", lambda m, a: m.diag_indices(4), [((),)], INDEX),
    _both("diag_indices_take", _indexed(lambda m, a: m.diag_indices(3, 3)), [((3, 3, 3),)]),
    _both("diag_indices_from", _indexed(lambda m, a: m.diag_indices_from(a)),
          [((3, 3),), ((2, 2, 2),)]),
    _both("indices", lambda m, a: m.indices(a.shape), [((2, 3),), ((),), ((0, 2),)], INDEX),
    _both("indices_dtype", lambda m, a: m.indices((2, 3, 2), dtype=a.dtype), [((),)],
          NUMERIC),
    _both("indices_sparse", lambda m, a: m.indices((3, 2), sparse=True), [((),)], INDEX),
    _both("indices_take", _indexed(lambda m, a: tuple(m.indices(a.shape, sparse=True))),
          [((2, 3),)]),
    _both("ix_", lambda m, a: m.asarray(a)[m.ix_([0, 2], np.array([True, False, True, True]))],
          [((3, 4),), (Transposed((3, 4)),)]),
    _both("ix__traced", lambda m, a, i: m.asarray(a)[m.ix_(i, i)],
          [((3, 3), (2,)), ((4, 4), (5,))], INDEX, domain=(0.0, 2.0)),
    _both("unravel_index", lambda m, i, **kw: m.unravel_index(i, (3, 4), **kw),
          [((5,),), ((2, 3),), ((),)], INDEX, kwargs=[{}, dict(order="F")],
          domain=(0.0, 11.0)),
    _both("ravel_multi_index", lambda m, i, j, **kw: m.ravel_multi_index((i, j), (4, 5), **kw),
          [((5,), (5,)), ((3, 1), (4,)), ((), ())], INDEX, kwargs=[{}, dict(order="F")],
          domain=(0.0, 3.0)),
    *[_both(f"ravel_multi_index_{name}", lambda m, i, j, mode=mode:
            m.ravel_multi_index((i, j), (3, 4), mode=mode), [((6,), (6,)), ((2, 1), (3,))],
            INDEX, domain=(-9.0, 9.0))
      for name, mode in (("wrap", "wrap"), ("clip", "clip"), ("modes", ("clip", "wrap")))],
]


def _choices(m, a, b):
    return m.choose(m.astype(a > 0, np.int8) + m.astype(b > 1, np.int8), [a, b, a - b])


SELECTION = [
    _both("select", lambda m, c, a, b: m.select([c > 0, c < -1], [a, b],
                                                default=a.dtype.type(1)),
          [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), ()), ((5,), (5,), (5,))], ALL,
          special=True),
    _both("select_weak_default", lambda m, c, a: m.select([c > 0], [a], 2), [((3, 4), (4,))],
          NUMERIC),
    _both("piecewise", lambda m, x: m.piecewise(x, [x < -1, x > 1], [lambda v: v * 2,
                                                                     lambda v: v - 1, 0.5]),
          [((3, 4),), ((5,),), ((),)], NO_BOOL, special=True),
    _both("piecewise_one", lambda m, x: m.piecewise(x, x > 0, [lambda v: v * v, lambda v: -v]),
          [((5,),), ((),)], NO_BOOL),
    _both("piecewise_args", lambda m, x: m.piecewise(x, [x > 0, x < 0],
                                                     [lambda v, s, t=0: v * s + t, 7], 3, t=1),
          [((6,),)], NO_BOOL),
    _both("piecewise_rows", lambda m, x: m.piecewise(x, [x[:, 0] > 0], [lambda v: v + 1]),
          [((4, 3),)], NO_BOOL),
    _both("choose", _choices, [((3, 4), (3, 4)), ((3, 1), (4,)), ((), ())], NO_BOOL),
    *[_both(f"choose_{mode}", lambda m, a, b, mode=mode:
            m.choose(m.astype(a, np.int32), [b, b * 2, 5], mode=mode),
            [((3, 4), (3, 4)), ((5,), ())], NO_BOOL, domain=(-5.0, 5.0))
      for mode in ("wrap", "clip")],
    _both("compress", lambda m, a: m.compress([True, False, True], a, axis=1),
          [((2, 3),), ((4, 3),), (Transposed((2, 3)),)]),
    _both("compress_flat", lambda m, a: m.compress(np.array([0, 2, 0, 1]), a),
          [((2, 3),), ((4,),)]),
    _both("extract", lambda m, a: m.extract(np.array([[1, 0, 2], [0, 0, 3]]), a),
          [((2, 3),), ((7,),)]),
    _both("compress_data", lambda m, a: m.compress(m.ravel(a) > 0, m.ravel(a)),
          [((3, 4),), ((0,),)], NO_BOOL, jit=False),
]


def _partition_parts(m, p, k: int):
    """What partition guarantees along the last axis: the k-th element, and the elements
    before and after it (compared sorted)."""
    return m.sort(p[..., :k], axis=-1), p[..., k], m.sort(p[..., k + 1:], axis=-1)


def _argpartition_parts(m, a, k: int):
    return _partition_parts(m, m.take_along_axis(m.asarray(a), m.argpartition(a, k), -1), k)


PARTITIONS = [
    _both("partition", lambda m, a: _partition_parts(m, m.partition(a, 2), 2),
          [((5,),), ((3, 6),), (Transposed((4, 3)),)], special=True),
    _both("partition_kths", lambda m, a: (m.partition(a, [0, -2], axis=0)[0],
                                          m.partition(a, [0, -2], axis=0)[-2]),
          [((5, 3),)], NUMERIC),
    _both("partition_flat", lambda m, a: _partition_parts(m, m.partition(a, -1, axis=None), 5),
          [((2, 3),)], NUMERIC),
    _both("argpartition", lambda m, a: _argpartition_parts(m, a, 1),
          [((5,),), ((3, 4),)], special=True),
]

PLACING = [
    _both("insert", lambda m, a, v: m.insert(a, 1, v, axis=1),
          [((3, 4), (3,)), ((3, 4), ()), (Transposed((4, 3)), (4,))]),
    _both("insert_rows", lambda m, a, v: m.insert(a, -1, v, axis=0),
          [((3, 4), (2, 4)), ((3, 4), (4,))]),
    _both("insert_list", lambda m, a, v: m.insert(a, [0, 2, 2, -1], v, axis=0),
          [((3, 4), (4,)), ((3, 4), (4, 1)), ((3, 4), ())]),
    _both("insert_flat", lambda m, a, v: m.insert(a, 1, v), [((2, 3), (2,)), ((), ())]),
    _both("insert_slice", lambda m, a, v: m.insert(a, slice(0, 3, 2), v, axis=0),
          [((3, 4), (2, 4)), ((3, 2), ())]),
    _both("insert_weak", lambda m, a: m.insert(a, [1], 2.5, axis=-1), [((2, 3),)], NUMERIC),
    _both("delete", lambda m, a: m.delete(a, 1, axis=1), [((3, 4),), (Transposed((4, 3)),)]),
    _both("delete_list", lambda m, a: m.delete(a, [0, 2, 0, -1]), [((2, 3),), ((5,),)]),
    _both("delete_slice", lambda m, a: m.delete(a, slice(None, None, 2), axis=0),
          [((3, 4),), ((5, 1),)]),
    _both("delete_mask", lambda m, a: m.delete(a, np.array([True, False, True]), axis=0),
          [((3, 4),)]),
    _both("isin", lambda m, a, b, **kw: m.isin(a, b, **kw),
          [((3, 4), (5,)), ((5,), (2, 3)), ((), (4,)), ((3,), (0,))],
          kwargs=[{}, dict(invert=True)], special=True),
    _both("isin_kind", lambda m, a, b: m.isin(a, b, kind="table"), [((3, 4), (5,))], (I32,)),
]

ARRAY_API = [
    _both("matrix_transpose", lambda m, a: m.matrix_transpose(a),
          [((3, 4),), ((2, 3, 4),), (Transposed((3, 4)),)]),
    _both("vecdot", lambda m, a, b: m.vecdot(a, b),
          [((3, 4), (4,)), ((2, 1, 4), (3, 4)), ((5,), (5,)), ((2, 0), (0,))]),
    _both("vecdot_axis", lambda m, a, b: m.vecdot(a, b, axis=0), [((3, 4), (3, 1))]),
    _both("vecdot_keepdims", lambda m, a, b: m.vecdot(a, b, axis=-2, keepdims=True),
          [((2, 3, 4), (3, 4))]),
    _both("vecdot_axes", lambda m, a, b: m.vecdot(a, b, axes=[(1,), (0,)]),
          [((2, 3, 4), (3, 4))]),
    _both("matvec", lambda m, a, b: m.matvec(a, b),
          [((3, 4), (4,)), ((2, 3, 4), (5, 1, 4)), (Transposed((3, 4)), (4,))]),
    _both("matvec_axes", lambda m, a, b: m.matvec(a, b, axes=[(1, 0), (0,), (0,)]),
          [((4, 3), (4,))]),
    _both("vecmat", lambda m, a, b: m.vecmat(a, b), [((3,), (3, 4)), ((2, 1, 3), (5, 3, 4))]),
    *[_both(n, lambda m, a, n=n, **kw: getattr(m, n)(a, **kw), [((5,),), ((),), ((0,),)],
            kwargs=[{}, dict(include_initial=True)]) for n in ("cumulative_sum",
                                                                "cumulative_prod")],
    *[_both(f"{n}_axis", lambda m, a, n=n, **kw: getattr(m, n)(a, **kw),
            [((3, 4),), (Transposed((4, 3)),)],
            kwargs=[dict(axis=0), dict(axis=-1, include_initial=True),
                    dict(axis=1, dtype=np.float32)]) for n in ("cumulative_sum",
                                                               "cumulative_prod")],
    _both("unstack", lambda m, a, **kw: m.unstack(a, **kw), [((3, 4),), ((2, 3, 4),), ((0, 2),)],
          kwargs=[{}, dict(axis=-1)]),
    _both("resize", lambda m, a: m.resize(a, (2, 5)), [((3,),), ((2, 3),), ((),), ((0,),)]),
    _both("resize_int", lambda m, a: m.resize(a, 4), [((3, 4),), ((2,),)]),
    *[_both(f"trim_zeros_{t}", lambda m, a, t=t: m.trim_zeros(m.concatenate(
        [np.zeros(2, a.dtype), a, np.zeros(1, a.dtype)]), t), [((5,),), ((0,),)], jit=False)
      for t in ("fb", "f", "B")],
    _both("trim_zeros_axes", lambda m, a, **kw: m.trim_zeros(m.asarray(a) * (m.asarray(a) > 1),
                                                             **kw),
          [((4, 5),)], NO_BOOL, kwargs=[{}, dict(axis=0), dict(axis=-1, trim="b")], jit=False,
          domain=(-4.0, 4.0)),
    _both("block", lambda m, a, b, c: m.block([[a, b], [c]]), [((2, 3), (2, 1), (1, 4))]),
    _both("block_flat", lambda m, a, b: m.block([a, b]), [((3,), (2,)), ((2, 3), (2, 1))]),
    _both("block_ndim", lambda m, a, b: m.block([[a], [b]]), [((3,), (2, 3)), ((), (1, 1))]),
]

ENTRIES: list = INDEX_HELPERS + SELECTION + PARTITIONS + PLACING + ARRAY_API
