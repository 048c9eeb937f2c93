"""Tensor, Variable and constant: dtype policy, operators, conversions, printing."""

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp


def test_dtype_policy():
    assert tj.constant(1.0).dtype == np.float32
    assert tj.constant(1).dtype == np.int32
    assert tj.constant([[1, 2]]).dtype == np.int32
    assert tj.constant(np.float64(1.0)).dtype == np.float64
    assert tj.constant(np.ones(2, np.float16)).dtype == np.float16
    assert tj.Variable(2.0).dtype == np.float32
    assert tj.constant(True).dtype == np.bool_


def test_python_scalars_adopt_the_tensor_dtype():
    x64 = tj.constant(np.array([1.0]))
    assert (x64 * 2.5).dtype == np.float64
    assert (tj.constant([1, 2]) * 2).dtype == np.int32
    assert (tj.constant([1, 2]) * 2.5).dtype == np.float32
    assert (tj.constant([1.0], dtype=tj.float16) + 1).dtype == np.float16


def test_mixed_dtypes_promote():
    f32, f64, i32 = tj.constant([1.0]), tj.constant(np.array([1.0])), tj.constant([1])
    assert (f32 + f64).dtype == np.float64
    assert (i32 + f32).dtype == np.float32
    assert (i32 / i32).dtype == np.float32


def test_reflected_operators_and_numpy_operands():
    w = tj.Variable(np.eye(3, dtype=np.float32))
    assert ([[1.0, 2.0, 3.0]] @ w).shape == (1, 3)
    assert isinstance(np.ones(3, np.float32) + tj.constant([1.0, 2.0, 3.0]), tj.Tensor)
    assert float(2.0 - tj.constant(0.5)) == 1.5
    assert float(2.0 / tj.constant(0.5)) == 4.0
    assert float(2.0 ** tj.constant(3.0)) == 8.0
    assert float(-tj.constant(1.0)) == -1.0


def test_numpy_functions_take_tensors_and_return_arrays():
    t = tj.constant([1.0, 2.0])
    out = np.mean(t)
    assert isinstance(out, np.floating) and out == 1.5
    assert isinstance(np.exp(t), np.ndarray)
    for fn in (np.sum, np.max, np.std, np.cumsum, np.round, np.transpose, np.ravel):
        assert not isinstance(fn(t), tj.Tensor), fn  # NumPy's answer, not a recorded op
    arr = np.asarray(t)
    with pytest.raises(ValueError):
        arr[0] = 5.0  # the tensor's data is not writable through the view
    assert t.numpy()[0] == 1.0


def test_repr_and_str():
    assert repr(tj.constant(6.0)) == "<tj.Tensor: shape=(), dtype=float32, numpy=6.0>"
    assert repr(tj.constant([1.0, 2.0])) == (
        "<tj.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>")
    assert str(tj.constant([0.0, 0.0])) == "tj.Tensor([0. 0.], shape=(2,), dtype=float32)"
    assert repr(tj.Variable(1.0, name="w")).startswith("<tj.Variable 'w:0' shape=() dtype=float32")
    assert tj.Variable(1.0).name == "Variable:0"
    assert f"{tj.constant(1.25):.1f}" == "1.2"


def test_concrete_scalars_convert_for_python_control_flow():
    x = tj.constant(1.5)
    assert bool(x > 1.0) and float(x) == 1.5 and int(tj.constant(3)) == 3
    assert [1, 2, 3][tj.constant(1)] == 2


def test_variable_assign_methods():
    v = tj.Variable([1.0, 2.0])
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(tj.constant([0.5, 0.5]))
    np.testing.assert_array_equal(v.numpy(), [3.5, 4.5])
    assert v.assign(v * 2) is v


def test_indexing_and_iteration():
    x = tj.constant(np.arange(12.0).reshape(3, 4))
    ref = np.arange(12.0).reshape(3, 4)
    for index in [1, -1, (1, 2), (slice(None), 1), (Ellipsis, None, slice(None, None, -1)),
                  (slice(2, 0, -1), slice(1, None, 2)), (None, 0)]:
        np.testing.assert_array_equal(x[index].numpy(), ref[index])
    assert [float(r[0]) for r in x] == [0.0, 4.0, 8.0]
    assert len(x) == 3


