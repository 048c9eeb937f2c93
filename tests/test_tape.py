"""GradientTape beyond the seed: structures, output_gradients, jacobians, nesting, control."""

import gc
import weakref

import numpy as np
import pytest

import tapejit as tj


def test_sources_keep_their_structure():
    a, b, c = tj.Variable(1.0), tj.Variable(2.0), tj.Variable(3.0)
    with tj.GradientTape() as tape:
        y = a * b * c
    g = tape.gradient(y, {"ab": (a, [b]), "c": c})
    assert isinstance(g["ab"], tuple) and isinstance(g["ab"][1], list)
    assert (float(g["ab"][0]), float(g["ab"][1][0]), float(g["c"])) == (6.0, 3.0, 2.0)


def test_nested_targets_are_summed():
    x = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        targets = [x * 1.0, {"k": (x * x, [x**3])}]
    assert float(tape.gradient(targets, x)) == 1 + 4 + 12


def test_output_gradients_weight_the_targets():
    x = tj.constant([1.0, 2.0, 3.0])
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=[1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0, 12.0])


def test_output_gradients_of_the_wrong_shape_are_rejected():
    x = tj.constant([1.0, 2.0])
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="shape"):
        tape.gradient(y, x, output_gradients=[1.0, 2.0, 3.0])


def test_the_same_source_twice_and_a_source_used_twice():
    x = tj.Variable(3.0)
    with tj.GradientTape() as tape:
        y = x * x + x
    g1, g2 = tape.gradient(y, [x, x])
    assert float(g1) == float(g2) == 7.0


def test_gradient_of_a_target_that_is_the_source():
    x = tj.constant([1.0, 2.0])
    with tj.GradientTape() as tape:
        tape.watch(x)
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])


def test_variable_read_before_and_after_assign_sums_both_reads():
    v = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        a = v * 3.0
        v.assign(5.0)
        b = v * v
        y = a + b
    assert float(tape.gradient(y, v)) == 3.0 + 10.0


def test_gradients_have_their_sources_dtype():
    x64 = tj.constant(np.array([1.0, 2.0]))
    x32 = tj.constant([1.0, 2.0])
    with tj.GradientTape() as tape:
        tape.watch([x64, x32])
        y = tj.reduce_sum(x64 * x32)
    g64, g32 = tape.gradient(y, [x64, x32])
    assert g64.dtype == np.float64 and g32.dtype == np.float32


def test_stop_recording():
    x = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        with tape.stop_recording():
            y = x * x
        z = x * 3.0
    assert tape.gradient(y, x) is None
    with tj.GradientTape() as tape:
        with tape.stop_recording():
            y = x * x
        z = x * 3.0
    assert float(tape.gradient(z, x)) == 3.0


def test_reset_forgets_what_was_recorded():
    x = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        y = x * x
        tape.reset()
        z = x * 3.0
    assert tape.gradient([y, z], x).numpy() == 3.0


def test_nested_tapes_give_second_derivatives():
    x = tj.Variable(1.5)
    with tj.GradientTape() as outer:
        with tj.GradientTape() as inner:
            y = tj.math.sin(x) * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    np.testing.assert_allclose(float(dy), np.cos(1.5) * 1.5 + np.sin(1.5), rtol=1e-6)
    np.testing.assert_allclose(float(d2y), -np.sin(1.5) * 1.5 + 2 * np.cos(1.5), rtol=1e-6)


def test_third_derivative_through_three_tapes():
    x = tj.constant(0.7, dtype=tj.float64)
    with tj.GradientTape() as t3:
        t3.watch(x)
        with tj.GradientTape() as t2:
            t2.watch(x)
            with tj.GradientTape() as t1:
                t1.watch(x)
                y = tj.math.exp(x * 2.0)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    np.testing.assert_allclose(float(d3), 8 * np.exp(1.4), rtol=1e-12)


def test_jacobian():
    x = tj.constant([1.0, 2.0, 3.0], dtype=tj.float64)
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = x[:, None] * x[None, :2]
    jac = tape.jacobian(y, x)
    assert jac.shape == (3, 2, 3)
    xs = np.array([1.0, 2.0, 3.0])
    expect = np.zeros((3, 2, 3))
    for i in range(3):
        for j in range(2):
            expect[i, j, i] += xs[j]
            expect[i, j, j] += xs[i]
    np.testing.assert_allclose(jac.numpy(), expect)


def test_jacobian_of_unconnected_source_is_zeros_in_either_mode_as_in_tf():
    x, z = tj.constant([1.0, 2.0]), tj.constant([3.0])
    with tj.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    for mode in (tj.UnconnectedGradients.NONE, tj.UnconnectedGradients.ZERO):
        zero = tape.jacobian(y, z, unconnected_gradients=mode)
        assert zero.dtype == np.float32
        np.testing.assert_array_equal(zero.numpy(), np.zeros((2, 1)))


def test_batch_jacobian():
    x = tj.constant(np.arange(6.0).reshape(2, 3))
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.math.sin(x)[:, :2] * x[:, 2:]
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 3)
    xs = np.arange(6.0).reshape(2, 3)
    for b in range(2):
        expect = np.zeros((2, 3))
        for j in range(2):
            expect[j, j] = np.cos(xs[b, j]) * xs[b, 2]
            expect[j, 2] = np.sin(xs[b, j])
        np.testing.assert_allclose(bj.numpy()[b], expect, rtol=1e-12)


def test_hessian_via_nested_jacobian():
    x = tj.constant(np.array([0.5, -1.0, 2.0]))
    with tj.GradientTape() as outer:
        outer.watch(x)
        with tj.GradientTape() as inner:
            inner.watch(x)
            y = tj.reduce_sum(x**3) + x[0] * x[1]
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)
    expect = np.diag(6 * np.array([0.5, -1.0, 2.0]))
    expect[0, 1] = expect[1, 0] = 1.0
    np.testing.assert_allclose(h.numpy(), expect)


