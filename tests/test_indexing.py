"""Integer-array, mixed and boolean indexing, x.at[] updates, TF's and NumPy's gathers and
scatters, checked against NumPy itself (eager and jit, indices known and traced), their
gradients against finite differences, out-of-range behaviour and errors, and training with
integer labels and embedding lookups under jit."""

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp
from tapejit.backend.executable import Executable, interpreted
from tapejit.backend.numba_cpu import NumbaBackend
from tapejit.lowering import lower_programs

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(3, 4, 5))
I = np.array([0, 2, -1, 2])
J = np.array([[1], [-4], [3]])

# (label, index) pairs on X3, each compared with NumPy's X3[index]
INDEXES = [
    ("array", I), ("2d array", J % 3), ("list", [2, 0, 0]), ("empty list", []),
    ("empty array", np.zeros((0, 2), np.int64)), ("last axis", (..., [4, -5, 0])),
    ("middle axis", (slice(None), J)), ("rows and labels", (np.arange(3), [0, 3, 1])),
    ("separated by a slice", (I % 3, slice(None), I)), ("int then array", (0, slice(None), I)),
    ("adjacent int and array", (slice(None), 0, I)), ("broadcast", (J % 3, I)),
    ("separated by None", (I % 3, None, I)), ("None first", (None, I % 3, I)),
    ("None between slices", (slice(None), I, None, I)),
    ("slices and array", (slice(1, None), slice(None, None, -2), J % 5)),
    ("int scalar array", (np.array(1), slice(1, 3))), ("ellipsis between", (I % 3, ..., I)),
    ("all axes", (I % 3, I, I)), ("unsigned", np.array([2, 1], np.uint8)),
    ("int8", (slice(None), np.array([-1, 3], np.int8))),
]
MASKS = [("mask", X3 > 0), ("2d mask", X3[:, :, 0] > 0), ("mask after slice",
         (slice(None), X3[0] > 0)), ("all false", np.zeros(3, bool)),
         ("mask and array", (np.array([True, False, True]), slice(None), [1, 4]))]


def _arrays(index):
    """The index's array entries and a function putting other values in their place."""
    entries = index if isinstance(index, tuple) else (index,)
    is_array = [isinstance(e, (list, np.ndarray)) and np.ndim(e) > 0 for e in entries]
    arrays = [np.asarray(e, np.int64 if np.size(e) == 0 else None)
              for e, a in zip(entries, is_array) if a]

    def rebuild(*values):
        it = iter(values)
        out = tuple(next(it) if a else e for e, a in zip(entries, is_array))
        return out if isinstance(index, tuple) else out[0]
    return arrays, rebuild


@pytest.mark.parametrize("label,index", INDEXES + MASKS, ids=[c[0] for c in INDEXES + MASKS])
def test_eager_indexing_matches_numpy(label, index):
    want = X3[index]
    got = tj.constant(X3)[index]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


CHUNKS = [INDEXES[k:k + 6] for k in range(0, len(INDEXES), 6)]


@pytest.mark.parametrize("chunk", CHUNKS, ids=[f"{c[0][0]}..." for c in CHUNKS])
def test_jit_indexing_with_traced_indices_matches_numpy(chunk):
    """Index arrays passed in (traced); a few programs of a handful of forms each (Numba's
    compile time grows faster than a kernel's length)."""
    splits = [_arrays(index) for _, index in chunk]
    traced = tj.jit(lambda x, arrays: [x[rebuild(*a)] for (_, rebuild), a in
                                       zip(splits, arrays)])
    for (label, index), got in zip(chunk, traced(X3, [arrays for arrays, _ in splits])):
        np.testing.assert_array_equal(got.numpy(), X3[index], err_msg=label)


def test_jit_indexing_with_known_indices_and_masks_matches_numpy():
    constant = INDEXES[5:8] + MASKS
    for (label, index), got in zip(constant, tj.jit(lambda x: [x[i] for _, i in constant])(X3)):
        np.testing.assert_array_equal(got.numpy(), X3[index], err_msg=label)


