"""tj.nn's convolutions and pools and the Keras conv/pool layers against naive NumPy
references (tests/conv_reference.py), finite differences, and eager vs jit."""

import numpy as np
import pytest

import tapejit as tj
from tests.conv_reference import conv_reference, window_reference

RNG = np.random.default_rng(5)


def _same_pads(n, k, s, d=1):
    reach = (k - 1) * d + 1
    total = max((-(-n // s) - 1) * s + reach - n, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize("strides,padding,dilations", [
    (1, "SAME", None), (2, "SAME", None), ([1, 2, 3, 1], "VALID", None), (1, "SAME", 2),
    ((2, 1), [[0, 0], [1, 2], [0, 3], [0, 0]], None)])
def test_conv2d_matches_the_definition(strides, padding, dilations):
    x, w = RNG.normal(size=(2, 7, 6, 3)), RNG.normal(size=(3, 2, 3, 4))
    s = (strides,) * 2 if isinstance(strides, int) else tuple(strides)[-3:-1] if len(
        strides) == 4 else tuple(strides)
    d = (dilations or 1,) * 2
    if padding == "SAME":
        pads = tuple(_same_pads(n, k, si, di) for n, k, si, di in zip((7, 6), (3, 2), s, d))
    elif padding == "VALID":
        pads = ((0, 0), (0, 0))
    else:
        pads = tuple(tuple(p) for p in padding[1:3])
    got = tj.nn.conv2d(x, w, strides, padding, dilations=dilations).numpy()
    np.testing.assert_allclose(got, conv_reference(x, w, s, pads, (1, 1), d), rtol=1e-12,
                               atol=1e-12)


def test_grouped_conv2d_splits_channels_and_nchw_is_transposed_nhwc():
    x, w = RNG.normal(size=(2, 5, 5, 4)), RNG.normal(size=(3, 3, 2, 6))
    want = conv_reference(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), groups=2)
    np.testing.assert_allclose(tj.nn.conv2d(x, w, 1, "SAME").numpy(), want, rtol=1e-12)
    nchw = tj.nn.conv2d(np.transpose(x, (0, 3, 1, 2)), w, 1, "SAME", data_format="NCHW")
    np.testing.assert_allclose(nchw.numpy(), np.transpose(want, (0, 3, 1, 2)), rtol=1e-12)


