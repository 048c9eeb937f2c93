"""tj.nn: activations and losses built from primitives."""

from __future__ import annotations

from tapejit import ops
from tapejit.math_more import log_sigmoid, log_softmax, softmax, softsign
from tapejit.ops import sigmoid, softplus, tanh
from tapejit.ops.convolution import (
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    convolution,
    max_pool,
    max_pool1d,
    max_pool2d,
)
from tapejit.ops.operands import float_operand


def relu(x):
    """max(x, 0); its derivative at 0 is 0 (as TF)."""
    x = ops.as_operand(x, "relu")
    return ops.where(x > 0, x, 0)


def relu6(x):
    x = float_operand(x, "relu6")
    return ops.where(x > 0, ops.where(x < 6, x, 6), 0)


def leaky_relu(x, alpha: float = 0.2):
    x = float_operand(x, "leaky_relu")
    return ops.where(x > 0, x, x * alpha)


def elu(x):
    x = float_operand(x, "elu")
    return ops.where(x > 0, x, ops.expm1(ops.where(x > 0, 0, x)))


def selu(x):
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    x = float_operand(x, "selu")
    return ops.where(x > 0, x, ops.expm1(ops.where(x > 0, 0, x)) * alpha) * scale


def silu(x):
    """x * sigmoid(x) (a.k.a. swish)."""
    x = float_operand(x, "silu")
    return x * sigmoid(x)


swish = silu


def gelu(x):
    """Gaussian error linear unit, in its tanh approximation."""
    x = float_operand(x, "gelu")
    inner = (x + x * x * x * 0.044715) * 0.7978845608028654
    return x * (tanh(inner) + 1) * 0.5


def softmax_cross_entropy_with_logits(labels, logits, axis: int = -1):
    """-sum(labels * log_softmax(logits)) along `axis`."""
    logits = float_operand(logits, "softmax_cross_entropy_with_logits")
    return -ops.reduce_sum(ops.cast(labels, logits.dtype) * log_softmax(logits, axis), axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits):
    """Cross-entropy with integer class labels of shape logits.shape[:-1]."""
    logits = float_operand(logits, "sparse_softmax_cross_entropy_with_logits")
    return softmax_cross_entropy_with_logits(one_hot(labels, logits.shape[-1], logits.dtype),
                                             logits)


def sigmoid_cross_entropy_with_logits(labels, logits):
    """Elementwise binary cross-entropy, stable for large |logits|."""
    logits = float_operand(logits, "sigmoid_cross_entropy_with_logits")
    labels = ops.cast(labels, logits.dtype)
    return ops.maximum(logits, 0) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))


def one_hot(indices, depth: int, dtype=None, on_value=None, off_value=None, axis=None):
    """tj.one_hot (TF's tf.one_hot), keeping this name's (indices, depth, dtype) order."""
    return ops.one_hot(indices, depth, on_value, off_value, axis, dtype)


def embedding_lookup(params, ids, max_norm=None, name=None):
    return ops.embedding_lookup(params, ids, max_norm, name)


def l2_loss(x):
    return ops.reduce_sum(ops.square(x)) / 2


__all__ = ["avg_pool", "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "convolution",
           "max_pool", "max_pool1d", "max_pool2d",
           "elu", "embedding_lookup", "gelu", "l2_loss", "leaky_relu", "log_sigmoid",
           "log_softmax", "one_hot", "relu", "relu6", "selu", "sigmoid",
           "sigmoid_cross_entropy_with_logits", "silu",
           "softmax", "softmax_cross_entropy_with_logits", "softplus", "softsign",
           "sparse_softmax_cross_entropy_with_logits", "swish", "tanh"]