def test_a_traced_integer_scalar_indexes_like_an_int():
    f = tj.jit(lambda x, i: (x[i], x[:, i], x[i, 1:, i]))
    for i in (np.int32(2), np.int64(-1)):
        a, b, c = f(X3, i)
        np.testing.assert_array_equal(a.numpy(), X3[i])
        np.testing.assert_array_equal(b.numpy(), X3[:, i])
        np.testing.assert_array_equal(c.numpy(), X3[i, 1:, i])


def test_index_tensors_variables_and_lists_of_tensors_index_like_arrays():
    idx = tj.constant(np.array([2, 0]))
    np.testing.assert_array_equal(tj.constant(X3)[idx, :, tj.Variable([1, 1])].numpy(),
                                  X3[[2, 0], :, [1, 1]])
    np.testing.assert_array_equal(tj.constant(X3)[[idx[0], idx[1]]].numpy(), X3[[2, 0]])


@pytest.mark.parametrize("label,index", [c for c in INDEXES if c[0] in (
    "array", "2d array", "middle axis", "rows and labels", "separated by a slice",
    "slices and array", "None between slices")] + MASKS[:2], ids=lambda v: str(v)[:20])
def test_gradients_of_indexing_match_finite_differences(label, index):
    """Repeated indices accumulate in the gradient."""
    tj.testing.check_grads(lambda x: tj.math.sin(tj.convert_to_tensor(x)[index]), [X3],
                           order=2)


def test_out_of_range_and_bad_indices_raise_numpys_errors():
    x = tj.constant(X3)
    cases = [(lambda: x[[0, 3]], "index 3 is out of bounds for axis 0 with size 3"),
             (lambda: x[:, [-5]], "index -5 is out of bounds for axis 1 with size 4"),
             (lambda: x[np.array([1.0])], "arrays used as indices must be of integer"),
             (lambda: x[[0, 1], [0, 1, 2]], "shape mismatch: indexing arrays could not be "
                                            r"broadcast together with shapes \(2,\) \(3,\)"),
             (lambda: x[np.ones(4, bool)], "boolean index did not match indexed array along "
                                           "axis 0; size of axis is 3 but size of "
                                           "corresponding boolean axis is 4"),
             (lambda: x[0, 0, 0, 0], "too many indices for array"),
             (lambda: x[1.5], "only integers, slices")]
    for call, message in cases:
        with pytest.raises(IndexError, match=message) as info:
            call()
        assert "fix:" in str(info.value)


def test_constant_indices_out_of_range_raise_under_jit_too():
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        tj.jit(lambda x: x[np.array([0, 7])])(X3)


def test_a_boolean_mask_under_jit_is_a_clear_error():
    with pytest.raises(tj.TapejitError, match="data-dependent shape") as info:
        tj.jit(lambda x, m: x[m])(X3, X3 > 0)
    assert "tj.where" in str(info.value)


def test_traced_indices_out_of_range_are_clamped_by_gathers():
    i = np.array([-9, 7, 1, -2], np.int32)
    got = tj.jit(lambda x, i: x[i])(X3[0, :, 0], i)
    np.testing.assert_array_equal(got.numpy(), X3[0, [0, 3, 1, 2], 0])
    both = tj.jit(lambda x, i: (tj.gather(x, i), tj.gather(x, i, axis=1)))(X3[0], i)
    np.testing.assert_array_equal(both[0].numpy(), X3[0][[0, 3, 1, 0]])
    np.testing.assert_array_equal(both[1].numpy(), X3[0][:, [0, 4, 1, 0]])
    grad = tj.jit(tj.grad(lambda x, i: tj.reduce_sum(x[i] * np.arange(4.0))))(X3[0, :, 0], i)
    np.testing.assert_array_equal(grad.numpy(), [0.0, 2.0, 3.0, 1.0])


# --- x.at[] ---------------------------------------------------------------------------------