def test_conv1d_matches_the_definition():
    x, w = RNG.normal(size=(3, 9, 2)), RNG.normal(size=(4, 2, 5))
    want = conv_reference(x, w, (2,), (_same_pads(9, 4, 2),), (1,), (1,))
    np.testing.assert_allclose(tj.nn.conv1d(x, w, 2, "SAME").numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("ksize,strides,padding", [(2, 2, "VALID"), (3, 2, "SAME"),
                                                   ((3, 2), (1, 3), "SAME")])
def test_pools_match_numpy_and_avg_same_counts_only_real_elements(ksize, strides, padding):
    x = RNG.normal(size=(2, 7, 6, 3))
    k = (ksize,) * 2 if isinstance(ksize, int) else ksize
    s = (strides,) * 2 if isinstance(strides, int) else strides
    pads = tuple(_same_pads(n, ki, si) if padding == "SAME" else (0, 0)
                 for n, ki, si in zip((7, 6), k, s))
    geometry = ((1,) + k + (1,), (1,) + s + (1,), ((0, 0),) + pads + ((0, 0),))
    want_max = window_reference(x, *geometry, np.max, -np.inf)
    counts = window_reference(np.ones((1, 7, 6, 1)), *geometry, np.sum, 0.0)
    want_avg = window_reference(x, *geometry, np.sum, 0.0) / counts
    np.testing.assert_array_equal(tj.nn.max_pool2d(x, ksize, strides, padding).numpy(),
                                  want_max)
    np.testing.assert_allclose(tj.nn.avg_pool2d(x, ksize, strides, padding).numpy(), want_avg,
                               rtol=1e-12)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    g = tj.grad(lambda x: tj.reduce_sum(tj.nn.max_pool2d(x, 2, 2, "VALID")))(x)
    np.testing.assert_array_equal(g.numpy().ravel(), [0.0, 1.0, 0.0, 0.0])


def _small_cnn(x, w1, w2):
    a = tj.nn.max_pool2d(tj.math.tanh(tj.nn.conv2d(x, w1, 1, "SAME")), 2, 2, "SAME")
    b = tj.nn.avg_pool2d(tj.nn.conv2d(a, w2, 2, "VALID", dilations=1), 2, 1, "SAME")
    return tj.reduce_sum(tj.math.sin(b))


def test_a_small_cnn_differentiates_twice_against_finite_differences():
    args = [RNG.normal(size=(2, 5, 5, 2)), RNG.normal(size=(3, 3, 2, 3)),
            RNG.normal(size=(2, 2, 3, 4))]
    tj.testing.check_grads(_small_cnn, args, order=2, seed=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jit_matches_eager_for_a_cnn_and_its_gradients(dtype):
    args = [RNG.normal(size=s).astype(dtype) for s in [(3, 6, 6, 2), (3, 3, 2, 3),
                                                        (2, 2, 3, 4)]]
    step = lambda *a: tj.value_and_grad(_small_cnn, (0, 1, 2))(*a)
    eager, jitted = step(*args), tj.jit(step)(*args)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for e, j in zip([eager[0], *eager[1]], [jitted[0], *jitted[1]]):
        assert j.dtype == dtype
        np.testing.assert_allclose(j.numpy(), e.numpy(), rtol=tol, atol=tol)


def test_conv2d_layer_is_keras_shaped_and_matches_the_definition():
    tj.layers.clear_session()
    layer = tj.layers.Conv2D(4, 3, strides=2, padding="same", groups=2, activation="relu",
                             bias_initializer="ones", dtype=np.float64)
    x = RNG.normal(size=(2, 7, 7, 6))
    y = layer(x).numpy()
    assert layer.kernel.shape == (3, 3, 3, 4) and layer.bias.shape == (4,)
    assert layer.kernel.name == "conv2d/kernel:0"
    w = layer.kernel.numpy()
    want = conv_reference(x, w, (2, 2), ((1, 1), (1, 1)), (1, 1), (1, 1), groups=2) + 1
    np.testing.assert_allclose(y, np.maximum(want, 0), rtol=1e-12)
    assert tj.layers.Conv2D(2, 1).name == "conv2d_1"


def test_conv1d_causal_pads_on_the_left_only():
    layer = tj.layers.Conv1D(2, 3, padding="causal", dilation_rate=2, use_bias=False,
                             dtype=np.float64)
    x = RNG.normal(size=(2, 8, 3))
    y = layer(x).numpy()
    want = conv_reference(x, layer.kernel.numpy(), (1,), ((4, 0),), (1,), (2,))
    np.testing.assert_allclose(y, want, rtol=1e-12)


def test_pooling_layers_follow_keras_defaults_and_aliases():
    assert tj.layers.MaxPool2D is tj.layers.MaxPooling2D
    assert tj.layers.AvgPool2D is tj.layers.AveragePooling2D
    pool = tj.layers.MaxPooling2D()
    assert pool.pool_size == (2, 2) and pool.strides == (2, 2) and pool.padding == "valid"
    assert pool.name.startswith("max_pooling2d")
    x = RNG.normal(size=(2, 5, 7, 3))
    np.testing.assert_array_equal(pool(x).numpy(), tj.nn.max_pool2d(x, 2, 2, "VALID").numpy())
    avg = tj.layers.AveragePooling2D(3, strides=1, padding="same")(x).numpy()
    np.testing.assert_allclose(avg, tj.nn.avg_pool2d(x, 3, 1, "SAME").numpy())
    assert tj.layers.MaxPooling1D()(x[:, 0]).shape == (2, 3, 3)
    np.testing.assert_allclose(tj.layers.GlobalAveragePooling2D()(x).numpy(), x.mean((1, 2)))
    np.testing.assert_allclose(tj.layers.GlobalMaxPooling2D(keepdims=True)(x).numpy(),
                               x.max((1, 2), keepdims=True))


def test_cnn_layer_gradients_are_the_same_eager_and_under_jit():
    tj.layers.clear_session()
    model = tj.layers.Sequential([
        tj.layers.Conv2D(4, 3, padding="same", activation="relu", dtype=np.float64),
        tj.layers.MaxPool2D(dtype=np.float64),
        tj.layers.Conv2D(4, 3, dtype=np.float64), tj.layers.GlobalAveragePooling2D(),
        tj.layers.Dense(3, dtype=np.float64)])
    x = RNG.normal(size=(4, 8, 8, 1))
    model(x)

    def grads(x):
        with tj.GradientTape() as tape:
            value = tj.reduce_mean(tj.math.square(model(x)))
        return value, tape.gradient(value, model.trainable_variables)

    eager = grads(x)
    jitted = tj.jit(grads)(x)
    np.testing.assert_allclose(jitted[0].numpy(), eager[0].numpy(), rtol=1e-12)
    for e, j in zip(eager[1], jitted[1]):
        np.testing.assert_allclose(j.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda: tj.nn.conv2d(np.ones((1, 4, 4, 3)), np.ones((2, 2, 2, 4)), 1, "SAME"),
    lambda: tj.nn.conv2d(np.ones((4, 4, 3)), np.ones((2, 2, 3, 4)), 1, "SAME"),
    lambda: tj.nn.conv2d(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 4)), 1, "FULL"),
    lambda: tj.nn.conv2d(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 4)), [1, 2, 2, 2], "SAME"),
    lambda: tj.nn.avg_pool2d(np.ones((1, 4, 4, 3)), 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
    lambda: tj.nn.max_pool2d(np.ones((4, 4)), 2, 2, "VALID"),
    lambda: tj.layers.Conv2D(3, 3, groups=2),
    lambda: tj.layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3))),
    lambda: tj.layers.MaxPooling2D(padding="full"),
])
def test_bad_arguments_are_clear_errors(call):
    with pytest.raises((tj.TapejitError, ValueError)) as info:
        call()
    assert "fix" in str(info.value), str(info.value)


