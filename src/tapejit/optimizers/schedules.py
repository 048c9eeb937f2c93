"""Learning-rate schedules with Keras 3's formulas, callable on a step (int or tensor)."""

from __future__ import annotations

import math

import numpy as np

from tapejit import ops
from tapejit.errors import TapejitError, op_error
from tapejit.primitives.rounding import floor_p
from tapejit.trace import bind


class HyperparameterError(TapejitError, ValueError):
    """An optimizer or schedule was given a value outside its domain or an unknown argument."""


def check(op: str, name: str, value, ok: bool, expected: str) -> None:
    if not ok:
        raise op_error(HyperparameterError, op, f"{name}={value!r} is invalid",
                       f"pass {name} {expected}")


def is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class LearningRateSchedule:
    """Base: schedule(step) gives the learning rate (a float64 scalar tensor) at `step`."""

    def __call__(self, step):
        raise NotImplementedError

    @staticmethod
    def _step(step):
        return ops.cast(ops.convert_to_tensor(step), np.float64)


def _check_decay_steps(op: str, decay_steps) -> None:
    check(op, "decay_steps", decay_steps, is_number(decay_steps) and decay_steps > 0,
          "as a number > 0")


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps) (the exponent floored with
    staircase=True)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_decay_steps("ExponentialDecay", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = self._step(step) / float(self.decay_steps)
        if self.staircase:
            p = bind(floor_p, p)
        return ops.pow(np.float64(self.decay_rate), p) * float(
            self.initial_learning_rate)


class CosineDecay(LearningRateSchedule):
    """Keras 3's cosine decay to alpha * peak over decay_steps, after an optional linear warmup
    from initial_learning_rate to warmup_target over warmup_steps."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps("CosineDecay", decay_steps)
        check("CosineDecay", "warmup_steps", warmup_steps,
              is_number(warmup_steps) and warmup_steps >= 0, "as a number >= 0")
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, peak):
        cosine = 0.5 * (1.0 + ops.cos(step / float(self.decay_steps) * math.pi))
        return ((1 - self.alpha) * cosine + self.alpha) * float(peak)

    def __call__(self, step):
        step = self._step(step)
        if self.warmup_target is None:
            return self._decay(ops.minimum(step, float(self.decay_steps)),
                               self.initial_learning_rate)
        warmup = float(self.warmup_steps)
        step = ops.minimum(step, float(self.decay_steps) + warmup)
        initial = float(self.initial_learning_rate)
        rising = (float(self.warmup_target) - initial) * (step / max(warmup, 1.0)) + initial
        return ops.where(ops.less(step, warmup), rising,
                         self._decay(step - warmup, self.warmup_target))