X2 = RNG.normal(size=(5, 4))
UFUNCS = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}
AT_INDEXES = [np.array([0, 2, 0, -1, 2, 0]), (slice(1, 4), [1, 1, -1]), (slice(None), [0, 0]),
              2, (slice(None, None, -2), 2), ([[0], [4]], [1, 2, 1]), (..., None, 3),
              (X2 > 0.5,), (None, 1, [2, 3, 2]), (np.array([], np.int64),), slice(None)]


def _reference(x, index, values, how):
    """NumPy: positions of x[index], updated one by one in row-major order."""
    positions = np.arange(x.size).reshape(x.shape)[index]
    values = np.broadcast_to(values, positions.shape)
    out = x.copy().reshape(-1)
    if how in ("set", "subtract"):
        for p, v in zip(positions.reshape(-1), values.reshape(-1)):
            out[p] = v if how == "set" else out[p] - v
    else:
        UFUNCS[how].at(out, positions.reshape(-1), values.reshape(-1))
    return out.reshape(x.shape)


@pytest.mark.parametrize("how", ["set", "add", "subtract", "multiply", "min", "max"])
def test_at_updates_match_numpy_eager_and_jit(how):
    values = [RNG.normal(size=X2[index].shape) for index in AT_INDEXES]
    eager = [getattr(tj.constant(X2).at[index], how)(v) for index, v in zip(AT_INDEXES, values)]
    for k, (index, v) in enumerate(zip(AT_INDEXES, values)):
        np.testing.assert_allclose(eager[k].numpy(), _reference(X2, index, v, how), rtol=1e-15,
                                   err_msg=str(index))
    traced_forms = [0, 1, 2, 5]  # index arrays passed in, and known masks and None below
    splits = [_arrays(AT_INDEXES[k]) for k in traced_forms]
    traced = tj.jit(lambda x, arrays, vs: [getattr(x.at[rebuild(*a)], how)(v) for (_, rebuild),
                                           a, v in zip(splits, arrays, vs)])(
        X2, [a for a, _ in splits], [values[k] for k in traced_forms])
    known_forms = [6, 7, 8]
    known = tj.jit(lambda x, vs: [getattr(x.at[AT_INDEXES[k]], how)(v) for k, v in
                                  zip(known_forms, vs)])(X2, [values[k] for k in known_forms])
    for k, got in zip(traced_forms + known_forms, traced + known):
        np.testing.assert_allclose(got.numpy(), _reference(X2, AT_INDEXES[k], values[k], how),
                                   rtol=1e-15, err_msg=str(AT_INDEXES[k]))


@pytest.mark.parametrize("how", ["set", "add", "subtract", "multiply", "min", "max"])
def test_at_gradients_match_finite_differences(how):
    for index in AT_INDEXES[:3] + AT_INDEXES[5:6]:
        values = RNG.normal(size=X2[index].shape)
        tj.testing.check_grads(
            lambda x, v, index=index: tj.math.sin(
                getattr(tj.convert_to_tensor(x).at[index], how)(v)), [X2, values], order=2)


def test_multiply_gradient_is_exact_at_zero_updates():
    values = np.array([2.0, 0.0, 3.0, -1.5])
    f = lambda x, v: tj.convert_to_tensor(x).at[[1, 1, 3, 1]].multiply(v)
    tj.testing.check_grads(f, [np.array([1.5, -2.0, 3.0, 0.7]), values], order=2)
    grad = tj.grad(lambda v: tj.reduce_sum(f(np.ones(4), v)))(values)
    assert grad.numpy().tolist() == [0.0, 2.0 * -1.5, 1.0, 0.0]


def test_min_max_ties_share_the_gradient():
    g = tj.grad(lambda x, v: tj.reduce_sum(tj.convert_to_tensor(x).at[[0, 0]].max(v)),
                (0, 1))(np.array([1.0, 5.0]), np.array([1.0, 1.0]))
    assert g[0].numpy().tolist() == [1 / 3, 1.0] and g[1].numpy().tolist() == [1 / 3, 1 / 3]


