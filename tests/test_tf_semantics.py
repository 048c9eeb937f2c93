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
