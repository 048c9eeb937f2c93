"""tj.losses and tj.metrics against NumPy references of Keras 3's formulas, their gradients
against finite differences, at extreme inputs, under tj.jit, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit.errors import DTypeError, ShapeError

EPS = 1e-7
B, C = 4, 3
RNG = np.random.default_rng(7)


# ----- NumPy references (float64), written from Keras 3's formulas -----------------------

def ref_mse(t, p):
    return np.mean((t - p) ** 2, -1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), -1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2), -1)


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), -1)


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        log_p, log_not_p = -np.logaddexp(0, -p), -np.logaddexp(0, p)
    else:
        q = np.clip(p, EPS, 1 - EPS)
        log_p, log_not_p = np.log(q), np.log(1 - q)
    return np.mean(-(t * log_p + (1 - t) * log_not_p), -1)


def ref_log_probs(p, from_logits):
    if from_logits:
        shifted = p - p.max(-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))


def ref_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / p.shape[-1]
    return -np.sum(t * ref_log_probs(p, from_logits), -1)


def ref_scce_with_mask(labels, p, from_logits=False, ignore_class=None):
    log_probs = ref_log_probs(p, from_logits)
    safe = np.where(labels == ignore_class, 0, labels) if ignore_class is not None else labels
    loss = -np.take_along_axis(log_probs, safe[..., None], -1)[..., 0]
    if ignore_class is None:
        return loss, None
    mask = labels != ignore_class
    return np.where(mask, loss, 0.0), mask


def ref_reduce(values, sample_weight, reduction, mask=None):
    """Keras 3's reduce_weighted_values for values of shape [batch] and weights [batch]."""
    weight = None if sample_weight is None else np.asarray(sample_weight, float)
    if mask is not None:
        m = mask.astype(float)
        if reduction in ("sum_over_batch_size", "mean") and m.sum():
            m = m * m.size / m.sum()
        weight = m if weight is None else weight * m
    if weight is not None:
        values = values * weight
    if reduction in ("none", None):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and weight is not None:
        return values.sum() / weight.sum()
    return values.sum() / values.size


# ----- cases: (name, class, kwargs, function, reference, y_true, y_pred) -----------------

def _probs(shape):
    return RNG.uniform(0.05, 0.95, shape)


def _one_hot(labels):
    return np.eye(C)[labels]


