"""GradientTape as TensorFlow documents it: every public method and argument, with TF's
results, exception types and wording (code written against TF matches on them)."""

import numpy as np
import pytest

import tapejit as tj

NONE, ZERO = tj.UnconnectedGradients.NONE, tj.UnconnectedGradients.ZERO


# --- gradient ------------------------------------------------------------------------------

def test_third_order_from_one_persistent_tape():
    x = tj.constant(3.0)
    with tj.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x ** 3
        dy = g.gradient(y, x)
        d2 = g.gradient(dy, x)
        d3 = g.gradient(d2, x)
    assert [float(v) for v in (dy, d2, d3)] == [27.0, 18.0, 6.0]


def test_higher_order_through_variables_and_nested_tapes_alike():
    v = tj.Variable(2.0)
    with tj.GradientTape(persistent=True) as g:
        y = tj.math.sin(v) * v
        dy = g.gradient(y, v)
        d2 = g.gradient(dy, v)
    with tj.GradientTape() as outer:
        with tj.GradientTape() as inner:
            y = tj.math.sin(v) * v
        nested_dy = inner.gradient(y, v)
    nested_d2 = outer.gradient(nested_dy, v)
    np.testing.assert_allclose([float(dy), float(d2)], [float(nested_dy), float(nested_d2)],
                               rtol=1e-6)


def test_a_non_persistent_tape_stops_recording_at_its_gradient():
    x = tj.constant(2.0)
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
        assert float(g.gradient(y, x)) == 4.0
        z = y * x  # not recorded any more
    with pytest.raises(RuntimeError, match="can only be called once on non-persistent tapes"):
        g.gradient(z, x)


def test_gradient_twice_on_a_non_persistent_tape_is_tf_error():
    x = tj.constant(1.0)
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
    g.gradient(y, x)
    for call in (lambda: g.gradient(y, x), lambda: g.jacobian(y, x)):
        with pytest.raises(RuntimeError,
                           match="GradientTape.gradient can only be called once on "
                                 "non-persistent tapes"):
            call()


def test_unknown_unconnected_gradients_is_tf_error():
    x = tj.constant(1.0)
    with tj.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * 2.0
    for call in (lambda: g.gradient(y, x, unconnected_gradients="nonsense"),
                 lambda: g.jacobian(y, x, unconnected_gradients="nonsense")):
        with pytest.raises(ValueError, match="Unknown value for unconnected_gradients"):
            call()
    assert float(g.gradient(y, x, unconnected_gradients="zero")) == 2.0


def test_unconnected_gradients_none_and_zero():
    x, z = tj.constant([1.0, 2.0]), tj.constant(5.0, dtype=tj.float64)
    with tj.GradientTape(persistent=True) as g:
        g.watch([x, z])
        y = tj.reduce_sum(x * x)
    assert g.gradient(y, z) is None
    zero = g.gradient(y, z, unconnected_gradients=ZERO)
    assert zero.dtype == np.float64 and float(zero) == 0.0


def test_targets_and_sources_keep_their_structure_and_output_gradients_weigh():
    a, b = tj.constant(1.0), tj.constant(2.0)
    with tj.GradientTape() as g:
        g.watch([a, b])
        ys = {"p": a * b, "q": [a * a]}
    grads = g.gradient(ys, {"a": a, "b": (b,)}, output_gradients={"p": 2.0, "q": [3.0]})
    assert float(grads["a"]) == 2.0 * 2.0 + 3.0 * 2.0 and float(grads["b"][0]) == 2.0 * 1.0


def test_a_variable_target_is_read_as_tf_converts_it():
    v = tj.Variable([1.0, 2.0])
    with tj.GradientTape() as g:
        pass
    np.testing.assert_array_equal(g.gradient(v, v).numpy(), [1.0, 1.0])


# --- recording -----------------------------------------------------------------------------

def test_reentering_an_active_tape_is_tf_error():
    tape = tj.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording, This can happen if "
                                             "you try to re-enter an already-active tape"):
            with tape:
                pass


