"""Keras 3's loss functions: `fn(y_true, y_pred)` gives the per-sample loss (no reduction)."""

from __future__ import annotations

from tapejit import ops
from tapejit.errors import DTypeError, ShapeError, op_error
from tapejit.losses.reduction import squeeze_or_expand_to_same_rank
from tapejit.nn import log_softmax, sigmoid_cross_entropy_with_logits
from tapejit.ops.index_values import is_traced
from tapejit.ops.operands import float_operand
from tapejit.site import user_site

EPSILON = 1e-7  # keras.config.epsilon()


def _pair(y_true, y_pred, op: str, same_rank: bool = True):
    """y_pred as a float tensor and y_true cast to its dtype (Keras's conversion)."""
    y_pred = float_operand(ops.convert_to_tensor(y_pred), op)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    if same_rank:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def _same_shape(y_true, y_pred, op: str) -> None:
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise op_error(ShapeError, op,
                       f"y_true of shape {list(y_true.shape)} and y_pred of shape "
                       f"{list(y_pred.shape)} differ",
                       "pass labels and predictions of the same shape (a trailing axis of size "
                       "1 may be added or dropped)", user_site())


def check_label_smoothing(label_smoothing, op: str) -> None:
    if not 0 <= label_smoothing <= 1:
        raise op_error(ValueError, op, f"label_smoothing={label_smoothing!r} is outside [0, 1]",
                       "pass a label_smoothing between 0 and 1", user_site())


def clip(x, low, high):
    """x limited to [low, high]; the gradient passes inside (ends included), 0 outside (TF)."""
    return ops.where(ops.less(x, low), low, ops.where(ops.greater(x, high), high, x))


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)**2, axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    _same_shape(y_true, y_pred, "mean_squared_error")
    return ops.reduce_mean(ops.square(y_true - y_pred), -1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|, axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    _same_shape(y_true, y_pred, "mean_absolute_error")
    return ops.reduce_mean(ops.abs(y_true - y_pred), -1)


def huber(y_true, y_pred, delta: float = 1.0):
    """mean over the last axis of 0.5*e**2 where |e| <= delta, else delta*|e| - 0.5*delta**2."""
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    _same_shape(y_true, y_pred, "huber")
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = ops.square(error) * 0.5
    linear = abs_error * delta - 0.5 * delta * delta
    return ops.reduce_mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), -1)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1]."""
    y_true, y_pred = _pair(y_true, y_pred, "kl_divergence", same_rank=False)
    _same_shape(y_true, y_pred, "kl_divergence")
    y_true, y_pred = clip(y_true, EPSILON, 1), clip(y_pred, EPSILON, 1)
    return ops.reduce_sum(y_true * ops.log(y_true / y_pred), -1)


def _binary_crossentropy_elementwise(y_true, y_pred, from_logits: bool):
    if from_logits:
        return sigmoid_cross_entropy_with_logits(y_true, y_pred)
    y_pred = clip(y_pred, EPSILON, 1 - EPSILON)
    return -(y_true * ops.log(y_pred) + (1 - y_true) * ops.log(1 - y_pred))


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Mean over `axis` of -(y*log(p) + (1-y)*log(1-p)); from logits in the softplus form,
    from probabilities with p clipped to [epsilon, 1 - epsilon]."""
    check_label_smoothing(label_smoothing, "binary_crossentropy")
    y_true, y_pred = _pair(y_true, y_pred, "binary_crossentropy", same_rank=False)
    _same_shape(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.reduce_mean(_binary_crossentropy_elementwise(y_true, y_pred, from_logits), axis)


def _log_probabilities(y_pred, from_logits: bool, axis: int):
    if from_logits:
        return log_softmax(y_pred, axis)
    y_pred = y_pred / ops.reduce_sum(y_pred, axis, keepdims=True)
    return ops.log(clip(y_pred, EPSILON, 1 - EPSILON))


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """-sum(y_true * log(p), axis): log-softmax from logits; probabilities are normalised
    along `axis` and clipped to [epsilon, 1 - epsilon]."""
    check_label_smoothing(label_smoothing, "categorical_crossentropy")
    y_true, y_pred = _pair(y_true, y_pred, "categorical_crossentropy", same_rank=False)
    _same_shape(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -ops.reduce_sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis)


def _sparse_labels(y_true, y_pred, axis: int, op: str):
    """Integer labels of y_pred's shape without `axis` (a trailing size-1 axis is dropped)."""
    y_true = ops.convert_to_tensor(y_true)
    if y_true.dtype.kind not in "iuf":
        raise op_error(DTypeError, op, f"expects class indices, got {y_true.dtype.name} labels",
                       "pass integer class ids, one per sample", user_site())
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    axis = axis % len(y_pred.shape)
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != axis)
    if tuple(y_true.shape) != expected:
        raise op_error(ShapeError, op,
                       f"y_true of shape {list(y_true.shape)} does not match y_pred of shape "
                       f"{list(y_pred.shape)} without its class axis {axis}",
                       f"pass one integer class id per sample, shape {list(expected)}",
                       user_site())
    return ops.cast(y_true, "int64"), axis


def sparse_crossentropy_with_mask(y_true, y_pred, from_logits=False, ignore_class=None,
                                  axis=-1):
    """The per-sample sparse cross-entropy and the mask of samples not labelled
    `ignore_class` (None without one)."""
    op = "sparse_categorical_crossentropy"
    y_pred = float_operand(ops.convert_to_tensor(y_pred), op)
    labels, axis = _sparse_labels(y_true, y_pred, axis, op)
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(labels, ignore_class)
        labels = ops.where(valid, labels, 0)
        y_pred = ops.where(ops.expand_dims(valid, axis), y_pred, 1)  # finite, then masked
    classes = y_pred.shape[axis]
    in_range = _labels_in_range(labels, classes, op)
    one_hot = ops.one_hot(labels, classes, axis=axis, dtype=y_pred.dtype)
    loss = -ops.reduce_sum(one_hot * _log_probabilities(y_pred, from_logits, axis), axis)
    loss = ops.where(in_range, loss, float("nan"))
    return (loss, None) if valid is None else (ops.where(valid, loss, 0), valid)


def _labels_in_range(labels, classes: int, op: str):
    """Whether each label is a class id in [0, classes). Known labels out of range raise (as
    TF's); traced ones (under jit) make their samples' losses NaN, never a silent 0."""
    in_range = ops.logical_and(labels >= 0, labels < classes)
    if not is_traced(in_range) and not in_range.numpy().all():
        bad = labels.numpy()[~in_range.numpy()]
        raise op_error(ValueError, op, f"label value {int(bad[0])} is outside the valid "
                       f"range of [0, {classes})", f"pass class ids in [0, {classes}), or "
                       "mark samples to skip with ignore_class", user_site())
    return in_range


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class=None, axis: int = -1):
    """Categorical cross-entropy with integer class ids; samples labelled `ignore_class`
    get loss 0."""
    return sparse_crossentropy_with_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kl_divergence
