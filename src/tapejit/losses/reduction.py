"""Keras 3's weighting and reduction of per-sample losses (sample weights, masks, reductions)."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.site import user_site

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
_MEANS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction, op: str):
    if reduction not in REDUCTIONS:
        raise op_error(ValueError, op, f"unknown reduction={reduction!r}",
                       f"pass one of {list(REDUCTIONS)}", user_site())
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Keras's rank fix-up: a trailing size-1 axis is dropped (or, for rank 1, added) when the
    ranks differ by exactly one."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, ops.expand_dims(x2, -1)
        return ops.squeeze(x1, -1), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return ops.expand_dims(x1, -1), x2
        return x1, ops.squeeze(x2, -1)
    return x1, x2


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _divide_no_nan(x, y):
    zero = ops.equal(y, 0)
    return ops.where(zero, 0, x / ops.where(zero, 1, y))


def _mask_as_weight(mask, dtype, reduction):
    """A mask as sample weights; for the means valid entries weigh total/valid (Keras)."""
    mask = ops.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * _divide_no_nan(ops.cast(_size(mask.shape), dtype), ops.reduce_sum(mask))
    return mask


def _check_weights(weights, shape, op: str) -> None:
    try:
        fits = np.broadcast_shapes(tuple(shape), tuple(weights.shape)) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise op_error(ShapeError, op,
                       f"sample_weight of shape {list(weights.shape)} does not broadcast "
                       f"to the per-sample losses of shape {list(shape)}",
                       "give one weight per sample (shape [batch] or [batch, 1]) or one per "
                       "loss value", user_site())


def _weight(values, sample_weight, op: str):
    sample_weight = ops.cast(sample_weight, values.dtype)
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    _check_weights(sample_weight, values.shape, op)
    return values * sample_weight, sample_weight


def reduce_values(values, sample_weight, reduction):
    if reduction in ("none", None) or tuple(values.shape) in ((), (0,)):
        return values
    loss = ops.reduce_sum(values)
    if reduction not in _MEANS:
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = ops.reduce_sum(ops.broadcast_to(sample_weight, values.shape))
        return _divide_no_nan(loss, divisor)
    return loss / float(max(_size(values.shape), 1))  # an empty batch sums to 0


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", op: str = "loss"):
    """Weights `values` by `sample_weight` and `mask`, then applies `reduction` (Keras 3)."""
    if mask is not None:
        mask = _mask_as_weight(mask, values.dtype, reduction)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, values.dtype)
            mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
            _check_weights(sample_weight, mask.shape, op)
            sample_weight = sample_weight * mask
        else:
            sample_weight = mask
    if sample_weight is not None:
        values, sample_weight = _weight(values, sample_weight, op)
    return reduce_values(values, sample_weight, reduction)
