"""Elementwise chain: the gradient of sum(softplus(sin(x)*x + exp(-x*x))) over n values."""

from __future__ import annotations

import numpy as np

from benchmarks import peers
from benchmarks.first_tier import first_tier_step
from benchmarks.subject import Case, Subject

NAME = "chain"
TITLE = "gradient of sum(softplus(sin(x)*x + exp(-x*x)))"
BASELINE = "numpy"
LIBRARIES = ("tapejit", "tapejit-first-tier", "numpy", "copy", "jax", "torch", "tensorflow",
             "autograd")
MEMORY_LIBRARIES = ("tapejit", "tapejit-tape", "tapejit-tape-persistent", "numpy", "jax",
                    "torch", "tensorflow", "autograd")
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000, 2_000_000, 10_000_000)
SMOKE_SIZES = (1_000, 10_000)


def size_label(n: int) -> str:
    """1000 → '1e3', 2000000 → '2e6'."""
    exponent = len(str(n)) - 1
    mantissa = n / 10**exponent
    return f"{mantissa:g}e{exponent}" if mantissa == int(mantissa) else str(n)


def cases(options) -> list[Case]:
    return [Case(f"n={size_label(n)} {dtype}", {"n": n, "dtype": dtype})
            for dtype in options.dtypes for n in options.sizes]


def make_input(params: dict) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(-3.0, 3.0, params["n"]).astype(params["dtype"])


def input_bytes(params: dict) -> int:
    return params["n"] * np.dtype(params["dtype"]).itemsize


def numpy_gradient(x: np.ndarray) -> np.ndarray:
    """d/dx sum(softplus(u)) with u = sin(x)*x + exp(-x²): sigmoid(u)·(cos(x)x + sin(x) −
    2x·exp(-x²)), updating temporaries in place as a careful NumPy user would."""
    s, e = np.sin(x), np.exp(-(x * x))
    u = s * x
    u += e
    du = np.cos(x) * x
    du += s
    e *= x
    e *= 2
    du -= e
    np.negative(u, out=u)
    np.exp(u, out=u)
    u += 1
    du /= u
    return du


def reference(params: dict) -> np.ndarray:
    return numpy_gradient(make_input(params))


def build(library: str, params: dict) -> Subject:
    return _BUILDERS[library](make_input(params))


def _tj_loss(tj):
    return lambda x: tj.reduce_sum(tj.nn.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x)))


def _tapejit(x: np.ndarray) -> Subject:
    import tapejit as tj  # each library loads only in the process that measures it

    f = tj.jit(tj.grad(_tj_loss(tj)))
    return Subject(lambda: f(x), jitted=f, args=(x,))


def _tapejit_first_tier(x: np.ndarray) -> Subject:
    import tapejit as tj

    step = first_tier_step(tj.grad(_tj_loss(tj)))
    return Subject(lambda: step(x), note="every call on the first tier: shared kernels, "
                   "equation by equation")


def _tapejit_tape(x: np.ndarray, persistent: bool = False) -> Subject:
    import tapejit as tj  # each library loads only in the process that measures it

    loss, xt = _tj_loss(tj), tj.constant(x)

    def run():
        with tj.GradientTape(persistent=persistent) as tape:
            tape.watch(xt)
            y = loss(xt)
        return tape.gradient(y, xt)
    return Subject(run, note=f"eager GradientTape(persistent={persistent})")


def _numpy(x: np.ndarray) -> Subject:
    return Subject(lambda: numpy_gradient(x), note="gradient written by hand")


def _copy(x: np.ndarray) -> Subject:
    out = np.empty_like(x)
    return Subject(lambda: np.copyto(out, x), note="np.copyto: memory bandwidth",
                   checked=False)


def _jax(x: np.ndarray) -> Subject:
    jax = peers.load("jax")
    jnp = jax.numpy
    f = jax.jit(jax.grad(lambda v: jnp.sum(jax.nn.softplus(jnp.sin(v) * v + jnp.exp(-v * v)))))
    xj = jnp.asarray(x)
    return Subject(lambda: f(xj).block_until_ready(), note="jax.jit(jax.grad)")


def _torch(x: np.ndarray) -> Subject:
    torch = peers.load("torch")
    xt = torch.from_numpy(x).requires_grad_(True)
    softplus = torch.nn.functional.softplus

    def run():
        y = softplus(torch.sin(xt) * xt + torch.exp(-xt * xt)).sum()
        return torch.autograd.grad(y, xt)[0]
    return Subject(run, note="eager autograd.grad")


def _tensorflow(x: np.ndarray) -> Subject:
    tf = peers.load("tensorflow")
    xt = tf.constant(x)

    @tf.function(jit_compile=True)
    def f(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.reduce_sum(tf.nn.softplus(tf.sin(v) * v + tf.exp(-v * v)))
        return tape.gradient(y, v)
    return Subject(lambda: f(xt), note="tf.function(jit_compile=True): XLA")


def _autograd(x: np.ndarray) -> Subject:
    peers.load("autograd")
    import autograd
    import autograd.numpy as anp

    f = autograd.grad(lambda v: anp.sum(anp.logaddexp(0.0, anp.sin(v) * v + anp.exp(-v * v))))
    return Subject(lambda: f(x))


_BUILDERS = {"tapejit": _tapejit, "tapejit-first-tier": _tapejit_first_tier, "numpy": _numpy,
             "copy": _copy, "jax": _jax, "torch": _torch, "tensorflow": _tensorflow,
             "autograd": _autograd,
             "tapejit-tape": _tapejit_tape,
             "tapejit-tape-persistent": lambda x: _tapejit_tape(x, persistent=True)}
