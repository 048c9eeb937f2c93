"""tj.random: JAX's counter-based keys (`key`, `split`, `fold_in`, and `uniform`/`normal`/
`bernoulli` taking the key first), the same bits eagerly and under jit since they are
computed by the `threefry2x32` primitive; and TF's stateful forms (`normal(shape)`,
`uniform(shape)`, `set_seed`) drawing from a per-thread NumPy generator."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes, ops
from tapejit.errors import DTypeError, op_error
from tapejit.primitives.random_bits import threefry2x32
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor, constant

_WORD = 0xFFFFFFFF


def _rng(seed) -> np.random.Generator:
    if seed is not None:
        return np.random.default_rng(seed)
    if STATE.rng is None:
        STATE.rng = np.random.default_rng()
    return STATE.rng


def set_seed(seed: int) -> None:
    """Seed this thread's generator (as tf.random.set_seed)."""
    STATE.rng = np.random.default_rng(seed)


def draw_seed() -> int:
    """A seed from this thread's generator, so layers' default keys follow set_seed."""
    return int(_rng(None).integers(0, 2**31))


def is_key(x) -> bool:
    """A key is a uint32 array or tensor of shape (2,)."""
    dtype, shape = getattr(x, "dtype", None), getattr(x, "shape", None)
    return dtype == np.uint32 and tuple(shape) == (2,)


def _key(x, op: str):
    if not is_key(x):
        raise op_error(DTypeError, f"random.{op}", f"the key must be uint32[2], got "
                       f"{getattr(x, 'dtype', type(x).__name__)}{getattr(x, 'shape', '')}",
                       "make one with tj.random.key(seed), or split one", user_site())
    return x if isinstance(x, Tensor) else constant(x)


def key(seed) -> Tensor:
    """A key from an integer seed: (seed >> 32, seed & 0xFFFFFFFF), as JAX's threefry keys;
    an integer tensor (traced under jit) gives (0, seed), as JAX's for 32-bit seeds."""
    if isinstance(seed, Tensor):
        if seed.dtype.kind not in "iu" or tuple(seed.shape) != ():
            raise op_error(DTypeError, "random.key", f"the seed must be an integer scalar, "
                           f"got {seed.dtype}{tuple(seed.shape)}", "pass an int", user_site())
        return _words(seed)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise op_error(DTypeError, "random.key", f"the seed must be an integer, got "
                       f"{seed!r}", "pass an int such as 0", user_site())
    return constant(_split_int(int(seed)))


def _split_int(value: int) -> np.ndarray:
    return np.array([(value >> 32) & _WORD, value & _WORD], np.uint32)


def _words(value: Tensor) -> Tensor:
    """(0, value) as uint32 words: the high word of a 32-bit integer is 0."""
    low = ops.reshape(ops.cast(value, dtypes.uint32), (1,))
    return ops.concat([constant(np.zeros(1, np.uint32)), low], 0)


def bits(key, shape=()) -> Tensor:
    """uint32 random bits of `shape`: Threefry-2x32 of the counters 0, 1, ... (jax.random.bits)."""
    shape = tuple(int(n) for n in shape)
    n = int(np.prod(shape, dtype=np.int64))
    words = threefry2x32(_key(key, "bits"), constant(np.arange(n, dtype=np.uint32)))
    return ops.reshape(words, shape)


def split(key, num: int = 2) -> Tensor:
    """`num` new keys of shape (num, 2) (jax.random.split)."""
    return bits(key, (int(num), 2))


def fold_in(key, data) -> Tensor:
    """A new key from a key and an integer, a Python int or an integer tensor (a step counter
    under jit): Threefry of the counters (data >> 32, data & 0xFFFFFFFF) (jax.random.fold_in;
    a tensor's high word is taken as 0, as JAX's for 32-bit data)."""
    key = _key(key, "fold_in")
    if isinstance(data, (int, np.integer)):
        return threefry2x32(key, constant(_split_int(int(data))))
    return threefry2x32(key, _words(data))