def test_traced_update_indices_out_of_range_are_dropped():
    f = tj.jit(lambda x, i: (x.at[i].add(10.0), x.at[i].set(10.0), x.at[i].max(10.0)))
    for out in f(np.zeros(4), np.array([9, -9, 1, -1], np.int32)):
        assert out.numpy().tolist() == [0.0, 10.0, 0.0, 10.0]
    out = tj.constant(np.zeros(4)).at[[9, 1]].add(1.0, mode="drop")
    assert out.numpy().tolist() == [0.0, 1.0, 0.0, 0.0]
    out = tj.constant(np.zeros(4)).at[[9, 1]].add(1.0, mode="clip")
    assert out.numpy().tolist() == [0.0, 1.0, 0.0, 1.0]


def test_at_errors():
    x = tj.constant(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="index 2 is out of bounds for axis 0 with size 2"):
        x.at[[0, 2]].set(1.0)
    with pytest.raises(ValueError, match=r"value array of shape \(4,\) could not be broadcast "
                                         r"to indexing result of shape \(2, 3\)"):
        x.at[[0, 1]].set(np.ones(4))
    with pytest.raises(ValueError, match="mode 'fill' is not supported"):
        x.at[0].add(1.0, mode="fill")
    with pytest.raises(tj.TapejitError, match="data-dependent shape"):
        tj.jit(lambda x, m: x.at[m].set(0.0))(np.zeros(3), np.ones(3, bool))


# --- TensorFlow's gathers and scatters --------------------------------------------------------

def _tf_gather(params, indices, axis, batch_dims):
    """tf.gather's definition: per batch element, np.take along axis."""
    if batch_dims == 0:
        return np.take(params, indices, axis)
    return np.stack([_tf_gather(p, i, axis - 1, batch_dims - 1)
                     for p, i in zip(params, indices)])


@pytest.mark.parametrize("shape,indices,axis,batch_dims", [
    ((5, 3), [[4, 0], [0, 4], [2, 2]], None, 0), ((3, 4, 2), [3, 3, 0], 1, 0),
    ((3, 4, 2), [[1, 0, 1]], -1, 0), ((2, 4, 3), [[0, 3], [2, 2]], 1, 1),
    ((2, 3, 4, 2), [[[0, 3], [1, 1], [2, 0]], [[3, 3], [0, 2], [1, 0]]], 2, -1),
    ((2, 3, 5), [[1, 0], [2, 2]], None, 1),
    ((4, 0), [1, 1], 0, 0), ((4, 2), np.zeros((0, 3), int), 0, 0)])
def test_tf_gather_matches_its_definition_eager_and_jit(shape, indices, axis, batch_dims):
    params = RNG.normal(size=shape)
    indices = np.asarray(indices, np.int32)
    bd = batch_dims % indices.ndim if batch_dims < 0 else batch_dims
    want = _tf_gather(params, indices, bd if axis is None else axis % len(shape), bd)
    f = lambda p, i: tj.gather(p, i, axis=axis, batch_dims=batch_dims)
    np.testing.assert_array_equal(f(tj.constant(params), indices).numpy(), want)
    np.testing.assert_array_equal(tj.jit(f)(params, indices).numpy(), want)
    tj.testing.check_grads(lambda p: tj.math.sin(f(p, indices)), [params], order=1)


def test_tf_gather_signature_and_errors():
    assert tj.gather([1.0, 2.0], [1], None, 0).numpy().tolist() == [2.0]  # validate_indices
    with pytest.raises(IndexError, match=r"indices\[1\] = 3 is not in \[0, 3\)"):
        tj.gather(np.ones(3), [0, 3])
    with pytest.raises(IndexError, match=r"indices\[0,1\] = -1 is not in \[0, 2\)"):
        tj.gather(np.ones((2, 2)), [[0, -1]], axis=1)