def test_watch_rejects_what_is_not_a_tensor_as_tf():
    with tj.GradientTape() as g:
        for bad in (np.array(1.0), 1.0, "x"):
            with pytest.raises(ValueError, match="not tf.Tensor"):
                g.watch(bad)


def test_watching_an_integer_warns_as_tf():
    x = tj.constant(3)
    with tj.GradientTape() as g:
        with pytest.warns(tj.TapeWarning, match="must be floating"):
            g.watch(x)
        y = x * x
    assert g.gradient(y, x) is None


def test_watched_variables_in_order_of_construction():
    first, second, third = tj.Variable(1.0), tj.Variable(2.0), tj.Variable(3.0)
    with tj.GradientTape() as g:
        y = third * second * first
    assert g.watched_variables() == (first, second, third)
    with tj.GradientTape(watch_accessed_variables=False) as g:
        g.watch(third)
        g.watch(first)
        y = third * first
    assert g.watched_variables() == (first, third)
    del y


def test_stop_recording_and_its_errors():
    x = tj.constant(4.0)
    with tj.GradientTape() as g:
        g.watch(x)
        with g.stop_recording():
            y = x ** 2
        z = x * 3.0
    assert g.gradient(y, x) is None
    with pytest.raises(RuntimeError, match="Trying to stop recording a tape which is not "
                                           "recording"):
        with tj.GradientTape().stop_recording():
            pass
    idle = tj.GradientTape(persistent=True)
    with idle:
        pass
    with pytest.raises(ValueError, match="Tape is not recording"):
        with idle.stop_recording():
            pass
    del z


def test_reset_inside_the_block_and_outside():
    x = tj.constant(2.0)
    with tj.GradientTape() as g:
        g.watch(x)
        loss = x * x
        g.reset()
        g.watch(x)
        loss = loss + x * 3.0
    assert float(g.gradient(loss, x)) == 3.0  # only what came after reset
    with pytest.raises(ValueError, match="Tape is not recording"):
        g.reset()


def test_a_released_tape_records_afresh_when_reentered():
    x = tj.constant(2.0)
    g = tj.GradientTape()
    with g:
        g.watch(x)
        y = x * x
    g.gradient(y, x)
    with g:
        g.watch(x)
        z = x * x * x
    assert float(g.gradient(z, x)) == 12.0


# --- jacobian ------------------------------------------------------------------------------

def test_jacobian_values_and_shapes():
    x = tj.constant([1.0, 2.0])
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
    np.testing.assert_array_equal(g.jacobian(y, x).numpy(), [[2.0, 0.0], [0.0, 4.0]])


@pytest.mark.parametrize("mode", [NONE, ZERO])
def test_jacobian_of_an_unconnected_target_is_zeros_in_both_modes(mode):
    x, z = tj.constant([1.0, 2.0, 3.0]), tj.constant([[1.0], [2.0]], dtype=tj.float64)
    with tj.GradientTape(persistent=True) as g:
        g.watch([x, z])
        y = x * 2.0
    jac = g.jacobian(y, z, unconnected_gradients=mode)
    assert jac.shape == (3, 2, 1) and jac.dtype == np.float64
    assert not np.any(jac.numpy())
    batch = g.batch_jacobian(tj.reshape(y, (3, 1)), tj.constant(np.ones((3, 2))),
                             unconnected_gradients=mode)
    assert batch.shape == (3, 1, 2) and not np.any(batch.numpy())


@pytest.mark.parametrize("mode", [NONE, ZERO])
def test_jacobians_of_empty_targets_and_sources_are_empty(mode):
    x = tj.constant(np.ones((1, 0)))
    w = tj.constant(np.ones(3))
    with tj.GradientTape(persistent=True) as g:
        g.watch([x, w])
        y = x * 2.0
        v = w * 2.0
    assert g.jacobian(y, x, unconnected_gradients=mode).shape == (1, 0, 1, 0)
    assert g.jacobian(v, x, unconnected_gradients=mode).shape == (3, 1, 0)
    assert g.jacobian(y, w, unconnected_gradients=mode).shape == (1, 0, 3)
    assert g.batch_jacobian(y, x, unconnected_gradients=mode).shape == (1, 0, 0)