def _unit_floats(key, shape, dtype, op: str):
    """Floats in [0, 1) from the top mantissa bits of random words, as JAX's `uniform`
    (bits >> (32 - mantissa) scaled by 2**-mantissa, which equals JAX's exponent trick)."""
    dtype = dtypes.canonical(dtype, f"random.{op}")
    if dtype.kind != "f":
        raise op_error(DTypeError, f"random.{op}", f"dtype {dtype} is not a float dtype",
                       "pass dtype=tj.float32 or tj.float64", user_site())
    shape = tuple(int(n) for n in shape)
    if dtype.itemsize == 8:
        words = bits(key, (2,) + shape)
        high, low = ops.cast(words[0], dtype), ops.cast(words[1] // 4096, dtype)
        return high * 2.0**-32 + low * 2.0**-52, dtype
    mantissa = np.finfo(dtype).nmant
    top = bits(key, shape) // (2 ** (32 - mantissa))
    return ops.cast(top, dtype) * (2.0 ** -mantissa), dtype


def _key_uniform(key, shape=(), dtype=dtypes.float32, minval=0.0, maxval=1.0) -> Tensor:
    unit, dtype = _unit_floats(key, shape, dtype, "uniform")
    low, high = ops.cast(minval, dtype), ops.cast(maxval, dtype)
    return ops.maximum(low, unit * (high - low) + low)


def _key_normal(key, shape=(), dtype=dtypes.float32) -> Tensor:
    """Box-Muller with the cosine branch: one normal per pair of uniforms (JAX uses the
    inverse error function, so the numbers differ from JAX's; the distribution is the same)."""
    shape = tuple(int(n) for n in shape)
    unit, dtype = _unit_floats(key, (2,) + shape, dtype, "normal")
    radius = ops.sqrt(-2.0 * ops.log(1.0 - unit[0]))
    return radius * ops.cos((2.0 * np.pi) * unit[1])


def _stateful_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None) -> Tensor:
    dtype = dtypes.canonical(dtype, "random.normal")
    sample = _rng(seed).normal(mean, stddev, size=tuple(shape))
    return Tensor(np.asarray(sample, dtype)[()])


def _stateful_uniform(shape, minval=0.0, maxval=1.0, dtype=dtypes.float32, seed=None) -> Tensor:
    dtype = dtypes.canonical(dtype, "random.uniform")
    sample = _rng(seed).uniform(minval, maxval, size=tuple(shape))
    return Tensor(np.asarray(sample, dtype)[()])


def normal(key_or_shape, *args, **kwargs) -> Tensor:
    """Standard normal samples: `normal(key, shape=(), dtype=float32)` as JAX's (Box-Muller of
    Threefry bits), or TF's stateful `normal(shape, mean=0, stddev=1, dtype, seed)` when the
    first argument is a shape."""
    if is_key(key_or_shape):
        return _key_normal(key_or_shape, *args, **kwargs)
    return _stateful_normal(key_or_shape, *args, **kwargs)


def uniform(key_or_shape, *args, **kwargs) -> Tensor:
    """U[minval, maxval): `uniform(key, shape=(), dtype=float32, minval=0, maxval=1)` as
    JAX's (bitwise JAX's float32 numbers in [0, 1); other bounds may differ from JAX's by an
    ulp, as XLA fuses the multiply-add), or TF's stateful
    `uniform(shape, minval=0, maxval=1, dtype, seed)` when the first argument is a shape."""
    if is_key(key_or_shape):
        return _key_uniform(key_or_shape, *args, **kwargs)
    return _stateful_uniform(key_or_shape, *args, **kwargs)


def bernoulli(key, p=0.5, shape=None) -> Tensor:
    """Booleans that are True with probability p (jax.random.bernoulli): uniform < p; shape
    defaults to p's."""
    p = p if isinstance(p, Tensor) else constant(np.asarray(p, np.float32))
    shape = tuple(p.shape) if shape is None else tuple(shape)
    return _key_uniform(key, shape, p.dtype) < p


__all__ = ["bernoulli", "bits", "draw_seed", "fold_in", "is_key", "key", "normal", "set_seed",
           "split", "uniform"]
