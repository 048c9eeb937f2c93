"""Optax-shaped optimizers over pytrees: `opt.init(params) -> state`,
`opt.update(grads, state, params) -> (updates, state)`, `apply_updates(params, updates)`.

Each one runs the same rule as its class (tj.optimizers.Adam and adam(...) give the same
numbers), so JAX-style code can keep all state in arrays and pass it through `tj.jit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from tapejit import ops, tree
from tapejit.errors import op_error
from tapejit.optimizers.base import Optimizer
from tapejit.optimizers.rules import SGD, Adagrad, Adam, AdamW, RMSprop
from tapejit.optimizers.schedules import HyperparameterError
from tapejit.tensor import Variable


class OptimizerState(NamedTuple):
    """The step count (int64 scalar) and, per parameter leaf, a dict of slot arrays."""

    count: Any
    slots: list


class GradientTransformation(NamedTuple):
    init: Callable
    update: Callable


def _as_tensor(x):
    return ops.convert_to_tensor(x)


def transformation(optimizer: Optimizer) -> GradientTransformation:
    """The functional form of a (never stepped) optimizer object's rule and hyper-parameters;
    as in optax, a callable learning rate is called with the step count."""
    rate = optimizer._learning_rate
    rate = np.float64(rate.numpy()) if isinstance(rate, Variable) else rate
    fills = optimizer._slot_fills()

    def init(params) -> OptimizerState:
        leaves, _ = tree.flatten(params)
        slots = [{slot: np.full(np.shape(p), fill, _dtype(p)) for slot, fill in fills.items()}
                 for p in leaves]
        return OptimizerState(np.zeros((), np.int64), slots)

    def update(grads, state: OptimizerState, params=None):
        grad_leaves, treedef = tree.flatten(grads)
        param_leaves = None if params is None else tree.flatten(params)[0]
        if optimizer.weight_decay and param_leaves is None:
            raise op_error(HyperparameterError, f"{optimizer.name}.update",
                           "weight decay needs the parameters", "call update(grads, state, "
                           "params)")
        count = _as_tensor(state.count)
        lr = rate(count) if callable(rate) else rate
        grads_t = optimizer.clip_gradients([_as_tensor(g) for g in grad_leaves])
        updates, new_slots = [], []
        for i, grad in enumerate(grads_t):
            var_lr = ops.cast(lr, grad.dtype)
            slots = {k: _as_tensor(v) for k, v in state.slots[i].items()}
            step = ops.cast(count + 1, grad.dtype)
            delta, slots_out = optimizer._rule(grad, slots, var_lr, step)
            if optimizer.weight_decay:
                param = _as_tensor(param_leaves[i])
                delta = delta - param * np.asarray(optimizer.weight_decay, grad.dtype) * var_lr
            updates.append(delta)
            new_slots.append({**slots, **slots_out})
        return tree.unflatten(treedef, updates), OptimizerState(count + 1, new_slots)

    return GradientTransformation(init, update)


def _dtype(p):
    return p.dtype if hasattr(p, "dtype") else np.asarray(p).dtype


def apply_updates(params, updates):
    """params + updates leaf by leaf, each result in its parameter's dtype."""
    leaves, treedef = tree.flatten(params)
    deltas, _ = tree.flatten(updates)
    return tree.unflatten(treedef, [ops.cast(_as_tensor(p) + d, _dtype(p))
                                    for p, d in zip(leaves, deltas)])


def sgd(learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs) -> GradientTransformation:
    return transformation(SGD(learning_rate, momentum, nesterov, **kwargs))


def adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
         **kwargs) -> GradientTransformation:
    return transformation(Adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs))


def adamw(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
          amsgrad=False, **kwargs) -> GradientTransformation:
    return transformation(AdamW(learning_rate, weight_decay, beta_1, beta_2, epsilon, amsgrad,
                                **kwargs))


def rmsprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
            **kwargs) -> GradientTransformation:
    return transformation(RMSprop(learning_rate, rho, momentum, epsilon, centered, **kwargs))


def adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
            **kwargs) -> GradientTransformation:
    return transformation(Adagrad(learning_rate, initial_accumulator_value, epsilon, **kwargs))
