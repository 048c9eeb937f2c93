"""tj.optimizers: SGD and Adam, updating Variables in place (also inside jit)."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.tape import GradientTape
from tapejit.tensor import Variable


class Optimizer:
    """Base: apply_gradients(zip(grads, variables)) skips None gradients (unconnected)."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self._slots: dict[int, dict[str, Variable]] = {}
        self.iterations = Variable(np.int64(0), trainable=False, name="iterations")

    def _slot(self, var: Variable, name: str) -> Variable:
        slots = self._slots.setdefault(id(var), {})
        if name not in slots:
            slots[name] = Variable(np.zeros(var.shape, var.dtype), trainable=False,
                                   name=f"{var._name}/{name}")
        return slots[name]

    def apply_gradients(self, grads_and_vars) -> None:
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self.iterations.assign_add(1)
        for grad, var in pairs:
            self._update(ops.cast(grad, var.dtype), var)

    def _update(self, grad, var: Variable) -> None:
        raise NotImplementedError

    def minimize(self, loss_fn, var_list) -> None:
        with GradientTape() as tape:
            loss = loss_fn()
        self.apply_gradients(zip(tape.gradient(loss, var_list), var_list))


class SGD(Optimizer):
    """v <- v - lr * g (with optional momentum)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum

    def _update(self, grad, var: Variable) -> None:
        if self.momentum:
            velocity = self._slot(var, "momentum")
            velocity.assign(velocity * self.momentum - grad * self.learning_rate)
            var.assign_add(velocity)
        else:
            var.assign_sub(grad * self.learning_rate)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update(self, grad, var: Variable) -> None:
        m, v = self._slot(var, "m"), self._slot(var, "v")
        m.assign(m * self.beta_1 + grad * (1 - self.beta_1))
        v.assign(v * self.beta_2 + ops.square(grad) * (1 - self.beta_2))
        step = ops.cast(self.iterations, var.dtype)
        m_hat = m / (1 - ops.pow(ops.cast(self.beta_1, var.dtype), step))
        v_hat = v / (1 - ops.pow(ops.cast(self.beta_2, var.dtype), step))
        var.assign_sub(m_hat * self.learning_rate / (ops.sqrt(v_hat) + self.epsilon))
