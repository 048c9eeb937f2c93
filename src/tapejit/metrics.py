"""tj.metrics: Keras 3's metrics: per-sample functions built from ops, and stateful classes
(`update_state`, `result`, `reset_state`) that accumulate eagerly in NumPy float64."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.losses.reduction import squeeze_or_expand_to_same_rank
from tapejit.ops.operands import float_operand
from tapejit.site import user_site
from tapejit.tensor import constant


def accuracy(y_true, y_pred):
    """1.0 where y_true == y_pred, else 0.0 (float32), elementwise."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where (y_pred > threshold) equals y_true, elementwise (Keras 3 takes no mean)."""
    y_pred = float_operand(ops.convert_to_tensor(y_pred), "binary_accuracy")
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.cast(ops.equal(y_true, predicted), "float32")


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_true) == argmax(y_pred) over the last axis."""
    matches = ops.equal(ops.argmax(y_true, -1), ops.argmax(y_pred, -1))
    return ops.cast(matches, "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals argmax(y_pred) over the last axis; labels of shape
    [batch] or [batch, 1]."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    predicted = ops.cast(ops.argmax(y_pred, -1), y_pred.dtype)
    matches = ops.equal(ops.cast(y_true, y_pred.dtype), predicted)
    return ops.cast(matches, "float32")


def _numpy(x) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)


def _same_rank(values: np.ndarray, weights: np.ndarray):
    values, weights = squeeze_or_expand_to_same_rank(constant(values), constant(weights))
    return values.numpy(), weights.numpy()


class Metric:
    """Base class: state accumulates across `update_state` calls until `reset_state`."""

    def __init__(self, name=None, dtype="float32"):
        self.name = name or type(self).__name__.lower()
        self.dtype = dtype
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def _value(self) -> float:
        raise NotImplementedError

    def result(self):
        """The metric so far, as a tensor of `dtype` (float32 by default, as Keras)."""
        return constant(self._value(), dtype=self.dtype)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()


class Mean(Metric):
    """The weighted mean of the values seen: sum(w * v) / sum(w), per sample as Keras
    (values with more axes than the weights are averaged over the extra axes first)."""

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values = _numpy(values)
        if sample_weight is None:
            samples = values.reshape(len(values), -1).mean(1) if values.ndim > 1 else values
            self.total += float(np.sum(samples))
            self.count += float(values.shape[0]) if values.ndim else 1.0
            return
        values, weights = _same_rank(values, _numpy(sample_weight))
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise op_error(ShapeError, type(self).__name__,
                           f"sample_weight of shape {list(weights.shape)} does not broadcast to "
                           f"the values of shape {list(values.shape)}",
                           "give one weight per sample, shape [batch]", user_site()) from None
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights.mean(axis=tuple(range(1, weights.ndim)))
                                   if weights.ndim > 1 else weights))

    def _value(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over everything seen."""

    def __init__(self, fn, name=None, dtype="float32", **kwargs):
        self.fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or fn.__name__, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        super().update_state(self.fn(y_true, y_pred, **self._fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype="float32"):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype="float32", threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype="float32"):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype="float32"):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class AUC(Metric):
    """Area under the ROC curve from confusion counts at `num_thresholds` thresholds
    (Keras's: -epsilon, 1/(n-1), ..., (n-2)/(n-1), 1+epsilon; a prediction p counts as
    positive at threshold t when p > t). The default summation_method="interpolation" is
    the trapezoidal rule on the (FPR, TPR) points; "minoring"/"majoring" take the lower/upper
    of each pair of heights. Only curve="ROC" is supported."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype="float32", from_logits=False):
        if num_thresholds <= 1:
            raise op_error(ValueError, "AUC", f"num_thresholds={num_thresholds} is too small",
                           "pass num_thresholds > 1", user_site())
        if curve != "ROC" or summation_method not in ("interpolation", "minoring", "majoring"):
            raise op_error(ValueError, "AUC",
                           f"curve={curve!r}, summation_method={summation_method!r} is not "
                           "supported", 'use curve="ROC" with summation_method "interpolation", '
                           '"minoring" or "majoring"', user_site())
        self.num_thresholds, self.summation_method = num_thresholds, summation_method
        self.from_logits = from_logits
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = np.array([-1e-7, *inner, 1 + 1e-7])
        super().__init__(name, dtype)

    def reset_state(self) -> None:
        n = self.num_thresholds
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def _predictions(self, y_pred, shape) -> np.ndarray:
        y_pred = _numpy(y_pred)
        if self.from_logits:
            y_pred = 1 / (1 + np.exp(-y_pred))
        if y_pred.shape != shape and y_pred.size != int(np.prod(shape)):
            raise op_error(ShapeError, "AUC", f"y_pred of shape {list(y_pred.shape)} does not "
                           f"match y_true of shape {list(shape)}",
                           "pass one prediction per label", user_site())
        if y_pred.size and (y_pred.min() < 0 or y_pred.max() > 1):
            raise op_error(ValueError, "AUC", "predictions must lie in [0, 1]",
                           "pass probabilities, or logits with AUC(from_logits=True)",
                           user_site())
        return y_pred.ravel()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        labels = _numpy(y_true)
        predictions = self._predictions(y_pred, labels.shape)
        weights = self._weights(sample_weight, labels.shape)
        labels = labels.ravel() > 0
        above = predictions[None, :] > self.thresholds[:, None]
        self.true_positives += (above & labels) @ weights
        self.false_positives += (above & ~labels) @ weights
        self.false_negatives += (~above & labels) @ weights
        self.true_negatives += (~above & ~labels) @ weights

    @staticmethod
    def _weights(sample_weight, shape) -> np.ndarray:
        """One weight per label: a weight per sample applies to all of its labels."""
        if sample_weight is None:
            return np.ones(int(np.prod(shape)))
        weights = _numpy(sample_weight)
        weights = weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))
        try:
            return np.broadcast_to(weights, shape).ravel()
        except ValueError:
            raise op_error(ShapeError, "AUC", f"sample_weight of shape {list(weights.shape)} "
                           f"does not broadcast to the labels of shape {list(shape)}",
                           "give one weight per sample or per label", user_site()) from None

    def _value(self) -> float:
        tp, fp = self.true_positives, self.false_positives
        tpr = _divide_no_nan(tp, tp + self.false_negatives)
        fpr = _divide_no_nan(fp, fp + self.true_negatives)
        pick = {"interpolation": lambda a, b: (a + b) / 2, "minoring": np.minimum,
                "majoring": np.maximum}[self.summation_method]
        return float(np.sum((fpr[:-1] - fpr[1:]) * pick(tpr[:-1], tpr[1:])))


def _divide_no_nan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.divide(x, y, out=np.zeros_like(x), where=y != 0)


__all__ = ["AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean",
           "MeanMetricWrapper", "Metric", "SparseCategoricalAccuracy", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"]
