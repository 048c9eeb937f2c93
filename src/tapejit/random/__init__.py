"""tj.random in both styles. JAX's: counter-based keys (`key`, `split`, `fold_in`, `bits`)
and samplers taking the key first (`uniform`, `normal`, `bernoulli`, `randint`, `gumbel`,
`categorical`, `permutation`). TensorFlow's: stateful `normal(shape)`, `uniform(shape)`,
`categorical(logits, num_samples)`, `shuffle` and `set_seed`, drawing keys from per-thread
Variables (random/stateful.py), so they too give the same numbers eagerly and under jit and
new numbers on each jitted call. `normal`, `uniform` and `categorical` take JAX's form when
their first argument is a key (uint32[2])."""

from __future__ import annotations

from tapejit.random import distributions, stateful
from tapejit.random.distributions import bernoulli, gumbel, permutation, randint
from tapejit.random.keys import bits, fold_in, is_key, key, split
from tapejit.random.stateful import draw_seed, numpy_generator, set_seed, shuffle
from tapejit.tensor import Tensor


def normal(key_or_shape, *args, **kwargs) -> Tensor:
    """`normal(key, shape=(), dtype=float32)` as JAX's, or TF's
    `normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None)`."""
    if is_key(key_or_shape):
        return distributions.normal(key_or_shape, *args, **kwargs)
    return stateful.normal(key_or_shape, *args, **kwargs)


def uniform(key_or_shape, *args, **kwargs) -> Tensor:
    """`uniform(key, shape=(), dtype=float32, minval=0.0, maxval=1.0)` as JAX's, or TF's
    `uniform(shape, minval=0, maxval=None, dtype=float32, seed=None)`."""
    if is_key(key_or_shape):
        return distributions.uniform(key_or_shape, *args, **kwargs)
    return stateful.uniform(key_or_shape, *args, **kwargs)


def categorical(key_or_logits, *args, **kwargs) -> Tensor:
    """`categorical(key, logits, axis=-1, shape=None, replace=True)` as JAX's, or TF's
    `categorical(logits, num_samples, dtype=None, seed=None)`."""
    if is_key(key_or_logits):
        return distributions.categorical(key_or_logits, *args, **kwargs)
    return stateful.categorical(key_or_logits, *args, **kwargs)


__all__ = ["bernoulli", "bits", "categorical", "draw_seed", "fold_in", "gumbel", "is_key",
           "key", "normal", "numpy_generator", "permutation", "randint", "set_seed", "shuffle",
           "split", "uniform"]
