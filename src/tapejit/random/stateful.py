"""TensorFlow's stateful random ops (`normal(shape)`, `uniform(shape)`, `categorical`,
`shuffle`, `set_seed`) built on counter-based keys held in per-thread Variables.

A draw reads and advances a key Variable, so under tj.jit it is an implicit input and
output of the compiled function: each call draws new numbers from one trace, and the numbers
equal what the same draws give eagerly from the same state. The seeds follow TF's rules:
- no seeds: a key from the operating system, advanced by every draw;
- `set_seed(s)`: that key restarts from s;
- an op seed: its own sequence from (global seed, op seed), which advances on each call with
  that op seed (as TF's eager ops do; two draws with one op seed inside one jitted call also
  continue the sequence) and restarts at set_seed. Without set_seed, TF's default global
  seed is used, so op-seeded draws repeat across program runs."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes, ops
from tapejit.errors import DTypeError, ShapeError, op_error
from tapejit.primitives.random_bits import threefry2x32_p
from tapejit.random import distributions as dist
from tapejit.random.keys import fold_in, split, split_int
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable

DEFAULT_GLOBAL_SEED = 87654321  # TF's: op seeds without a global seed still repeat
_UNSEEDED, _OP_SEEDED = 0, 1  # fold_in tags keeping the two families of keys apart


class _Generator:
    """A thread's keys: `stream` for draws without an op seed, `family` from which each op
    seed's key is folded, and one uint32 counter Variable per op seed."""

    def __init__(self) -> None:
        entropy = int(np.random.SeedSequence().entropy) & (2**64 - 1)
        self.stream = Variable(split_int(entropy), trainable=False, name="random/stream")
        self.family = Variable(_tagged(DEFAULT_GLOBAL_SEED, _OP_SEEDED), trainable=False,
                               name="random/family")
        self.counters: dict[int, Variable] = {}

    def reseed(self, seed: int) -> None:
        self.stream.assign(_tagged(seed, _UNSEEDED))
        self.family.assign(_tagged(seed, _OP_SEEDED))
        for counter in self.counters.values():
            counter.assign(np.uint32(0))

    def next_key(self, op_seed) -> Tensor:
        if op_seed is None:
            keys = split(self.stream)
            self.stream.assign(keys[0])
            return keys[1]
        op_seed = _seed_int(op_seed, "op seed")
        counter = self.counters.get(op_seed)
        if counter is None:
            counter = Variable(np.uint32(0), trainable=False, name="random/counter")
            self.counters[op_seed] = counter
        key = fold_in(fold_in(self.family, op_seed), counter)
        counter.assign_add(np.uint32(1))
        return key


def _tagged(seed: int, tag: int) -> np.ndarray:
    """fold_in(key(seed), tag), computed by the primitive's NumPy impl so that a generator
    first used inside a trace still starts from concrete values."""
    return threefry2x32_p.impl(split_int(seed), split_int(tag))


def _seed_int(seed, what: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise op_error(DTypeError, "random.set_seed", f"the {what} must be an integer, got "
                       f"{seed!r}", "pass an int such as 0", user_site())
    return int(seed) & (2**64 - 1)


def _generator() -> _Generator:
    if STATE.generator is None:
        STATE.generator = _Generator()
    return STATE.generator


def numpy_generator() -> np.random.Generator:
    """This thread's NumPy generator, for initial weights and default layer seeds."""
    if STATE.rng is None:
        STATE.rng = np.random.default_rng()
    return STATE.rng


def set_seed(seed: int) -> None:
    """Restart this thread's random sequences from `seed` (tf.random.set_seed): the keyed
    stream, every op seed's sequence, and the NumPy generator behind initializers."""
    seed = _seed_int(seed, "global seed")
    _generator().reseed(seed)
    STATE.rng = np.random.default_rng(seed)


def draw_seed() -> int:
    """A seed from this thread's NumPy generator, so layers' default keys follow set_seed."""
    return int(numpy_generator().integers(0, 2**31))


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
           name=None) -> Tensor:
    """Normal samples, `z * stddev + mean` (tf.random.normal)."""
    del name
    dtype = dtypes.canonical(dtype, "random.normal")
    z = dist.normal(_generator().next_key(seed), shape, dtype)
    return z * ops.cast(stddev, dtype) + ops.cast(mean, dtype)


def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None,
            name=None) -> Tensor:
    """U[minval, maxval) (tf.random.uniform): maxval defaults to 1 for floats; integer
    dtypes need it, and draw integers in [minval, maxval)."""
    del name
    dtype = dtypes.canonical(dtype, "random.uniform")
    shape = dist.static_shape(shape, "uniform")
    if dtype.kind in "iu":
        if maxval is None:
            raise op_error(ValueError, "random.uniform", f"no maxval for integer dtype "
                           f"{dtype}", "pass maxval (exclusive)", user_site())
        return dist.integers_below(_generator().next_key(seed), shape, minval, maxval, dtype)
    maxval = 1.0 if maxval is None else maxval
    return dist.uniform(_generator().next_key(seed), shape, dtype, minval, maxval)


def categorical(logits, num_samples: int, dtype=None, seed=None, name=None) -> Tensor:
    """Class indices drawn from each row of 2-d `logits` (tf.random.categorical): shape
    (batch, num_samples), int64 unless dtype says int32."""
    del name
    logits = ops.convert_to_tensor(logits)
    if len(logits.shape) != 2:
        raise op_error(ShapeError, "random.categorical", f"logits of shape "
                       f"{tuple(logits.shape)}", "pass logits of shape (batch, classes)",
                       user_site())
    dtype = dtypes.canonical(np.int64 if dtype is None else dtype, "random.categorical")
    if dtype not in (np.int32, np.int64):
        raise op_error(DTypeError, "random.categorical", f"dtype {dtype}",
                       "pass tj.int32 or tj.int64", user_site())
    batch = logits.shape[0]
    draws = dist.categorical(_generator().next_key(seed), logits, -1,
                             (int(num_samples), batch))
    return ops.cast(ops.transpose(draws, (1, 0)), dtype)


def shuffle(value, seed=None, name=None) -> Tensor:
    """`value` with its first axis randomly permuted (tf.random.shuffle)."""
    del name
    value = ops.convert_to_tensor(value)
    if not value.shape:
        raise op_error(ShapeError, "random.shuffle", "a scalar has no axis to shuffle",
                       "pass a tensor of at least one axis", user_site())
    return dist.permutation(_generator().next_key(seed), value)
