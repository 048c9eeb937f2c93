"""Eager tape: 100 scalar ops on a scalar Variable (25 × multiply, add, sin, exp), then the
gradient; measures per-op recording and backward overhead."""

from __future__ import annotations

import numpy as np

from benchmarks import peers, pytape
from benchmarks.subject import Case, Subject

NAME = "tape"
TITLE = "eager tape: 100 scalar ops on a Variable, then gradient"
BASELINE = "torch"
PROCESS_REPEATS = 3  # fresh processes per library, in rounds (task.timed_tasks)
LIBRARIES = ("tapejit", "pytape", "torch", "tensorflow", "autograd")
X = 0.3
ROUNDS = 25


def cases(options) -> list[Case]:
    return [Case("100 ops", {"rounds": ROUNDS, "dtype": "float32"})]


def input_bytes(params: dict) -> int:
    return 4


def chain(x, sin, exp, rounds: int):
    """The recorded program: each round is y·0.5 + x, then sin, then exp."""
    y = x
    for _ in range(rounds):
        y = exp(sin(y * 0.5 + x))
    return y


def reference(params: dict) -> float:
    y, dy = np.float64(X), 1.0
    for _ in range(params["rounds"]):
        u = y * 0.5 + X
        y, dy = np.exp(np.sin(u)), np.exp(np.sin(u)) * np.cos(u) * (dy * 0.5 + 1.0)
    return dy


def build(library: str, params: dict) -> Subject:
    return _BUILDERS[library](params["rounds"])


def _tapejit(rounds: int) -> Subject:
    import tapejit as tj  # each library loads only in the process that measures it

    x = tj.Variable(X)

    def run():
        with tj.GradientTape() as tape:
            y = chain(x, tj.math.sin, tj.math.exp, rounds)
        return tape.gradient(y, x)
    return Subject(run, note="GradientTape over a Variable")


def _pytape(rounds: int) -> Subject:
    def run():
        tape = pytape.Tape()
        x = pytape.Value(np.float32(X), tape)
        y = chain(x, pytape.Value.sin, pytape.Value.exp, rounds)
        return tape.gradient(y, x)
    return Subject(run, note="benchmarks/pytape.py: a bare tape over NumPy scalars")


def _torch(rounds: int) -> Subject:
    torch = peers.load("torch")
    x = torch.tensor(X, requires_grad=True)

    def run():
        return torch.autograd.grad(chain(x, torch.sin, torch.exp, rounds), x)[0]
    return Subject(run, note="eager autograd.grad")


def _tensorflow(rounds: int) -> Subject:
    tf = peers.load("tensorflow")
    x = tf.Variable(X)

    def run():
        with tf.GradientTape() as tape:
            y = chain(x, tf.sin, tf.exp, rounds)
        return tape.gradient(y, x)
    return Subject(run, note="eager GradientTape over a tf.Variable")


def _autograd(rounds: int) -> Subject:
    peers.load("autograd")
    import autograd
    import autograd.numpy as anp

    f = autograd.grad(lambda x: chain(x, anp.sin, anp.exp, rounds))
    return Subject(lambda: f(np.float32(X)))


_BUILDERS = {"tapejit": _tapejit, "pytape": _pytape, "torch": _torch,
             "tensorflow": _tensorflow, "autograd": _autograd}