def test_jacobian_without_pfor_needs_a_persistent_tape_as_tf():
    x = tj.constant([1.0])
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
    with pytest.raises(RuntimeError, match="GradientTape must be created with persistent=True"):
        g.jacobian(y, x, experimental_use_pfor=False)
    with tj.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x
    assert float(g.jacobian(y, x, experimental_use_pfor=False)[0, 0]) == 2.0


def test_batch_jacobian_values():
    x = tj.constant([[1.0, 2.0], [3.0, 4.0]])
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
    np.testing.assert_array_equal(g.batch_jacobian(y, x).numpy(),
                                  [[[2, 0], [0, 4]], [[6, 0], [0, 8]]])


@pytest.mark.parametrize("target_shape,source_shape", [((3,), (3, 2)), ((3, 2), (3,)),
                                                        ((2, 2), (3, 2)), ((), (3, 2))])
def test_batch_jacobian_checks_ranks_and_batch_sizes_as_tf(target_shape, source_shape):
    x = tj.constant(np.ones(source_shape))
    with tj.GradientTape() as g:
        g.watch(x)
        y = tj.reduce_sum(x) * tj.constant(np.ones(target_shape))
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        g.batch_jacobian(y, x)


# --- TF names the tape's users reach for ---------------------------------------------------

def test_constant_shape_reshapes_fills_or_refuses_as_tf():
    np.testing.assert_array_equal(tj.constant([1, 2, 3, 4, 5, 6], shape=[2, 3]).numpy(),
                                  [[1, 2, 3], [4, 5, 6]])
    filled = tj.constant(-1.0, shape=[2, 2])
    assert filled.dtype == np.float32 and filled.numpy().tolist() == [[-1.0, -1.0]] * 2
    with pytest.raises(TypeError, match="unsupported shape"):
        tj.constant([1, 2, 3], shape=[2, 2])


def test_identity_keeps_the_gradient():
    v = tj.Variable(2.0)
    with tj.GradientTape() as g:
        y = tj.identity(v) * 3.0
    assert float(g.gradient(y, v)) == 3.0


@pytest.mark.parametrize("value", ["text", ["a", "b"], b"bytes", 1 + 2j])
def test_unsupported_types_name_themselves(value):
    with pytest.raises(tj.DTypeError, match="strings|complex") as info:
        tj.constant(value)
    assert "fix" in str(info.value)


# --- item 7: TF's split, tile, repeat and embedding_lookup --------------------------------

def _x34():
    return np.arange(12.0).reshape(3, 4)


def test_split_tile_repeat_match_tf_shapes_and_values():
    x = _x34()
    pieces = tj.split(x, [1, -1, 1], axis=1)
    assert [p.shape for p in pieces] == [(3, 1), (3, 2), (3, 1)]
    np.testing.assert_array_equal(tj.concat(pieces, 1).numpy(), x)
    assert [p.shape for p in tj.split(x, 3)] == [(1, 4)] * 3
    np.testing.assert_array_equal(tj.tile(x, [2, 3]).numpy(), np.tile(x, [2, 3]))
    np.testing.assert_array_equal(tj.repeat(x, 2).numpy(), np.repeat(x, 2))
    np.testing.assert_array_equal(tj.repeat(x, [1, 0, 2], axis=0).numpy(),
                                  np.repeat(x, [1, 0, 2], axis=0))
    np.testing.assert_array_equal(tj.repeat(x, 3, axis=-1).numpy(), np.repeat(x, 3, axis=-1))


@pytest.mark.parametrize("call", [
    lambda x: tj.split(x, 3, axis=1),          # 4 is not divisible by 3
    lambda x: tj.split(x, [1, 1], axis=1),     # sizes do not add up
    lambda x: tj.split(x, [-1, -1], axis=1),   # two unknown sizes
    lambda x: tj.tile(x, [2]),                 # one multiple per axis
    lambda x: tj.repeat(x, [1, 2], axis=0),    # one count, or one per element
])
def test_split_tile_repeat_errors_are_tf_value_errors(call):
    with pytest.raises(ValueError) as info:
        call(tj.constant(_x34()))
    assert "fix" in str(info.value)