def test_numpy_namespace():
    a = tnp.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(tnp.sum(a, axis=0).numpy(), [4.0, 6.0])
    np.testing.assert_allclose(tnp.mean(a).numpy(), 2.5)
    np.testing.assert_allclose(tnp.dot(a, a).numpy(), np.array([[7.0, 10.0], [15.0, 22.0]]))
    np.testing.assert_allclose(tnp.clip(a, 1.5, 3.5).numpy(), [[1.5, 2.0], [3.0, 3.5]])
    np.testing.assert_allclose(tnp.logaddexp(a, a).numpy(), np.logaddexp(a.numpy(), a.numpy()),
                               rtol=1e-6)


def test_creation_functions():
    assert tj.zeros((2, 3)).shape == (2, 3) and tj.ones(2).dtype == np.float32
    assert tj.zeros_like(tj.constant([1, 2])).dtype == np.int32
    assert float(tj.reduce_sum(tj.ones_like(tj.constant([1.0, 2.0])))) == 2.0
    assert tj.fill((2,), 7).dtype == np.int32
    n = tj.random.normal((1000,), seed=0)
    assert n.dtype == np.float32 and abs(float(tj.reduce_mean(n))) < 0.2


def test_nn_functions_match_numpy():
    x = np.linspace(-3, 3, 7)
    t = tj.constant(x)
    softmax = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(tj.nn.softmax(t).numpy(), softmax, rtol=1e-12)
    np.testing.assert_allclose(tj.nn.log_softmax(t).numpy(), np.log(softmax), rtol=1e-12)
    np.testing.assert_allclose(tj.nn.relu(t).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(tj.nn.softplus(tj.constant(np.array([-800.0, 0.0, 800.0])))
                               .numpy(), [0.0, np.log(2.0), 800.0])
    np.testing.assert_allclose(tj.nn.sigmoid(tj.constant(np.array([-800.0, 800.0]))).numpy(),
                               [0.0, 1.0])
    labels = np.array([2, 0])
    logits = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])
    xent = tj.nn.sparse_softmax_cross_entropy_with_logits(labels, logits).numpy()
    expect = -np.log(np.exp(logits[[0, 1], [2, 0]]) / np.exp(logits).sum(1))
    np.testing.assert_allclose(xent, expect, rtol=1e-12)


def test_relu_and_abs_subgradients_at_zero():
    x = tj.constant(np.zeros(2))
    with tj.GradientTape(persistent=True) as tape:
        tape.watch(x)
        r, a = tj.nn.relu(x), tj.math.abs(x)
    np.testing.assert_array_equal(tape.gradient(r, x).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tape.gradient(a, x).numpy(), [0.0, 0.0])


def test_module_collects_variables():
    class Model(tj.Module):
        def __init__(self):
            super().__init__()
            self.l1 = tj.layers.Dense(4, activation="tanh", name="l1")
            self.l2 = tj.layers.Dense(1, name="l2")
            self.scale = tj.Variable(1.0, trainable=False, name="scale")

        def __call__(self, x):
            return self.l2(self.l1(x)) * self.scale

    m = Model()
    m(tj.ones((2, 3)))
    assert [v.name for v in m.trainable_variables] == [
        "l1/kernel:0", "l1/bias:0", "l2/kernel:0", "l2/bias:0"]
    assert [v.name for v in m.non_trainable_variables] == ["scale:0"]
    assert m.name == "model"


def test_python_scalars_keep_their_bits_through_the_conversion_cache():
    from tapejit.ops import operands
    x = tj.constant(np.float32(2.0))
    for _ in range(2):  # the second time from the cache
        assert np.signbit((x * -0.0).numpy()) and not np.signbit((x * 0.0).numpy())
        assert (x * 0.1).numpy() == np.float32(2.0) * np.float32(0.1)
        assert (x + 1).numpy() == (x + 1.0).numpy() == np.float32(3.0)
        assert (tj.constant(2.0, tj.float64) * 0.1).numpy() == 2.0 * 0.1
    for k in range(3 * operands._FLOAT_SCALARS_KEPT):
        assert (x * (k + 0.5)).numpy() == np.float32(2.0) * np.float32(k + 0.5)
    assert all(len(kept) <= operands._FLOAT_SCALARS_KEPT
               for kept in operands._FLOAT_SCALARS.values())
