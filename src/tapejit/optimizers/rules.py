"""SGD, Adam, AdamW, RMSprop and Adagrad with Keras 3's update formulas and defaults."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.optimizers.base import Optimizer
from tapejit.optimizers.schedules import is_number


class SGD(Optimizer):
    """v <- v - lr*g; with momentum m <- momentum*m - lr*g, then v <- v + m, or with Nesterov
    v <- v + momentum*m - lr*g. Slot: "momentum" (when momentum > 0)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self._check("momentum", momentum, is_number(momentum) and 0 <= momentum <= 1,
                    "as a number in [0, 1]")
        self.momentum, self.nesterov = momentum, bool(nesterov)

    def _slot_fills(self) -> dict[str, float]:
        return {"momentum": 0.0} if self.momentum else {}

    def _rule(self, grad, slots, lr, local_step):
        if not self.momentum:
            return -(grad * lr), {}
        velocity = slots["momentum"] * self.momentum - grad * lr
        if self.nesterov:
            return velocity * self.momentum - grad * lr, {"momentum": velocity}
        return velocity, {"momentum": velocity}


class Adam(Optimizer):
    """Keras 3's Adam: epsilon is "epsilon hat", added to sqrt(v) with the bias correction
    folded into the step size: v <- v - lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
    Slots: "momentum", "velocity" and, with amsgrad, "velocity_hat"."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        for arg, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            self._check(arg, beta, is_number(beta) and 0 <= beta < 1, "as a number in [0, 1)")
        self._check("epsilon", epsilon, is_number(epsilon) and epsilon >= 0,
                    "as a number >= 0")
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _slot_fills(self) -> dict[str, float]:
        fills = {"momentum": 0.0, "velocity": 0.0}
        return {**fills, "velocity_hat": 0.0} if self.amsgrad else fills

    def _rule(self, grad, slots, lr, local_step):
        dtype = grad.dtype
        beta_1_power = ops.pow(np.asarray(self.beta_1, dtype), local_step)
        beta_2_power = ops.pow(np.asarray(self.beta_2, dtype), local_step)
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (ops.square(grad) - slots["velocity"]) * (1 - self.beta_2)
        new = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = new["velocity_hat"] = ops.maximum(slots["velocity_hat"], v)
        return -(m * alpha / (ops.sqrt(v) + self.epsilon)), new


class AdamW(Adam):
    """Adam with decoupled weight decay (v <- v - v*weight_decay*lr before each update)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs) -> None:
        self._check("weight_decay", weight_decay, is_number(weight_decay) and weight_decay > 0,
                    "as a number > 0 (AdamW needs weight decay; use Adam without it)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """s <- rho*s + (1-rho)*g^2; step lr*g / sqrt(s + eps) (centered: sqrt(s - a^2 + eps) with
    a <- rho*a + (1-rho)*g); momentum accumulates steps. Slots: "velocity", "momentum" (when
    momentum > 0), "average_gradient" (centered)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self._check("rho", rho, is_number(rho) and 0 <= rho <= 1, "as a number in [0, 1]")
        self._check("momentum", momentum, is_number(momentum) and 0 <= momentum <= 1,
                    "as a number in [0, 1]")
        self._check("epsilon", epsilon, is_number(epsilon) and epsilon >= 0,
                    "as a number >= 0")
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _slot_fills(self) -> dict[str, float]:
        fills = {"velocity": 0.0}
        if self.momentum > 0:
            fills["momentum"] = 0.0
        if self.centered:
            fills["average_gradient"] = 0.0
        return fills

    def _rule(self, grad, slots, lr, local_step):
        velocity = slots["velocity"] * self.rho + ops.square(grad) * (1 - self.rho)
        new = {"velocity": velocity}
        if self.centered:
            average = slots["average_gradient"] * self.rho + grad * (1 - self.rho)
            new["average_gradient"] = average
            denominator = velocity - ops.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = lr * grad / ops.sqrt(denominator)
        if self.momentum > 0:
            new["momentum"] = slots["momentum"] * self.momentum + increment
            return -new["momentum"], new
        return -increment, new


class Adagrad(Optimizer):
    """a <- a + g^2 (a starts at initial_accumulator_value); v <- v - lr*g / sqrt(a + eps).
    Slot: "accumulator"."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self._check("initial_accumulator_value", initial_accumulator_value,
                    is_number(initial_accumulator_value) and initial_accumulator_value >= 0,
                    "as a number >= 0")
        self._check("epsilon", epsilon, is_number(epsilon) and epsilon >= 0,
                    "as a number >= 0")
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slot_fills(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value}

    def _rule(self, grad, slots, lr, local_step):
        accumulator = slots["accumulator"] + ops.square(grad)
        return -(lr * grad / ops.sqrt(accumulator + self.epsilon)), {"accumulator": accumulator}
