"""Samplers that take a key first, with JAX's signatures and defaults: uniform, normal,
bernoulli, randint, gumbel, categorical and permutation. Everything is computed from
Threefry bits by ordinary ops, so a key gives the same numbers eagerly and under jit."""

from __future__ import annotations

import math

import numpy as np

from tapejit import dtypes, ops
from tapejit.errors import DTypeError, ShapeError, op_error
from tapejit.primitives.sort import argsort, permute_along_axis
from tapejit.random.keys import as_key, bits, split
from tapejit.site import user_site
from tapejit.tensor import Tensor, constant


def static_shape(shape, op: str) -> tuple[int, ...]:
    """A shape given as a sequence of ints (or an int array), as a tuple."""
    if isinstance(shape, Tensor):
        shape = shape.numpy()
    try:
        return tuple(int(n) for n in np.asarray(shape).reshape(-1))
    except (TypeError, ValueError) as exc:
        raise op_error(ShapeError, f"random.{op}", f"shape {shape!r} is not a sequence of "
                       "ints", "pass a tuple such as (3, 2)", user_site()) from exc


def _float_dtype(dtype, op: str) -> np.dtype:
    dtype = dtypes.canonical(dtype, f"random.{op}")
    if dtype.kind != "f":
        raise op_error(DTypeError, f"random.{op}", f"dtype {dtype} is not a float dtype",
                       "pass dtype=tj.float32 or tj.float64", user_site())
    return dtype