LABELS = np.array([0, 2, 1, 2])
CASES = [
    ("mse", tj.losses.MeanSquaredError, {}, tj.losses.mean_squared_error, ref_mse,
     RNG.normal(size=(B, C)), RNG.normal(size=(B, C))),
    ("mae", tj.losses.MeanAbsoluteError, {}, tj.losses.mean_absolute_error, ref_mae,
     RNG.normal(size=(B, C)), RNG.normal(size=(B, C))),
    ("huber", tj.losses.Huber, {"delta": 0.7}, tj.losses.huber, ref_huber,
     np.zeros((B, C)), np.array([[0.1, -0.3, 2.0], [1.5, -1.2, 0.2], [0.4, 3.0, -0.5],
                                 [-2.0, 0.6, 0.05]])),
    ("kld", tj.losses.KLDivergence, {}, tj.losses.kl_divergence, ref_kld,
     _probs((B, C)), _probs((B, C))),
    ("bce", tj.losses.BinaryCrossentropy, {"label_smoothing": 0.2}, tj.losses.binary_crossentropy,
     ref_bce, RNG.integers(0, 2, (B, C)).astype(float), _probs((B, C))),
    ("bce_logits", tj.losses.BinaryCrossentropy, {"from_logits": True},
     tj.losses.binary_crossentropy, ref_bce, RNG.uniform(0, 1, (B, C)),
     3 * RNG.normal(size=(B, C))),
    ("cce", tj.losses.CategoricalCrossentropy, {"label_smoothing": 0.1},
     tj.losses.categorical_crossentropy, ref_cce, _one_hot(LABELS), _probs((B, C))),
    ("cce_logits", tj.losses.CategoricalCrossentropy, {"from_logits": True},
     tj.losses.categorical_crossentropy, ref_cce, _one_hot(LABELS), 3 * RNG.normal(size=(B, C))),
    ("scce", tj.losses.SparseCategoricalCrossentropy, {},
     tj.losses.sparse_categorical_crossentropy, lambda t, p: ref_scce_with_mask(t, p)[0],
     LABELS, _probs((B, C))),
    ("scce_logits", tj.losses.SparseCategoricalCrossentropy, {"from_logits": True},
     tj.losses.sparse_categorical_crossentropy,
     lambda t, p, from_logits: ref_scce_with_mask(t, p, from_logits)[0],
     LABELS, 3 * RNG.normal(size=(B, C))),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
WEIGHTS = np.array([0.5, 2.0, 0.0, 1.5])


def _ids(cases):
    return [c[0] for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_function_form_gives_the_per_sample_loss(case):
    _, _, kwargs, fn, ref, y_true, y_pred = case
    got = fn(y_true, y_pred, **kwargs)
    assert isinstance(got, tj.Tensor) and got.dtype == np.float64 and got.shape == (B,)
    np.testing.assert_allclose(got.numpy(), ref(y_true, y_pred, **kwargs), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_class_form_weights_and_reduces_like_keras(case, reduction):
    _, cls, kwargs, _, ref, y_true, y_pred = case
    loss = cls(reduction=reduction, **kwargs)
    per_sample = ref(y_true, y_pred, **kwargs)
    for weight in (None, WEIGHTS, WEIGHTS[:, None]):
        got = loss(y_true, y_pred, sample_weight=weight)
        flat = None if weight is None else np.ravel(weight)
        want = ref_reduce(per_sample, flat, reduction)
        if reduction in ("none", None) and weight is not None and weight.ndim == 2:
            want = want[:, None]  # Keras expands the [batch] losses to the [batch, 1] weights
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-14)


def test_aliases_and_names_follow_keras():
    assert tj.losses.MSE is tj.losses.mse is tj.losses.mean_squared_error
    assert tj.losses.MAE is tj.losses.mae is tj.losses.mean_absolute_error
    assert tj.losses.KLD is tj.losses.kld is tj.losses.kl_divergence
    assert tj.losses.Huber().name == "huber_loss"
    assert tj.losses.BinaryCrossentropy().get_config()["reduction"] == "sum_over_batch_size"


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       "none"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_ignore_class_masks_samples_out_of_sum_and_divisor(from_logits, reduction):
    labels = np.array([[0, 2], [1, 2], [2, 0]])
    y_pred = _probs((3, 2, C)) if not from_logits else RNG.normal(size=(3, 2, C))
    loss = tj.losses.SparseCategoricalCrossentropy(from_logits, ignore_class=2,
                                                   reduction=reduction)
    values, mask = ref_scce_with_mask(labels, y_pred, from_logits, ignore_class=2)
    np.testing.assert_allclose(np.asarray(loss(labels, y_pred)),
                               ref_reduce(values, None, reduction, mask), rtol=1e-12)
    weights = np.array([[1.0], [0.5], [3.0]])
    np.testing.assert_allclose(np.asarray(loss(labels, y_pred, weights)),
                               ref_reduce(values, weights, reduction, mask), rtol=1e-12)


def test_sparse_labels_may_carry_a_trailing_axis_and_float_dtype():
    y_pred = _probs((B, C))
    want = ref_scce_with_mask(LABELS, y_pred)[0]
    for labels in (LABELS[:, None], LABELS.astype(np.float32)):
        np.testing.assert_allclose(
            tj.losses.sparse_categorical_crossentropy(labels, y_pred).numpy(), want, rtol=1e-12)


def test_float32_inputs_give_float32_losses_close_to_float64():
    _, cls, kwargs, _, ref, y_true, y_pred = CASES[7]
    got = cls(**kwargs)(y_true.astype(np.float32), y_pred.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), ref(y_true, y_pred, **kwargs).mean(), rtol=1e-5)


def test_zero_weights_give_zero_not_nan_and_dtype_casts_predictions():
    y_true, y_pred = RNG.normal(size=(B, C)), RNG.normal(size=(B, C))
    loss = tj.losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y_true, y_pred, sample_weight=np.zeros(B)).numpy() == 0.0
    as_float32 = tj.losses.MeanSquaredError(dtype="float32")(y_true, y_pred)
    assert as_float32.dtype == np.float32
    np.testing.assert_allclose(as_float32.numpy(), ref_mse(y_true, y_pred).mean(), rtol=1e-6)


def test_a_variable_under_gradient_tape_gets_the_same_gradient_as_tj_grad():
    y_true, y_pred = _one_hot(LABELS), RNG.normal(size=(B, C))
    loss = tj.losses.CategoricalCrossentropy(from_logits=True)
    weights = tj.Variable(y_pred)
    with tj.GradientTape() as tape:
        value = loss(y_true, weights)
    want = tj.grad(lambda p: loss(y_true, p))(tj.constant(y_pred))
    np.testing.assert_allclose(tape.gradient(value, weights).numpy(), want.numpy(), rtol=1e-12)


# ----- gradients -----------------------------------------------------------------------

def _finite_difference_check(f, x, rtol=1e-6):
    direction = RNG.normal(size=x.shape)
    g = tj.grad(f)(tj.constant(x)).numpy()
    h = 1e-6
    numeric = (f(tj.constant(x + h * direction)).numpy()
               - f(tj.constant(x - h * direction)).numpy()) / (2 * h)
    np.testing.assert_allclose(np.sum(g * direction), numeric, rtol=rtol, atol=1e-9)
    return g


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradient_matches_finite_differences(case):
    _, cls, kwargs, _, _, y_true, y_pred = case
    loss = cls(**kwargs)
    _finite_difference_check(lambda p: loss(y_true, p, sample_weight=WEIGHTS), y_pred)


