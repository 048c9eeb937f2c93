"""Keras 3's loss classes: `loss(y_true, y_pred, sample_weight=None)` weights and reduces."""

from __future__ import annotations

from tapejit import ops
from tapejit.losses import functions as F
from tapejit.losses.reduction import reduce_weighted_values, standardize_reduction
from tapejit.module import keras_snake_case


class Loss:
    """Base class: subclasses define `call(y_true, y_pred)` giving per-sample losses.

    `reduction` is Keras 3's: "sum_over_batch_size" (the default: the weighted sum over the
    number of loss values), "sum", "mean" (the same as the default), "mean_with_sample_weight"
    (the weighted sum over the sum of the weights) or "none"/None. `dtype` casts y_pred first
    (Keras's floatx); None keeps y_pred's float dtype.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or keras_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.dtype is not None:
            y_pred = ops.cast(y_pred, self.dtype)
        losses, mask = self.call_with_mask(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction,
                                      type(self).__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def call_with_mask(self, y_true, y_pred):
        """Per-sample losses and the mask of the samples that count (None: all)."""
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}


class LossFunctionWrapper(Loss):
    """A Loss calling `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name, reduction, dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(F.mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(F.mean_absolute_error, reduction, name, dtype)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(F.huber, reduction, name, dtype, delta=delta)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(F.kl_divergence, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        F.check_label_smoothing(label_smoothing, "BinaryCrossentropy")
        super().__init__(F.binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        F.check_label_smoothing(label_smoothing, "CategoricalCrossentropy")
        super().__init__(F.categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Integer labels; with `ignore_class`, those samples count neither in the sum nor, for
    the mean reductions, in the divisor (Keras's mask)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(F.sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)

    def call_with_mask(self, y_true, y_pred):
        return F.sparse_crossentropy_with_mask(y_true, y_pred, **self._fn_kwargs)