def unit_floats(key, shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    """Floats in [0, 1) from the top mantissa bits of random words, as JAX's `uniform`
    (bits >> (32 - mantissa) scaled by 2**-mantissa, which equals JAX's exponent trick)."""
    if dtype.itemsize == 8:
        words = bits(key, (2,) + shape)
        high, low = ops.cast(words[0], dtype), ops.cast(words[1] // 4096, dtype)
        return high * 2.0**-32 + low * 2.0**-52
    mantissa = np.finfo(dtype).nmant
    top = bits(key, shape) // (2 ** (32 - mantissa))
    return ops.cast(top, dtype) * (2.0 ** -mantissa)


def uniform(key, shape=(), dtype=dtypes.float32, minval=0.0, maxval=1.0) -> Tensor:
    """U[minval, maxval) (jax.random.uniform); bitwise JAX's float32 numbers in [0, 1)."""
    dtype = _float_dtype(dtype, "uniform")
    unit = unit_floats(key, static_shape(shape, "uniform"), dtype)
    low, high = ops.cast(minval, dtype), ops.cast(maxval, dtype)
    return ops.maximum(low, unit * (high - low) + low)


def normal(key, shape=(), dtype=dtypes.float32) -> Tensor:
    """Standard normal samples by Box-Muller with the cosine branch: one normal per pair of
    uniforms (JAX uses the inverse error function, so the numbers differ from JAX's; the
    distribution is the same)."""
    dtype = _float_dtype(dtype, "normal")
    unit = unit_floats(key, (2,) + static_shape(shape, "normal"), dtype)
    radius = ops.sqrt(-2.0 * ops.log(1.0 - unit[0]))
    return radius * ops.cos((2.0 * np.pi) * unit[1])


def bernoulli(key, p=0.5, shape=None) -> Tensor:
    """Booleans that are True with probability p (jax.random.bernoulli): uniform < p; shape
    defaults to p's."""
    p = p if isinstance(p, Tensor) else constant(np.asarray(p, np.float32))
    shape = tuple(p.shape) if shape is None else static_shape(shape, "bernoulli")
    return uniform(key, shape, p.dtype) < p


def randint(key, shape, minval, maxval, dtype=dtypes.int32) -> Tensor:
    """Integers in [minval, maxval) (jax.random.randint): a 64-bit random word modulo the
    span, so the bias is below span / 2**64. Where maxval <= minval the result is minval, as
    JAX's. minval and maxval broadcast against `shape`."""
    dtype = dtypes.canonical(dtype, "random.randint")
    if dtype.kind not in "iu":
        raise op_error(DTypeError, "random.randint", f"dtype {dtype} is not an integer dtype",
                       "pass dtype=tj.int32 or tj.int64; uniform() draws floats", user_site())
    return integers_below(key, static_shape(shape, "randint"), minval, maxval, dtype)


def integers_below(key, shape, minval, maxval, dtype: np.dtype) -> Tensor:
    """minval + (64 random bits mod (maxval - minval)), in uint64 arithmetic that wraps, so
    that any span of the dtype fits; shared with TF's integer `uniform`. The values carry a
    leading axis of size one so that eagerly NumPy wraps arrays, not scalars (which warn)."""
    u64, full = np.dtype(np.uint64), (1,) + tuple(shape)
    low, high = (ops.broadcast_to(ops.cast(ops.cast(v, dtype), np.int64), full)
                 for v in (minval, maxval))
    words = ops.cast(bits(key, (2,) + full), u64)
    word = words[0] * np.uint64(2**32) + words[1]
    span = ops.where(high > low, ops.cast(high, u64) - ops.cast(low, u64), np.uint64(1))
    return ops.reshape(ops.cast(ops.cast(low, u64) + word % span, dtype), shape)


def gumbel(key, shape=(), dtype=dtypes.float32) -> Tensor:
    """Standard Gumbel samples, -log(-log(u)) for u uniform in [tiny, 1) (jax.random.gumbel)."""
    dtype = _float_dtype(dtype, "gumbel")
    unit = uniform(key, shape, dtype, np.finfo(dtype).tiny, 1.0)
    return -ops.log(-ops.log(unit))


def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True) -> Tensor:
    """Indices drawn with probabilities softmax(logits) along `axis` (jax.random.categorical):
    the arg-max of logits plus Gumbel noise. `shape` (default: logits' shape without `axis`)
    must end with that batch shape; its leading axes are independent draws, or, with
    replace=False, draws without replacement (the top-k of one noisy copy). int32, as JAX's."""
    logits = ops.convert_to_tensor(logits)
    if logits.dtype.kind != "f":
        logits = ops.cast(logits, np.float32)
    axis = _axis(axis, len(logits.shape), "categorical")
    batch = tuple(logits.shape[:axis] + logits.shape[axis + 1:])
    shape = batch if shape is None else static_shape(shape, "categorical")
    if shape[len(shape) - len(batch):] != batch:
        raise op_error(ShapeError, "random.categorical", f"shape {shape} does not end with "
                       f"logits' batch shape {batch}", f"pass shape=(k, *{batch})", user_site())
    prefix = shape[:len(shape) - len(batch)]
    if not replace:
        return _categorical_without_replacement(key, logits, axis, prefix, shape)
    noisy_shape = prefix + tuple(logits.shape)
    noisy = gumbel(key, noisy_shape, logits.dtype) + logits
    return ops.argmax(noisy, axis=len(prefix) + axis, output_type=np.int32)


def _categorical_without_replacement(key, logits, axis, prefix, shape) -> Tensor:
    k, n = math.prod(prefix), logits.shape[axis]
    if k > n:
        raise op_error(ValueError, "random.categorical", f"{k} draws without replacement "
                       f"from {n} categories", "draw at most as many as there are "
                       "categories, or pass replace=True", user_site())
    moved = _to_last(logits, axis)
    noisy = moved + gumbel(key, tuple(moved.shape), logits.dtype)
    last = len(noisy.shape) - 1
    top = argsort(-noisy, last)[..., :k]
    to_front = (last,) + tuple(range(last))
    return ops.reshape(ops.cast(ops.transpose(top, to_front), np.int32), shape)


def _to_last(x, axis: int):
    perm = [a for a in range(len(x.shape)) if a != axis] + [axis]
    return ops.transpose(x, perm)


def _axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= axis < ndim:
        raise op_error(ShapeError, f"random.{op}", f"axis {axis} is out of range for "
                       f"{ndim}-d input", f"pass an axis in [-{ndim}, {ndim})", user_site())
    return axis % ndim


def permutation(key, x, axis: int = 0, independent: bool = False) -> Tensor:
    """A random permutation (jax.random.permutation): of arange(x) for an integer x, else of
    x along `axis` (all slices alike, or each independently with independent=True). Sorts by
    random 32-bit words, in enough rounds that ties are unlikely, as JAX's shuffle."""
    x = ops.convert_to_tensor(x)
    if not x.shape:
        if x.dtype.kind not in "iu":
            raise op_error(ShapeError, "random.permutation", f"x is a {x.dtype} scalar",
                           "pass an integer or an array of at least one axis", user_site())
        return _shuffle(key, constant(np.arange(int(x.numpy()), dtype=np.int32)), 0)
    axis = _axis(axis, len(x.shape), "permutation")
    if independent:
        return _shuffle(key, x, axis)
    order = _shuffle(key, constant(np.arange(x.shape[axis], dtype=np.int64)), 0)
    return ops.gather(x, order, axis=axis)


def _shuffle(key, x, axis: int) -> Tensor:
    size = math.prod(x.shape)
    rounds = math.ceil(3 * math.log(max(1, size)) / math.log(2.0**32))
    key = as_key(key, "permutation")
    for _ in range(rounds):
        keys = split(key)
        key, sort_key = keys[0], keys[1]
        x = permute_along_axis(x, argsort(bits(sort_key, tuple(x.shape)), axis), axis)
    return x