def test_gradient_in_y_true_of_soft_labels_matches_finite_differences():
    y_pred = RNG.normal(size=(B, C))
    loss = tj.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    _finite_difference_check(lambda t: loss(t, y_pred), _probs((B, C)))


EXTREME_LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]])
EXTREME_PROBS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss, y_true, y_pred", [
    (tj.losses.BinaryCrossentropy(from_logits=True), np.array([[0., 1, 1], [1, 0, 1]]),
     EXTREME_LOGITS),
    (tj.losses.CategoricalCrossentropy(from_logits=True), np.eye(3)[[1, 0]], EXTREME_LOGITS),
    (tj.losses.SparseCategoricalCrossentropy(from_logits=True), np.array([1, 0]),
     EXTREME_LOGITS),
    (tj.losses.BinaryCrossentropy(), np.array([[0., 1, 1], [1, 0, 1]]), EXTREME_PROBS),
    (tj.losses.CategoricalCrossentropy(), np.eye(3)[[1, 0]], EXTREME_PROBS),
    (tj.losses.SparseCategoricalCrossentropy(), np.array([1, 0]), EXTREME_PROBS),
    (tj.losses.KLDivergence(), np.eye(3)[[1, 0]], EXTREME_PROBS),
], ids=["bce_logits", "cce_logits", "scce_logits", "bce", "cce", "scce", "kld"])
def test_losses_and_gradients_stay_finite_at_the_extremes(loss, y_true, y_pred, dtype):
    value, grad = tj.value_and_grad(lambda p: loss(y_true, p))(tj.constant(y_pred, dtype))
    assert np.isfinite(value.numpy()) and np.all(np.isfinite(grad.numpy()))
    assert grad.dtype == dtype


def test_probabilities_0_and_1_are_clipped_to_keras_epsilon():
    labels = np.array([[0., 1, 1], [1, 0, 1]])
    onehot = np.eye(3)[[1, 0]]
    for got, want in [
            (tj.losses.binary_crossentropy(labels, EXTREME_PROBS), ref_bce(labels, EXTREME_PROBS)),
            (tj.losses.categorical_crossentropy(onehot, EXTREME_PROBS),
             ref_cce(onehot, EXTREME_PROBS)),
            (tj.losses.sparse_categorical_crossentropy([1, 0], EXTREME_PROBS),
             ref_scce_with_mask(np.array([1, 0]), EXTREME_PROBS)[0]),
            (tj.losses.kl_divergence(onehot, EXTREME_PROBS), ref_kld(onehot, EXTREME_PROBS))]:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert np.isclose(ref_cce(onehot[:1], EXTREME_PROBS[:1])[0], -np.log(EPS))


def test_saturated_logits_give_the_limiting_gradient():
    """d BCE / d x = (sigmoid(x) - y) / n, which is exactly +-1/n or 0 at |x| = 1000."""
    labels = np.array([[0., 1, 1], [1, 0, 1]])
    grad = tj.grad(lambda x: tj.losses.BinaryCrossentropy(from_logits=True)(labels, x))(
        tj.constant(EXTREME_LOGITS))
    sig = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]])
    np.testing.assert_allclose(grad.numpy(), (sig - labels) / labels.size, atol=1e-15)


# ----- under tj.jit ----------------------------------------------------------------------

JIT_LOGITS, JIT_PROBS = 3 * RNG.normal(size=(B, C)), _probs((B, C))
JIT_CASES = [
    (tj.losses.BinaryCrossentropy(from_logits=True), _one_hot(LABELS), JIT_LOGITS),
    (tj.losses.BinaryCrossentropy(label_smoothing=0.1), _one_hot(LABELS), JIT_PROBS),
    (tj.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), _one_hot(LABELS),
     JIT_LOGITS),
    (tj.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2), LABELS,
     JIT_LOGITS),
]


@pytest.mark.parametrize("loss, y_true, y_pred", JIT_CASES,
                         ids=["bce_logits", "bce", "cce_logits", "scce_logits_ignore"])
def test_cross_entropy_and_gradient_agree_eager_and_under_jit(loss, y_true, y_pred):
    def weighted(p):
        return loss(y_true, p, sample_weight=WEIGHTS)

    eager_value, eager_grad = tj.value_and_grad(weighted)(tj.constant(y_pred))
    jit_value, jit_grad = tj.jit(tj.value_and_grad(weighted))(tj.constant(y_pred))
    np.testing.assert_allclose(jit_value.numpy(), eager_value.numpy(), rtol=1e-12)
    np.testing.assert_allclose(jit_grad.numpy(), eager_grad.numpy(), rtol=1e-12, atol=1e-15)


