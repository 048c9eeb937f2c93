"""Every behaviour of the GradientTape walkthrough (the seed), in tapejit's names."""

import numpy as np
import pytest

import tapejit as tj


def test_gradient_of_square_of_variable():
    x = tj.Variable(3.0)
    with tj.GradientTape() as tape:
        y = x**2
    g = tape.gradient(y, x)
    assert repr(g) == "<tj.Tensor: shape=(), dtype=float32, numpy=6.0>"


def test_affine_layer_gradients_have_source_shapes():
    w = tj.Variable(tj.random.normal((3, 2), seed=0), name="w")
    b = tj.Variable(tj.zeros(2, dtype=tj.float32), name="b")
    x = [[1.0, 2.0, 3.0]]
    with tj.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = tj.reduce_mean(y**2)
    dl_dw, dl_db = tape.gradient(loss, [w, b])
    assert w.name == "w:0" and repr(w).startswith("<tj.Variable 'w:0' shape=(3, 2) dtype=float32")
    y_np = np.array(x, np.float32) @ w.numpy() + b.numpy()
    expect_db = y_np[0]  # d mean(y^2)/dy = 2y/2
    np.testing.assert_allclose(dl_db.numpy(), expect_db, rtol=1e-6)
    np.testing.assert_allclose(dl_dw.numpy(), np.outer([1.0, 2.0, 3.0], expect_db), rtol=1e-6)
    assert dl_dw.shape == (3, 2) and dl_db.shape == (2,)
    grad = tape.gradient(loss, {"w": w, "b": b})
    np.testing.assert_allclose(grad["b"].numpy(), expect_db, rtol=1e-6)


def test_dense_layer_trainable_variables():
    layer = tj.layers.Dense(2, activation="relu")
    x = tj.constant([[1.0, 2.0, 3.0]])
    with tj.GradientTape() as tape:
        y = layer(x)
        loss = tj.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    names = [(v.name, g.shape) for v, g in zip(layer.trainable_variables, grad)]
    assert names == [("dense/kernel:0", (3, 2)), ("dense/bias:0", (2,))]


def test_what_the_tape_watches():
    x0 = tj.Variable(3.0, name="x0")
    x1 = tj.Variable(3.0, name="x1", trainable=False)
    x2 = tj.Variable(2.0, name="x2") + 1.0
    x3 = tj.constant(3.0, name="x3")
    with tj.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    assert [None if g is None else float(g) for g in grad] == [6.0, None, None, None]
    assert str(grad[0]) == "tj.Tensor(6.0, shape=(), dtype=float32)"
    assert [v.name for v in tape.watched_variables()] == ["x0:0"]

    with tj.GradientTape() as tape2:
        tape2.watch(x1)
        tape2.watch(x3)
        y = (x0**2) + (x1**2) + (x2**2)
    grad2 = tape2.gradient(y, [x0, x1, x2, x3])
    assert [None if g is None else float(g) for g in grad2] == [6.0, 6.0, None, None]


def test_watch_accessed_variables_false():
    x0 = tj.Variable(0.0)
    x1 = tj.Variable(10.0)
    with tj.GradientTape(watch_accessed_variables=False) as tape3:
        tape3.watch(x1)
        y0 = tj.math.sin(x0)
        y1 = tj.nn.softplus(x1)
        y = y0 + y1
        ys = tj.reduce_sum(y)
    grad3 = tape3.gradient(ys, {"x0": x0, "x1": x1})
    assert grad3["x0"] is None
    assert str(grad3["x1"]) == "tj.Tensor(0.9999546, shape=(), dtype=float32)"


def test_persistent_tape_and_intermediate_values():
    x = tj.constant([1, 3.0])
    with tj.GradientTape(persistent=True) as tape4:
        tape4.watch(x)
        y = x * x
        z = y * y
    np.testing.assert_array_equal(tape4.gradient(z, x).numpy(), [4.0, 108.0])
    np.testing.assert_array_equal(tape4.gradient(y, x).numpy(), [2.0, 6.0])
    del tape4


def test_several_targets_separately_and_summed():
    x = tj.Variable(2.0)
    with tj.GradientTape(persistent=True) as tape5:
        y0 = x**2
        y1 = 1 / x
    assert tape5.gradient(y0, x).numpy() == 4.0
    assert tape5.gradient(y1, x).numpy() == -0.25

    with tj.GradientTape() as tape6:
        y0 = x**2
        y1 = 1 / x
    assert tape6.gradient({"y0": y0, "y1": y1}, x).numpy() == 3.75


def test_non_scalar_target_sums():
    x = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        y = x * [3.0, 4.0]
    assert tape.gradient(y, x).numpy() == 7.0


def test_control_flow_picks_the_branch():
    x = tj.constant(1.5)
    v0 = tj.Variable(2.0)
    v1 = tj.Variable(2.0)
    with tj.GradientTape() as tape7:
        tape7.watch(x)
        if x > 1.0:
            result = 2 * v0
        else:
            result = v1**2
    dv0, dv1 = tape7.gradient(result, [v0, v1])
    assert str(dv0) == "tj.Tensor(2.0, shape=(), dtype=float32)" and dv1 is None


def test_values_that_went_through_numpy_have_no_gradient():
    x = tj.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tj.float32)
    with tj.GradientTape() as tape:
        tape.watch(x)
        x2 = x**2
        y1 = np.square(x2)  # a ufunc: NumPy computes it (np.mean would call x2.mean)
        y = tj.reduce_mean(y1, axis=0)
    assert tape.gradient(y, x) is None
    assert "NumPy" in tape.explain(x, y)


def test_integer_tensors_have_no_gradient():
    x = tj.constant(10)
    with tj.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert x.dtype == np.int32
    assert g.gradient(y, x) is None


def test_state_stops_gradients():
    x0 = tj.Variable(3.0)
    x1 = tj.Variable(0.0)
    with tj.GradientTape(persistent=True) as tape:
        x1.assign_add(x0)
        y = x1**2
    assert tape.gradient(y, x0) is None
    assert float(x1) == 3.0
    assert "state of Variable" in tape.explain(x0, y)


def test_unconnected_gradients_zero():
    x = tj.Variable([2.0, 2.0])
    y = tj.Variable(3.0)
    with tj.GradientTape() as tape:
        z = y**2
    g = tape.gradient(z, x, unconnected_gradients=tj.UnconnectedGradients.ZERO)
    assert str(g) == "tj.Tensor([0. 0.], shape=(2,), dtype=float32)"


def test_second_gradient_on_non_persistent_tape_raises():
    x = tj.Variable(2.0)
    with tj.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)
