"""Dispatch: the gradient of x**2 at a Python float, jit-compiled; measures per-call overhead."""

from __future__ import annotations

from benchmarks import peers
from benchmarks.subject import Case, Subject

NAME = "dispatch"
TITLE = "jit(grad(x**2)) called on a Python float"
BASELINE = "jax"
LIBRARIES = ("tapejit", "numba", "jax", "torch", "tensorflow", "autograd")
X = 3.0


def cases(options) -> list[Case]:
    return [Case("scalar", {"dtype": "float32"})]


def reference(params: dict) -> float:
    return 2.0 * X


def input_bytes(params: dict) -> int:
    return 4


def build(library: str, params: dict) -> Subject:
    return _BUILDERS[library](params)


def _tapejit(params: dict) -> Subject:
    import tapejit as tj  # each library loads only in the process that measures it

    f = tj.jit(tj.grad(lambda x: x**2))
    return Subject(lambda: f(X), jitted=f, args=(X,))


def _numba(params: dict) -> Subject:
    from numba import njit

    f = njit(lambda x: 2.0 * x)
    return Subject(lambda: f(X), note="bare njit call of 2*x: the floor")


def _jax(params: dict) -> Subject:
    jax = peers.load("jax")
    f = jax.jit(jax.grad(lambda x: x**2))
    return Subject(lambda: f(X).block_until_ready(), note="jax.jit(jax.grad), blocked")


def _torch(params: dict) -> Subject:
    torch = peers.load("torch")

    def run():
        x = torch.tensor(X, requires_grad=True)
        return torch.autograd.grad(x**2, x)[0]
    return Subject(run, note="eager autograd.grad")


def _tensorflow(params: dict) -> Subject:
    tf = peers.load("tensorflow")

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x**2
        return tape.gradient(y, x)
    return Subject(lambda: f(X), note="tf.function + GradientTape")


def _autograd(params: dict) -> Subject:
    autograd = peers.load("autograd")
    f = autograd.grad(lambda x: x**2)
    return Subject(lambda: f(X))


_BUILDERS = {"tapejit": _tapejit, "numba": _numba, "jax": _jax, "torch": _torch,
             "tensorflow": _tensorflow, "autograd": _autograd}