def test_optional_oracle_jax_conv_and_pool_gradients():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    args = [RNG.normal(size=(2, 6, 6, 2)), RNG.normal(size=(3, 3, 2, 3)),
            RNG.normal(size=(2, 2, 3, 4))]

    def jax_cnn(x, w1, w2):
        lax, jnp = jax.lax, jax.numpy
        dims = ("NHWC", "HWIO", "NHWC")
        a = jnp.tanh(lax.conv_general_dilated(x, w1, (1, 1), "SAME", dimension_numbers=dims))
        a = lax.reduce_window(a, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "SAME")
        b = lax.conv_general_dilated(a, w2, (2, 2), "VALID", dimension_numbers=dims)
        return jnp.sum(b)

    def ours(x, w1, w2):
        a = tj.nn.max_pool2d(tj.math.tanh(tj.nn.conv2d(x, w1, 1, "SAME")), 2, 2, "SAME")
        return tj.reduce_sum(tj.nn.conv2d(a, w2, 2, "VALID"))

    want = jax.grad(jax_cnn, (0, 1, 2))(*args)
    got = tj.grad(ours, (0, 1, 2))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-10, atol=1e-12)


def test_the_conv_benchmark_reference_agrees_with_tapejit():
    """benchmarks/workloads/conv.py's hand-written NumPy step (the benchmark's check) is the
    gradient tapejit's jitted step computes."""
    from benchmarks.workloads import conv

    step, _, _ = conv._tapejit()
    arrays = conv.make_params(8) + conv.make_batch(8, 8)
    wide = [a.astype(np.float64) for a in arrays]
    loss, grads = conv.numpy_step(*wide)
    got_loss, got_grads = step(*wide)
    np.testing.assert_allclose(got_loss.numpy(), loss, rtol=1e-10)
    for g, want in zip(got_grads, grads):
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("x_shape,w_shape,params", [
    ((4, 9, 8, 4), (3, 2, 2, 6), ((2, 1), ((1, 2), (0, -1)), (2, 1), (1, 2), 2)),
    ((3, 40, 3), (5, 1, 6), ((2,), ((2, 2),), (1,), (1,), 3)),
    ((2, 3, 3, 2), (2, 2, 2, 3), ((1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1)),
    ((2, 6, 5, 8), (3, 3, 8, 4), ((1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 1))])
def test_jitted_convolutions_match_eager_on_both_numba_paths(x_shape, w_shape, params):
    """Many outputs (im2col rows) and few (batch and channels swapped), grouped and dilated,
    with their gradients (weight gradients have few outputs, input gradients many); the last
    case has channels enough to gather kernel rows as runs, the others tap by tap."""
    from tapejit.primitives.conv import conv_general_dilated

    x, w = RNG.normal(size=x_shape), RNG.normal(size=w_shape)
    step = tj.value_and_grad(
        lambda x, w: tj.reduce_sum(tj.math.sin(conv_general_dilated(x, w, *params))), (0, 1))
    eager, jitted = step(x, w), tj.jit(step)(x, w)
    for e, j in zip([eager[0], *eager[1]], [jitted[0], *jitted[1]]):
        np.testing.assert_allclose(j.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_convolutions_and_pools_of_any_configuration_share_one_kernel_text():
    """Strides, paddings, dilations, groups and windows are read from the size table, so the
    first tier's one-equation kernels (keyed by their text) compile once per dtype."""
    x, w = RNG.normal(size=(2, 8, 8, 4)), RNG.normal(size=(3, 3, 2, 4))
    convs = [lambda x, w: tj.nn.conv2d(x, w[..., :1, :], 1, "SAME"),
             lambda x, w: tj.nn.conv2d(x, w[..., :1, :], 2, "VALID", dilations=2)]
    pools = [lambda x, w: tj.nn.max_pool2d(x, 2, 2, "VALID"),
             lambda x, w: tj.nn.max_pool2d(x, 3, 1, "SAME")]
    for pair in (convs, pools):
        sources = [tj.jit(f).lower(x[..., :1], w).source for f in pair]
        assert "NumPy interpreter" not in sources[0]
        assert sources[0] == sources[1]


@pytest.mark.parametrize("threaded", [False, True])
def test_a_large_convolution_runs_its_chunks_in_parallel_only_in_a_threaded_text(threaded):
    """The kernel text depends on sizes only through the thresholds: in a text generated
    with threaded_convolutions (the variant a serial kernel hands over to) a convolution
    above its threshold runs its chunks in a prange, otherwise in a loop of its own, and the
    serial text says it declined one. A sibling text (compiled on a guess that other sizes
    may come) never threads one: each prange costs seconds of compile; a parallel kernel's
    sibling is the serial text."""
    from tapejit.backend.numba_cpu.codegen import generate, sibling

    w = np.ones((3, 3, 8, 16))
    small, big = (tj.jit(lambda x, w: tj.nn.conv2d(x, w, 1, "SAME")).lower(
        np.ones((n, 16, 16, 8)), w).fused for n in (4, 512))
    small_text = generate(small, threaded_convolutions=threaded)
    big_text = generate(big, threaded_convolutions=threaded)
    assert "conv_chunk(" in small_text.text and "prange(" not in small_text.text
    assert not small_text.serial_convolutions
    assert sibling(small, small_text) is None
    assert big_text.serial_convolutions == (not threaded)
    if not threaded:
        assert big_text.text == small_text.text
        return
    assert "conv_chunk(" in big_text.text and "prange(" in big_text.text
    assert sibling(big, big_text).text == small_text.text


@pytest.mark.parametrize("value,setting", [(None, None), ("", None), (" ", None), ("0", False),
                                           ("1", True), ("true", True)])
def test_the_parallel_convolutions_setting_is_automatic_unless_set(monkeypatch, value,
                                                                   setting):
    from tapejit.config import Config

    if value is None:
        monkeypatch.delenv("TAPEJIT_PARALLEL_CONVOLUTIONS", raising=False)
    else:
        monkeypatch.setenv("TAPEJIT_PARALLEL_CONVOLUTIONS", value)
    assert Config.from_env().parallel_convolutions is setting
