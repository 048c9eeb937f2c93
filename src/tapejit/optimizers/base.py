"""The Optimizer base: Keras 3's apply order (clip, weight decay, update, iterations + 1)."""

from __future__ import annotations

import inspect

import numpy as np

from tapejit import ops
from tapejit.errors import op_error
from tapejit.optimizers import clipping
from tapejit.optimizers.schedules import HyperparameterError, LearningRateSchedule, check, is_number
from tapejit.tape import GradientTape
from tapejit.tensor import Variable


class Optimizer:
    """Base of SGD, Adam, AdamW, RMSprop and Adagrad.

    Subclasses give `_slot_fills()` (slot name -> initial fill) and the pure rule
    `_rule(grad, slots, lr, local_step) -> (update, new_slots)`, shared with
    `tj.optimizers.functional`. A slot Variable is named as in Keras 3: the variable's name with
    '/' turned into '_', then '_' and the slot's name ("dense/kernel" -> "dense_kernel_momentum").
    The learning rate is a float64 Variable (or a schedule evaluated at `iterations`), so
    changing it or stepping a schedule does not retrace a jitted step.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs) -> None:
        self._reject_unknown(kwargs)
        self._check_learning_rate(learning_rate)
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm)):
            self._check(arg, value, value is None or (is_number(value) and value > 0),
                        "as None or a number > 0")
        self._check("weight_decay", weight_decay,
                    weight_decay is None or (is_number(weight_decay) and weight_decay >= 0),
                    "as None or a number >= 0")
        clips = [a for a, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        self._check("clipping", clips, len(clips) <= 1,
                    "as only one of clipnorm, clipvalue and global_clipnorm")
        self.name = name or type(self).__name__.lower()
        self.weight_decay, self.clipnorm = weight_decay, clipnorm
        self.clipvalue, self.global_clipnorm = clipvalue, global_clipnorm
        self._slots: dict[int, dict[str, Variable]] = {}
        self.iterations = Variable(np.int64(0), trainable=False, name="iteration")
        self._learning_rate = self._lr_state(learning_rate)

    def _reject_unknown(self, kwargs: dict) -> None:
        if kwargs:
            known = [p for p in inspect.signature(type(self)).parameters if p != "kwargs"]
            raise op_error(HyperparameterError, f"tj.optimizers.{type(self).__name__}",
                           f"unknown argument(s) {sorted(kwargs)}",
                           f"use the known arguments: {', '.join(known)}")

    def _check(self, arg: str, value, ok: bool, expected: str) -> None:
        check(f"tj.optimizers.{type(self).__name__}", arg, value, ok, expected)

    def _check_learning_rate(self, lr) -> None:
        self._check("learning_rate", lr, callable(lr) or (is_number(lr) and lr >= 0),
                    "as a number >= 0, a LearningRateSchedule or a callable of no arguments")

    def _lr_state(self, lr):
        if callable(lr):
            return lr
        return Variable(np.float64(lr), trainable=False, name="learning_rate")

    @property
    def learning_rate(self):
        """The current learning rate as in Keras 3: the Variable, a LearningRateSchedule at
        `iterations`, or any other callable called with no arguments."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        if isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate(self.iterations)
        return ops.convert_to_tensor(self._learning_rate())

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._check_learning_rate(value)
        if callable(value) or not isinstance(self._learning_rate, Variable):
            self._learning_rate = self._lr_state(value)
        else:
            self._learning_rate.assign(np.float64(value))

    @property
    def variables(self) -> list[Variable]:
        """iterations, the learning-rate Variable (if any), then every slot in creation order."""
        own = [self.iterations]
        if isinstance(self._learning_rate, Variable):
            own.append(self._learning_rate)
        return own + [s for slots in self._slots.values() for s in slots.values()]

    def _slot_fills(self) -> dict[str, float]:
        return {}

    def _rule(self, grad, slots: dict, lr, local_step):
        raise NotImplementedError

    def _slots_of(self, var: Variable) -> dict[str, Variable]:
        if id(var) not in self._slots:
            prefix = var._name.replace("/", "_")
            self._slots[id(var)] = {
                slot: Variable(np.full(var.shape, fill, var.dtype), trainable=False,
                               name=f"{prefix}_{slot}")
                for slot, fill in self._slot_fills().items()}
        return self._slots[id(var)]

    def clip_gradients(self, grads: list) -> list:
        """Keras 3's order of precedence: clipnorm, then global_clipnorm, then clipvalue."""
        if self.clipnorm is not None:
            return [clipping.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)[0]
        if self.clipvalue is not None:
            return [clipping.clip_value(g, self.clipvalue) for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars):
        """Update each variable from its gradient (None gradients skipped); returns iterations."""
        given = list(grads_and_vars)
        pairs = [(g, v) for g, v in given if g is not None]
        if given and not pairs:
            raise op_error(HyperparameterError, f"{type(self).__name__}.apply_gradients",
                           "no gradient was given for any variable (all are None)",
                           "check that the loss depends on the variables you pass")
        if not pairs:
            return self.iterations
        grads = self.clip_gradients([ops.cast(g, v.dtype) for g, v in pairs])
        lr = self.learning_rate
        for grad, (_, var) in zip(grads, pairs):
            var_lr = ops.cast(lr, var.dtype)
            if self.weight_decay:
                var.assign(var - var * np.asarray(self.weight_decay, var.dtype) * var_lr)
            self._apply_rule(grad, var, var_lr)
        self.iterations.assign_add(1)
        return self.iterations

    def _apply_rule(self, grad, var: Variable, lr) -> None:
        slots = self._slots_of(var)
        local_step = ops.cast(self.iterations + 1, var.dtype)
        update, new_slots = self._rule(grad, dict(slots), lr, local_step)
        for slot, value in new_slots.items():
            slots[slot].assign(value)
        var.assign_add(update)

    def minimize(self, loss_fn, var_list):
        """One step on loss_fn() (a zero-argument callable) over var_list."""
        with GradientTape() as tape:
            loss = loss_fn()
        return self.apply_gradients(zip(tape.gradient(loss, var_list), var_list))