def test_split_tile_repeat_gradients_eagerly_and_under_jit():
    def loss(x):
        head, tail = tj.split(x, [1, 3], axis=1)
        return (tj.reduce_sum(tj.tile(x, [2, 1]) * tj.repeat(x, 2, axis=0))
                + tj.reduce_sum(tail ** 2) + tj.reduce_sum(head))

    x = _x34()
    tiled, repeated = np.tile(x, [2, 1]), np.repeat(x, 2, axis=0)
    want = np.zeros_like(x)
    for r in range(6):
        want[r % 3] += repeated[r]
        want[r // 2] += tiled[r]
    want += np.concatenate([np.ones((3, 1)), 2 * x[:, 1:]], axis=1)
    np.testing.assert_allclose(tj.grad(loss)(x).numpy(), want)
    np.testing.assert_allclose(tj.jit(tj.grad(loss))(x).numpy(), want)


def test_embedding_lookup_gathers_rows_and_clips_their_norm():
    table = _x34()
    ids = np.array([[2, 0], [1, 1]])
    np.testing.assert_array_equal(tj.nn.embedding_lookup(table, ids).numpy(), table[ids])
    clipped = tj.nn.embedding_lookup(table, ids, max_norm=5.0).numpy()
    norms = np.linalg.norm(table[ids], axis=-1, keepdims=True)
    np.testing.assert_allclose(clipped, table[ids] * np.minimum(1.0, 5.0 / norms))
    g = tj.grad(lambda t: tj.reduce_sum(tj.nn.embedding_lookup(t, ids)))(table).numpy()
    np.testing.assert_array_equal(g, np.bincount(ids.ravel(), minlength=3)[:, None]
                                  * np.ones((3, 4)))
    with pytest.raises((ValueError, IndexError)):
        tj.nn.embedding_lookup(table, [3])


def test_clip_by_value_follows_tensorflow():
    t = tj.constant([[-1.0, 2.0, 3.0], [4.0, 5.0, np.nan]])
    out = tj.clip_by_value(t, 1.0, 4.0)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 2.0, 3.0], [4.0, 4.0, np.nan]])
    assert out.dtype == np.float32
    ints = tj.clip_by_value(tj.constant([1, 5, 9]), 2, 6)
    np.testing.assert_array_equal(ints.numpy(), [2, 5, 6])
    assert ints.dtype == np.int32
    with pytest.raises(ValueError, match="clip_by_value"):
        tj.clip_by_value(tj.constant([1.0]), tj.constant([0.0, 0.0]), 2.0)


def test_unsupported_tensorflow_types_are_clear_errors():
    with pytest.raises(tj.UnsupportedTypeError, match="no SparseTensor"):
        tj.SparseTensor(indices=[[0, 0]], values=[1.0], dense_shape=[2, 2])
    with pytest.raises(NotImplementedError, match="no IndexedSlices"):
        tj.IndexedSlices([1.0], [0])
    with pytest.raises(tj.UnsupportedTypeError, match="strings.split"):
        tj.strings.split(["a b"])
    with pytest.raises(tj.DTypeError, match="strings"):
        tj.constant("text")


def test_eye_is_tensorflows_with_columns_batch_shape_and_dtype():
    square = tj.eye(3)
    assert square.dtype == tj.float32 and square.shape == (3, 3)
    np.testing.assert_array_equal(square.numpy(), np.eye(3, dtype=np.float32))
    wide = tj.linalg.eye(2, num_columns=4, batch_shape=[2, 3], dtype=tj.float64)
    assert wide.shape == (2, 3, 2, 4) and wide.dtype == tj.float64
    np.testing.assert_array_equal(wide.numpy()[1, 2], np.eye(2, 4))
    assert tj.eye(0).shape == (0, 0)
    traced = tj.jit(lambda x: x @ tj.eye(3, dtype=tj.float64))(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(traced.numpy(), np.arange(6.0).reshape(2, 3))
    for bad in (-1, 2.5, [2, 2]):
        with pytest.raises(ValueError, match="eye: num_rows must be a non-negative integer"):
            tj.eye(bad)