def test_gather_nd_with_and_without_batch_dims():
    params = RNG.normal(size=(2, 3, 4))
    rows = np.array([[1, 2], [0, 3], [1, 2]])
    np.testing.assert_array_equal(tj.gather_nd(params[0], rows).numpy(),
                                  params[0][rows[:, 0], rows[:, 1]])
    np.testing.assert_array_equal(tj.gather_nd(params, [[1], [0]]).numpy(), params[[1, 0]])
    batched = np.array([[[2]], [[0]]])  # per batch element, a row of params[b]
    got = tj.jit(lambda p, i: tj.gather_nd(p, i, batch_dims=1))(params, batched)
    np.testing.assert_array_equal(got.numpy(), np.stack([params[0][[2]], params[1][[0]]]))
    with pytest.raises(IndexError, match=r"indices\[1\] = \[0, 4\] does not index into param "
                                         r"shape \[3, 4\]"):
        tj.gather_nd(params[0], [[1, 2], [0, 4]])


def test_scatter_nd_accumulates_repeated_indices_and_drops_traced_ones_out_of_range():
    indices, updates = np.array([[4], [3], [1], [7], [4]]), np.array([9.0, 10, 11, 12, 13])
    want = np.zeros(8)
    np.add.at(want, indices[:, 0], updates)
    np.testing.assert_array_equal(tj.scatter_nd(indices, updates, [8]).numpy(), want)
    f = tj.jit(lambda i, u: tj.scatter_nd(i, u, (4, 2)))
    got = f(np.array([[1], [9], [1]]), np.ones((3, 2)))
    np.testing.assert_array_equal(got.numpy(), [[0, 0], [2, 2], [0, 0], [0, 0]])
    tj.testing.check_grads(lambda u: tj.scatter_nd(indices, u, [8]) ** 2, [updates], order=2)
    with pytest.raises(IndexError, match=r"indices\[3\] = \[7\] does not index into shape "):
        tj.scatter_nd(indices, updates, [5])