def test_sparse_categorical_accuracy_under_jit():
    got = tj.jit(tj.metrics.sparse_categorical_accuracy)(LABELS, tj.constant(JIT_LOGITS))
    np.testing.assert_array_equal(got.numpy(), np.argmax(JIT_LOGITS, -1) == LABELS)


# ----- errors ----------------------------------------------------------------------------

def test_a_traced_label_out_of_range_makes_its_loss_nan_not_zero():
    logits = np.zeros((3, 4), np.float32)
    loss = tj.jit(lambda y: tj.losses.sparse_categorical_crossentropy(
        y, logits, from_logits=True))(np.array([1, 4, -2], np.int32)).numpy()
    assert loss[0] == pytest.approx(np.log(4.0)) and np.isnan(loss[1]) and np.isnan(loss[2])
    ignored = tj.jit(lambda y: tj.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1)(y, logits))(np.array([1, -1, 2], np.int32))
    assert float(ignored.numpy()) == pytest.approx(np.log(4.0))


@pytest.mark.parametrize("call, kind, words", [
    (lambda: tj.losses.mean_squared_error(np.ones((2, 3)), np.ones((2, 4))), ShapeError,
     ["mean_squared_error", "[2, 3]", "[2, 4]"]),
    (lambda: tj.losses.BinaryCrossentropy()(np.ones((2, 3)), np.ones((3, 2))), ShapeError,
     ["binary_crossentropy", "same shape"]),
    (lambda: tj.losses.MeanSquaredError(reduction="avg"), ValueError,
     ["MeanSquaredError", "'avg'", "sum_over_batch_size"]),
    (lambda: tj.losses.CategoricalCrossentropy(label_smoothing=1.5), ValueError,
     ["CategoricalCrossentropy", "label_smoothing=1.5", "between 0 and 1"]),
    (lambda: tj.losses.binary_crossentropy(np.ones(2), np.ones(2), label_smoothing=-0.1),
     ValueError, ["binary_crossentropy", "outside [0, 1]"]),
    (lambda: tj.losses.sparse_categorical_crossentropy(np.ones((2, 3)), np.ones((2, 3))),
     ShapeError, ["sparse_categorical_crossentropy", "class id"]),
    (lambda: tj.losses.sparse_categorical_crossentropy(np.ones(2, bool), np.ones((2, 3))),
     DTypeError, ["sparse_categorical_crossentropy", "bool"]),
    (lambda: tj.losses.sparse_categorical_crossentropy([0, 3], np.ones((2, 3))),
     ValueError, ["sparse_categorical_crossentropy", "label value 3", "[0, 3)"]),
    (lambda: tj.losses.SparseCategoricalCrossentropy()([-1, 0], np.ones((2, 3))),
     ValueError, ["sparse_categorical_crossentropy", "label value -1", "ignore_class"]),
    (lambda: tj.losses.MeanAbsoluteError()(np.ones((4, 3)), np.ones((4, 3)), np.ones(3)),
     ShapeError, ["MeanAbsoluteError", "sample_weight", "[4]"]),
    (lambda: tj.losses.SparseCategoricalCrossentropy(ignore_class=0)(
        np.ones((3, 2), int), np.ones((3, 2, 4)), np.ones(3)),
     ShapeError, ["SparseCategoricalCrossentropy", "sample_weight", "[3, 2]"]),
    (lambda: tj.metrics.AUC()([0, 1], [0.5, 1.5]), ValueError, ["AUC", "[0, 1]", "from_logits"]),
])
def test_bad_input_names_the_loss_and_the_fix(call, kind, words):
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert "fix:" in message
    for word in words:
        assert word in message


# ----- metrics ---------------------------------------------------------------------------

def test_metric_functions_give_per_sample_float32_tensors():
    y_pred = RNG.normal(size=(B, C))
    want = (np.argmax(y_pred, -1) == LABELS).astype(np.float32)
    for got in (tj.metrics.sparse_categorical_accuracy(LABELS, y_pred),
                tj.metrics.sparse_categorical_accuracy(LABELS[:, None], y_pred),
                tj.metrics.categorical_accuracy(_one_hot(LABELS), y_pred)):
        assert got.dtype == np.float32 and got.shape == (B,)
        np.testing.assert_array_equal(got.numpy(), want)
    labels, probs = RNG.integers(0, 2, (B, C)), RNG.uniform(size=(B, C))
    got = tj.metrics.binary_accuracy(labels, probs, threshold=0.3)
    np.testing.assert_array_equal(got.numpy(), (labels == (probs > 0.3)).astype(np.float32))
    np.testing.assert_array_equal(tj.metrics.accuracy([1, 2, 3], [1, 0, 3]).numpy(), [1, 0, 1])