def test_watch_rejects_non_tensors_and_accepts_structures():
    tape = tj.GradientTape()
    with pytest.raises(ValueError, match="not tf.Tensor") as info:  # TF's type and words
        tape.watch(np.ones(3))
    assert "tj.constant" in str(info.value)
    a, b = tj.constant(1.0), tj.constant(2.0)
    with tape:
        tape.watch({"a": a, "rest": [b]})
        y = a * b
    assert [float(g) for g in tape.gradient(y, [a, b])] == [2.0, 1.0]


def test_non_tensor_source_is_a_clear_error():
    x = tj.Variable(1.0)
    with tj.GradientTape() as tape:
        y = x * x
    with pytest.raises(TypeError, match="source #1 is a float"):
        tape.gradient(y, [x, 2.0])


def test_non_persistent_tape_releases_its_values():
    x = tj.Variable(np.ones(1000, np.float32))
    with tj.GradientTape() as tape:
        y = tj.math.sin(x)
        z = tj.reduce_sum(y * y)
    ref = weakref.ref(y)
    del y
    assert tape.residuals().nbytes > 0
    tape.gradient(z, x)
    gc.collect()
    assert ref() is None
    assert tape.residuals().nbytes == 0


def test_persistent_tape_keeps_values_until_deleted():
    x = tj.Variable(np.ones(10, np.float32))
    with tj.GradientTape(persistent=True) as tape:
        y = tj.math.sin(x)
        z = tj.reduce_sum(y)
    ref = weakref.ref(y)
    del y
    tape.gradient(z, x)
    gc.collect()
    assert ref() is not None
    report = tape.residuals()
    assert report.count == 2 and report.nbytes == 44 and "sin" in str(report)
    del tape
    gc.collect()
    assert ref() is None


def test_tape_shows_forward_and_backward_ir():
    x = tj.Variable([1.0, 2.0])
    with tj.GradientTape() as tape:
        y = tj.reduce_sum(tj.math.exp(x))
    ir = tape.lower(y, x)
    assert "exp" in str(ir.forward) and "mul" in str(ir.backward)
    assert float(tape.gradient(y, x)[0]) == pytest.approx(np.e)


def test_explain_names_each_reason():
    x0, frozen = tj.Variable(1.0, name="x0"), tj.Variable(1.0, name="frz", trainable=False)
    c, i = tj.constant(2.0), tj.constant(3)
    with tj.GradientTape(persistent=True) as tape:
        tape.watch(i)
        stopped = tj.stop_gradient(x0) * 2.0
        y = x0 * frozen * c + tj.cast(i, tj.float32)
    assert "not trainable" in tape.explain(frozen, y)
    assert "tape.watch" in tape.explain(c, y)
    assert "int32" in tape.explain(i, y)
    assert "connected" in tape.explain(x0, y)
    assert "stop_gradient" in tape.explain(x0, stopped)
    assert "test_tape.py" in tape.explain(x0, stopped)


def test_explain_after_a_non_persistent_gradient():
    x = tj.Variable(3.0, name="x")
    other = tj.Variable(1.0, name="other")
    with tj.GradientTape() as tape:
        other.assign(x * 2.0)
        y = other * other
    assert tape.gradient(y, x) is None
    assert "state of Variable 'other:0'" in tape.explain(x, y)


def test_debug_hint_for_none_gradients(capsys):
    x = tj.Variable(1.0, trainable=False)
    with tj.GradientTape() as tape:
        y = x * x
    tj.config.update("debug", 1)
    try:
        assert tape.gradient(y, x) is None
    finally:
        tj.config.update("debug", 0)
    assert "is None" in capsys.readouterr().out


def test_tapes_are_per_thread():
    import threading

    x = tj.Variable(2.0)
    results = {}
    with tj.GradientTape() as tape:
        def other():
            results["other"] = x * x  # recorded by no tape: this thread has none
        t = threading.Thread(target=other)
        t.start()
        t.join()
        y = x * 3.0
    assert tape.gradient([y, results["other"]], x).numpy() == 3.0


def test_an_array_modified_after_use_is_an_error_at_gradient():
    mask = np.array([1.0, 0.0, 2.0])
    x = tj.constant([1.0, 2.0, 3.0])
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.reduce_sum(x * mask)
    mask[1] = 5.0
    with pytest.raises(tj.TapeError) as info:
        tape.gradient(y, x)
    assert "modified in place" in str(info.value) and "x * mask" in str(info.value)


def test_assign_after_use_keeps_the_value_the_tape_saw():
    v = tj.Variable([1.0, 2.0])
    x = tj.constant([3.0, 4.0])
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = tj.reduce_sum(x * v)
    v.assign([10.0, 20.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0])


def test_a_ten_thousand_op_chain_differentiates_without_recursion():
    x = tj.constant(0.5, dtype=tj.float64)
    with tj.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(10_000):
            y = tj.math.sin(y) * 1.0001 + 0.001
    assert np.isfinite(float(tape.gradient(y, x)))


def test_a_watched_scalar_captured_by_a_staged_function_keeps_its_gradient():
    """Staging turns captured scalars into literals, except those a tape is watching."""
    assert float(tj.grad(lambda a: tj.jvp(lambda b: a * b, (2.0,), (1.0,))[1])(3.0)) == 1.0
    fwd = tj.grad(lambda a: tj.reduce_sum(
        tj.jacobian(lambda b: a * b * b, mode="fwd")(tj.constant([1.0, 2.0]))))
    assert float(fwd(3.0)) == 6.0
