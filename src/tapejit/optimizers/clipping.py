"""Gradient clipping with Keras 3's and TF's formulas: per tensor norm, value, global norm."""

from __future__ import annotations

from tapejit import ops
from tapejit.errors import op_error
from tapejit.site import user_site


def clip_by_norm(grad, clip_norm: float):
    """Keras 3's clipnorm: grad * c / max(||grad||, c), the norm over the whole tensor."""
    l2norm = ops.sqrt(ops.reduce_sum(ops.square(grad)))
    return grad * clip_norm / ops.maximum(l2norm, clip_norm)


def clip_value(grad, clip_value: float):
    """Keras 3's clipvalue: each element into [-v, v]."""
    return ops.minimum(ops.maximum(grad, -clip_value), clip_value)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """TF's tf.clip_by_value: min(t, max) then max(., min), elementwise; Python bounds take
    t's dtype; bounds may broadcast to t's shape but not grow it."""
    t = ops.convert_to_tensor(t)
    clipped = ops.maximum(ops.minimum(t, _bound(clip_value_max, t)), _bound(clip_value_min, t))
    if tuple(clipped.shape) != tuple(t.shape):
        raise op_error(ValueError, "clip_by_value", f"the bounds broadcast t of shape "
                       f"{tuple(t.shape)} to {tuple(clipped.shape)}",
                       "give bounds that broadcast to t's shape", user_site())
    return clipped


def _bound(value, t):
    if isinstance(value, (int, float)):
        return ops.cast(ops.convert_to_tensor(value), t.dtype)
    return value


def global_norm(t_list):
    """TF's tf.linalg.global_norm: sqrt of the sum of every tensor's squares (None skipped)."""
    squares = [ops.reduce_sum(ops.square(ops.convert_to_tensor(t)))
               for t in t_list if t is not None]
    total = squares[0]
    for square in squares[1:]:
        total = total + square
    return ops.sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None):
    """TF's tf.clip_by_global_norm: (tensors scaled by clip_norm / max(global_norm, clip_norm),
    global_norm); None entries stay None; a non-finite norm makes every entry NaN."""
    t_list = list(t_list)
    if all(t is None for t in t_list):
        return t_list, None
    norm = global_norm(t_list) if use_norm is None else ops.convert_to_tensor(use_norm)
    scale = clip_norm * ops.minimum(1.0 / norm, 1.0 / clip_norm) + (norm - norm)
    clipped = [None if t is None else ops.convert_to_tensor(t) * ops.cast(scale, _dtype(t))
               for t in t_list]
    return clipped, norm


def _dtype(t):
    return ops.convert_to_tensor(t).dtype