def test_segment_sums():
    data = RNG.normal(size=(6, 2))
    ids = np.array([0, 0, 1, 3, 3, 3])
    want = np.stack([data[ids == k].sum(0) for k in range(4)])
    np.testing.assert_allclose(tj.math.segment_sum(data, ids).numpy(), want, rtol=1e-15)
    unsorted = np.array([3, -1, 0, 3, 1, -2])  # negative ids are dropped (TF)
    want = np.stack([data[unsorted == k].sum(0) for k in range(5)])
    for got in (tj.math.unsorted_segment_sum(data, unsorted, 5),
                tj.jit(lambda d, s: tj.math.unsorted_segment_sum(d, s, 5))(data, unsorted)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-15)
    tj.testing.check_grads(lambda d: tj.math.unsorted_segment_sum(d, unsorted, 5) ** 2, [data])
    with pytest.raises(IndexError, match=r"segment_ids\[0\] = 3 is out of range \[0, 3\)"):
        tj.math.unsorted_segment_sum(data, unsorted, 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        tj.math.segment_sum(data, unsorted)
    with pytest.raises(tj.TapejitError, match="unsorted_segment_sum"):
        tj.jit(tj.math.segment_sum)(data, ids)


def test_one_hot_follows_tf():
    got = tj.one_hot([0, 2, -1, 1], 3, on_value=5.0, off_value=0.0, axis=-1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [[5, 0, 0], [0, 0, 5], [0, 0, 0], [0, 5, 0]])
    got = tj.one_hot([0, 2, -1, 1], 3, on_value=0.0, off_value=3.0, axis=0)
    np.testing.assert_array_equal(got.numpy(), [[0, 3, 3, 3], [3, 3, 3, 0], [3, 0, 3, 3]])
    got = tj.one_hot([[0, 2], [1, -1]], 3, axis=1)
    np.testing.assert_array_equal(got.numpy(), np.transpose(np.eye(3)[[[0, 2], [1, 2]]] *
                                                            [[[1], [1]], [[1], [0]]], (0, 2, 1)))
    assert tj.one_hot([1], 2).dtype == np.float32
    assert tj.one_hot([1], 2, on_value=7).dtype == np.int32
    assert tj.one_hot([1], 2, dtype=tj.float64).numpy().tolist() == [[0.0, 1.0]]
    assert tj.nn.one_hot([1], 2, tj.float64).dtype == np.float64  # its own dtype position
    jitted = tj.jit(lambda i: tj.one_hot(i, 4, on_value=2.0, off_value=-1.0))(np.array([3, 9]))
    assert jitted.numpy().tolist() == [[-1, -1, -1, 2], [-1, -1, -1, -1]]
    with pytest.raises(tj.DTypeError, match="must match"):
        tj.one_hot([1], 2, on_value=1.0, off_value=0)


def test_tf_argmax_and_argmin():
    b = np.array([[2, 20, 30, 3, 6], [3, 11, 16, 1, 8], [14, 45, 23, 5, 27]])
    assert tj.argmax(b).numpy().tolist() == [2, 2, 0, 2, 2]  # axis None means 0 (TF2)
    assert tj.math.argmax(b, 1).numpy().tolist() == [2, 2, 1]
    assert tj.argmax(b).dtype == np.int64
    assert tj.argmax([0, 0, 0]).numpy() == 0  # ties: the smallest index
    assert tj.argmin(b, 1, output_type=tj.int32).dtype == np.int32
    assert tj.jit(lambda x: tj.argmin(x, 1))(b).numpy().tolist() == [0, 3, 3]
    with pytest.raises(ValueError, match="Reduction axis 0 is empty"):
        tj.argmax(np.zeros((0, 3)))


# --- NumPy's index functions --------------------------------------------------------------------

def test_tnp_argmax_argmin_match_numpy():
    x = RNG.integers(0, 3, size=(4, 5, 3)).astype(np.float64)
    x[1, 2, 0] = np.nan
    x[3, :, 2] = np.nan
    cases = [dict(), dict(axis=0), dict(axis=-1), dict(axis=1, keepdims=True),
             dict(keepdims=True)]
    for data in (x, x.astype(np.float32), np.nan_to_num(x).astype(np.int16), x > 1):
        for kw in cases:
            for ours, theirs in ((tnp.argmax, np.argmax), (tnp.argmin, np.argmin)):
                got, want = ours(data, **kw), theirs(data, **kw)
                assert got.dtype == np.int64 and got.shape == want.shape
                np.testing.assert_array_equal(got.numpy(), want)
    jitted = tj.jit(lambda a: [tnp.argmax(a, **kw) for kw in cases])(x)
    for got, kw in zip(jitted, cases):
        np.testing.assert_array_equal(got.numpy(), np.argmax(x, **kw))
    with pytest.raises(ValueError, match="attempt to get argmax of an empty sequence"):
        tnp.argmax(np.zeros((0,)))


def test_tnp_take_matches_numpy_in_every_mode():
    a = RNG.normal(size=(4, 3))
    indices = np.array([[5, -1], [0, -7]])
    for mode in ("wrap", "clip"):
        for axis in (None, 0, 1):
            want = np.take(a, indices, axis=axis, mode=mode)
            np.testing.assert_array_equal(tnp.take(a, indices, axis, mode=mode).numpy(), want)
            f = tj.jit(lambda a, i, axis=axis, mode=mode: tnp.take(a, i, axis, mode=mode))
            np.testing.assert_array_equal(f(a, indices).numpy(), want)
    ok = np.array([2, -1, 0])
    np.testing.assert_array_equal(tnp.take(a, ok, 1).numpy(), np.take(a, ok, 1))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 4"):
        tnp.take(a, [5], axis=0)


@pytest.mark.parametrize("shape,index_shape,axis", [
    ((3, 4), (3, 6), 1), ((3, 4), (1, 2), 1), ((3, 4, 2), (5, 1, 2), 0), ((3, 4), (7,), None),
    ((2, 3), (2, 0), 1), ((3, 4, 2), (3, 4, 1), -1)])
def test_take_and_put_along_axis_match_numpy(shape, index_shape, axis):
    arr = RNG.normal(size=shape)
    size = arr.size if axis is None else shape[axis]
    indices = RNG.integers(-size, size, size=index_shape)
    want = np.take_along_axis(arr, indices, axis)
    values = RNG.normal(size=want.shape)
    put = _put_along(arr, indices, values, axis)
    for take, put_ in ((tnp.take_along_axis, tnp.put_along_axis),
                       (tj.jit(tnp.take_along_axis, static_argnums=2),
                        tj.jit(tnp.put_along_axis, static_argnums=3))):
        np.testing.assert_array_equal(take(arr, indices, axis).numpy(), want)
        np.testing.assert_array_equal(put_(arr, indices, values, axis).numpy(), put)
    tj.testing.check_grads(lambda a, v: tnp.put_along_axis(a, indices, v, axis) ** 2,
                           [arr, values], order=2)
    tj.testing.check_grads(lambda a: tnp.take_along_axis(a, indices, axis) ** 2, [arr])


def _put_along(arr, indices, values, axis):
    """np.put_along_axis on a copy, assigning in row-major order (the last repeat wins)."""
    out = arr.copy()
    flat = out.reshape(-1) if axis is None else out
    axis = 0 if axis is None else axis % arr.ndim
    grids = list(np.meshgrid(*[np.arange(n) for n in np.broadcast_shapes(
        indices.shape, tuple(1 if d == axis else n for d, n in enumerate(flat.shape)))],
        indexing="ij"))
    grids[axis] = np.broadcast_to(indices, grids[axis].shape)
    for position, value in zip(zip(*[g.reshape(-1) for g in grids]),
                               np.broadcast_to(values, grids[0].shape).reshape(-1)):
        flat[position] = value
    return out


# --- dynamic slices ---------------------------------------------------------------------------

def test_dynamic_slices_clamp_traced_starts_as_xla():
    x = RNG.normal(size=(5, 4))
    f = tj.jit(lambda x, i, j: tj.ops.dynamic_slice(x, (i, j), (2, 3)))
    for i, j, (ci, cj) in ((1, 0, (1, 0)), (-3, 9, (0, 1)), (4, 1, (3, 1))):
        np.testing.assert_array_equal(f(x, np.int32(i), np.int64(j)).numpy(),
                                      x[ci:ci + 2, cj:cj + 3])
    g = tj.jit(lambda x, u, i: tj.ops.dynamic_update_slice(x, u, (i, 2)))
    want = x.copy()
    want[3:5, 1:4] = -1.0
    np.testing.assert_array_equal(g(x, -np.ones((2, 3)), np.int32(7)).numpy(), want)
    tj.testing.check_grads(lambda x, u: tj.ops.dynamic_update_slice(x, u, (1, 0)) ** 2,
                           [x, RNG.normal(size=(2, 3))], order=2)


# --- training with integer labels and embedding lookups ------------------------------------------

def _compiled(fn, *args) -> bool:
    source = fn.lower(*args).source
    return "@njit" in source and "NumPy interpreter" not in source


def _fd_gradient(loss, x, eps=1e-6):
    grad = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        grad.flat[k] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return grad


def test_softmax_classifier_with_integer_labels_trains_under_jit():
    n, d, c = 24, 5, 4
    rng = np.random.default_rng(11)  # its own draws: the shared RNG's depend on test order
    x = rng.normal(size=(n, d))
    labels = np.argmax(x[:, :c] + 0.3 * rng.normal(size=(n, c)), 1).astype(np.int32)

    def loss(w, b, x, labels):
        return tj.reduce_mean(-tj.nn.log_softmax(x @ w + b)[np.arange(n), labels])

    step = tj.jit(tj.value_and_grad(loss, argnums=(0, 1)))
    w, b = 0.1 * rng.normal(size=(d, c)), np.zeros(c)
    value, (gw, gb) = step(w, b, x, labels)
    assert _compiled(step, w, b, x, labels)
    xent = tj.nn.sparse_softmax_cross_entropy_with_logits(labels, x @ w + b)
    np.testing.assert_allclose(float(value), float(tj.reduce_mean(xent)), rtol=1e-12)
    eager = tj.value_and_grad(loss, argnums=(0, 1))(w, b, x, labels)[1]
    np.testing.assert_allclose(gw.numpy(), eager[0].numpy(), rtol=1e-12)
    plain = lambda w_, b_: float(loss(w_, b_, x, labels))
    np.testing.assert_allclose(gw.numpy(), _fd_gradient(lambda v: plain(v, b), w), atol=1e-8)
    np.testing.assert_allclose(gb.numpy(), _fd_gradient(lambda v: plain(w, v), b), atol=1e-8)
    first = float(value)
    for _ in range(60):
        value, (gw, gb) = step(w, b, x, labels)
        w, b = w - 0.5 * gw.numpy(), b - 0.5 * gb.numpy()
    assert float(value) < 0.6 * first
    accuracy = np.mean(np.argmax(x @ w + b, 1) == labels)
    assert accuracy > 0.8
    assert step.cache_info().misses == 1


def test_embedding_lookup_gradient_under_jit_matches_finite_differences():
    vocab, dim, batch, length = 7, 3, 4, 5
    table, w = RNG.normal(size=(vocab, dim)), RNG.normal(size=(dim,))
    ids = RNG.integers(0, vocab - 2, size=(batch, length)).astype(np.int32)  # 5, 6 unused
    target = RNG.normal(size=batch)

    def loss(table, w, ids):
        pooled = tj.reduce_mean(tj.gather(table, ids), 1)
        return tj.reduce_mean((pooled @ w - target) ** 2)

    step = tj.jit(tj.value_and_grad(loss, argnums=(0, 1)))
    value, (g_table, g_w) = step(table, w, ids)
    assert _compiled(step, table, w, ids)
    plain = lambda t, v: float(loss(t, v, ids))
    np.testing.assert_allclose(g_table.numpy(), _fd_gradient(lambda t: plain(t, w), table),
                               atol=1e-8)
    np.testing.assert_allclose(g_w.numpy(), _fd_gradient(lambda v: plain(table, v), w),
                               atol=1e-8)
    assert np.all(g_table.numpy()[5:] == 0.0)
    eager = tj.value_and_grad(loss, argnums=(0, 1))(table, w, ids)[1][0]
    np.testing.assert_allclose(g_table.numpy(), eager.numpy(), rtol=1e-12)


# --- compiled code never leaves an array ---------------------------------------------------------

def test_kernels_with_extreme_indices_stay_in_bounds():
    """Bounds-checked kernels of every indexing primitive, on indices far out of range."""
    big, small = np.iinfo(np.int32).max, np.iinfo(np.int32).min
    i = np.array([big, small, -1, 3, 0], np.int32)
    x, u = RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3))

    programs = [
        lambda x, u, i: [x.at[i].add(u), x.at[i].set(u), x.at[i].multiply(u), x.at[i].min(u),
                         x.at[i].max(u)],
        lambda x, u, i: [x[i], x.at[i].get(mode="drop"), tj.gather(x, i, axis=1),
                         tj.grad(lambda x: tj.reduce_sum(x[i] * u))(x)],
        lambda x, u, i: [tj.ops.dynamic_slice(x, (i[0], i[1]), (2, 2)), tj.argmax(x, 1),
                         tj.ops.dynamic_update_slice(x, u[:2, :2], (i[1], i[0]))]]
    for fn in programs:
        arrays = [x, u, i]
        staged, _, optimized, fused = lower_programs(fn, arrays)
        inputs = arrays + [np.asarray(c) for c in staged.consts]
        kernel = NumbaBackend().load(NumbaBackend().lower(fused, boundscheck=True))
        executable = Executable(fused, kernel)
        got = executable.first_call(inputs)
        assert executable.compiled, executable.why_interpreted  # no access left its array
        want = interpreted(optimized, "the reference")(inputs)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
