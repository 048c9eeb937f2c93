"""Loops and hessians, compiled once (compile workload only): the gradient of an Euler
integration written with a Python `for` loop and with `fori_loop`, and the hessian of the
n-D Rosenbrock function."""

from __future__ import annotations

import numpy as np

from benchmarks import peers
from benchmarks.subject import Subject

NAME = "loops"
LIBRARIES = ("tapejit", "jax")
PROGRAMS = ("euler-for", "euler-fori", "hessian")
DEFAULT_STEPS = (50, 200, 1000)
DEFAULT_HESSIAN_N = (10, 30, 100)
DT = 0.01
START = (np.float64(1.0), np.float64(0.0))  # the pendulum's angle and angular velocity at t = 0
PARAMS = (2.0, 0.3)  # stiffness k and damping c, the arguments differentiated


def case_name(params: dict) -> str:
    program, size = params["program"], params["size"]
    if program == "hessian":
        return f"hessian rosenbrock n={size}"
    style = "python for" if program == "euler-for" else "fori_loop"
    return f"grad euler {style} steps={size}"


def make_input(params: dict) -> tuple[np.ndarray, ...]:
    """(k, c) as float64 scalars for the Euler programs; x of length n for the hessian."""
    if params["program"] == "hessian":
        rng = np.random.default_rng(3)
        return (rng.uniform(-1.5, 1.5, params["size"]),)
    return tuple(np.float64(p) for p in PARAMS)


def numpy_euler_gradient(k: float, c: float, steps: int) -> tuple[float, float]:
    """d/d(k, c) of x² + v² after `steps` Euler steps of the damped pendulum
    x'' = −k·sin(x) − c·x', by forward-mode tangents carried beside the state."""
    x, v = START
    dx, dv = np.zeros(2), np.zeros(2)  # ∂x/∂(k, c), ∂v/∂(k, c)
    for _ in range(steps):
        accel = -k * np.sin(x) - c * v
        daccel = -k * np.cos(x) * dx - c * dv - np.array([np.sin(x), v])
        x, v, dx, dv = x + DT * v, v + DT * accel, dx + DT * dv, dv + DT * daccel
    grad = 2 * x * dx + 2 * v * dv
    return float(grad[0]), float(grad[1])


def numpy_rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """The tridiagonal hessian of Σ 100·(x[i+1] − x[i]²)² + (1 − x[i])², by hand."""
    n = len(x)
    h = np.zeros((n, n))
    head, tail = x[:-1], x[1:]
    h[np.arange(n - 1), np.arange(n - 1)] += 1200 * head**2 - 400 * tail + 2
    h[np.arange(1, n), np.arange(1, n)] += 200
    off = -400 * head
    h[np.arange(n - 1), np.arange(1, n)] = off
    h[np.arange(1, n), np.arange(n - 1)] = off
    return h


def reference(params: dict):
    args = make_input(params)
    if params["program"] == "hessian":
        return numpy_rosenbrock_hessian(*args)
    return numpy_euler_gradient(*args, params["size"])


def build(library: str, params: dict) -> Subject:
    return _BUILDERS[library](params["program"], params["size"], make_input(params))


def _pendulum_step(sin):
    def step(state, k, c):
        x, v = state
        return x + DT * v, v + DT * (-k * sin(x) - c * v)
    return step


def _python_for(step, steps: int):
    def loss(k, c):
        state = START
        for _ in range(steps):
            state = step(state, k, c)
        return state[0] ** 2 + state[1] ** 2
    return loss


def _with_fori(step, fori_loop, steps: int):
    def loss(k, c):
        x, v = fori_loop(0, steps, lambda i, state: step(state, k, c), START)
        return x**2 + v**2
    return loss


def _rosenbrock(total):
    def f(x):
        return total(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return f


def _tapejit(program: str, size: int, args: tuple) -> Subject:
    import tapejit as tj  # each library loads only in the process that measures it

    if program == "hessian":
        f = tj.jit(tj.hessian(_rosenbrock(tj.reduce_sum)))
        return Subject(lambda: f(*args), jitted=f, args=args, note="tj.jit(tj.hessian)")
    step = _pendulum_step(tj.math.sin)
    loss = (_python_for(step, size) if program == "euler-for"
            else _with_fori(step, tj.lax.fori_loop, size))
    f = tj.jit(tj.grad(loss, argnums=(0, 1)))
    how = "Python for loop" if program == "euler-for" else "tj.lax.fori_loop"
    return Subject(lambda: f(*args), jitted=f, args=args, note=f"tj.jit(tj.grad), {how}")


def _jax(program: str, size: int, args: tuple) -> Subject:
    jax = peers.load("jax")
    jnp = jax.numpy
    converted = tuple(jnp.asarray(a) for a in args)
    if program == "hessian":
        f = jax.jit(jax.hessian(_rosenbrock(jnp.sum)))
        note = "jax.jit(jax.hessian)"
    else:
        step = _pendulum_step(jnp.sin)
        loss = (_python_for(step, size) if program == "euler-for"
                else _with_fori(step, jax.lax.fori_loop, size))
        f = jax.jit(jax.grad(loss, argnums=(0, 1)))
        how = "Python for loop" if program == "euler-for" else "jax.lax.fori_loop"
        note = f"jax.jit(jax.grad), {how}"
    return Subject(lambda: jax.block_until_ready(f(*converted)), note=note + ", blocked")


def _numpy(program: str, size: int, args: tuple) -> Subject:
    if program == "hessian":
        return Subject(lambda: numpy_rosenbrock_hessian(*args), note="hessian by hand")
    return Subject(lambda: numpy_euler_gradient(*args, size), note="forward tangents by hand")


_BUILDERS = {"tapejit": _tapejit, "jax": _jax, "numpy": _numpy}
