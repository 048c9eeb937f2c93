"""JAX's counter-based keys: `key`, `split`, `fold_in` and `bits`, the same bits eagerly and
under jit since the `threefry2x32` primitive computes them."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes, ops
from tapejit.errors import DTypeError, op_error
from tapejit.primitives.random_bits import threefry2x32
from tapejit.site import user_site
from tapejit.tensor import Tensor, constant

_WORD = 0xFFFFFFFF


def is_key(x) -> bool:
    """A key is a uint32 array or tensor of shape (2,)."""
    dtype, shape = getattr(x, "dtype", None), getattr(x, "shape", None)
    return dtype == np.uint32 and tuple(shape) == (2,)


def as_key(x, op: str) -> Tensor:
    """`x` as a key Tensor, or a DTypeError naming `op` and how to make a key."""
    if not is_key(x):
        raise op_error(DTypeError, f"random.{op}", f"the key must be uint32[2], got "
                       f"{getattr(x, 'dtype', type(x).__name__)}{getattr(x, 'shape', '')}",
                       "make one with tj.random.key(seed), or split one", user_site())
    return ops.convert_to_tensor(x)


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
    return constant(split_int(int(seed)))


def split_int(value: int) -> np.ndarray:
    return np.array([(value >> 32) & _WORD, value & _WORD], np.uint32)


def _words(value: Tensor) -> Tensor:
    """(0, value) as uint32 words: the high word of a 32-bit integer is 0."""
    low = ops.reshape(ops.cast(value, dtypes.uint32), (1,))
    return ops.concat([constant(np.zeros(1, np.uint32)), low], 0)


def bits(key, shape=()) -> Tensor:
    """uint32 random bits of `shape`: Threefry-2x32 of the counters 0, 1, ... (jax.random.bits)."""
    shape = tuple(int(n) for n in shape)
    n = int(np.prod(shape, dtype=np.int64))
    words = threefry2x32(as_key(key, "bits"), constant(np.arange(n, dtype=np.uint32)))
    return ops.reshape(words, shape)


def split(key, num: int = 2) -> Tensor:
    """`num` new keys of shape (num, 2) (jax.random.split)."""
    return bits(key, (int(num), 2))


def fold_in(key, data) -> Tensor:
    """A new key from a key and an integer, a Python int or an integer tensor (a step counter
    under jit): Threefry of the counters (data >> 32, data & 0xFFFFFFFF) (jax.random.fold_in;
    a tensor's high word is taken as 0, as JAX's for 32-bit data)."""
    key = as_key(key, "fold_in")
    if isinstance(data, (int, np.integer)):
        return threefry2x32(key, constant(split_int(int(data))))
    return threefry2x32(key, _words(data))
