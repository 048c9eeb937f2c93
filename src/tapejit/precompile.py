"""`python -m tapejit precompile`: compile the first tier's shared kernels for the programs
people write first (elementwise math and its derivatives on arrays and scalars, sums and
maxima, matrix products, a dense network's training step, a hessian, a loop), float32 and
float64, into the first tier's folder (TAPEJIT_FIRST_TIER_DIR); and the threaded kernels of
the elementwise ones, run on a million values, which the first tier takes for large steps only
once they are compiled (first_tier.py). Done once per machine; every later process loads them
in milliseconds. A new signature's first call also runs it in the background
once, the first time tapejit is used on a machine (TAPEJIT_PRECOMPILE=0 turns that off).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

import tapejit as tj
from tapejit.backend.numba_cpu.first_tier import THREADED_MIN
from tapejit.backend.numba_cpu.kernel_cache import first_tier_directory
from tapejit.backend.numba_cpu.warmup import stamp_path
from tapejit.compiled import run_first_tier

UNARY = {
    "exp": tj.math.exp, "log": lambda x: tj.math.log(x * x + 1.0), "log1p": tj.math.log1p,
    "expm1": tj.math.expm1, "sin": tj.math.sin, "cos": tj.math.cos, "tan": tj.math.tan,
    "tanh": tj.math.tanh, "sqrt": lambda x: tj.math.sqrt(x * x + 1.0),
    "rsqrt": lambda x: tj.math.rsqrt(x * x + 1.0), "abs": tj.math.abs, "square": tj.math.square,
    "sigmoid": tj.nn.sigmoid, "softplus": tj.nn.softplus, "relu": tj.nn.relu,
    "elu": tj.nn.elu, "gelu": tj.nn.gelu, "cube": lambda x: x ** 3,
    "reciprocal": lambda x: 1.0 / (x * x + 1.0), "sign": tj.numpy.sign,
}
BINARY = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1.0), "pow": lambda x, y: tj.math.pow(x * x + 1.0, y),
    "maximum": tj.numpy.maximum, "minimum": tj.numpy.minimum,
    "where": lambda x, y: tj.where(x > y, x, y * 2.0),
}
REDUCTIONS = {
    "sum": tj.reduce_sum, "mean": tj.reduce_mean, "max": tj.reduce_max,
    "sum_last": lambda x: tj.reduce_sum(x, -1), "mean_first": lambda x: tj.reduce_mean(x, 0),
    "max_last": lambda x: tj.reduce_max(x, -1), "softmax": lambda x: tj.nn.softmax(x),
    "log_softmax": lambda x: tj.nn.log_softmax(x), "logsumexp": tj.math.reduce_logsumexp,
}


def _scalar_loss(fn: Callable) -> Callable:
    return lambda *xs: tj.reduce_sum(fn(*xs))


def _chain(x):
    """Elementwise only: its gradient is a group the block interpreter runs."""
    return tj.reduce_sum(tj.nn.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x)))


def _dense_step(x, y, w1, b1, w2, b2):
    hidden = tj.math.tanh(x @ w1 + b1)
    logits = tj.nn.relu(hidden) @ w2 + b2
    return tj.reduce_mean(tj.nn.softmax_cross_entropy_with_logits(y, logits))


def _programs(dtype) -> list[tuple[str, Callable, tuple]]:
    """(name, function, arguments): each function's value and gradient, on arrays and on
    scalars (which take libm's functions)."""
    rng = np.random.default_rng(0)
    matrix = rng.uniform(-1, 1, (8, 5)).astype(dtype)
    row, scalar = matrix[0].copy(), dtype(0.5)
    work = []
    for name, fn in UNARY.items():
        work.append((name, tj.value_and_grad(_scalar_loss(fn)), (matrix,)))
        work.append((f"{name} (scalar)", tj.value_and_grad(fn), (scalar,)))
    for name, fn in BINARY.items():
        grad = tj.value_and_grad(_scalar_loss(fn), (0, 1))
        work.append((name, grad, (matrix, matrix)))
        work.append((f"{name} (row)", grad, (matrix, row)))
        work.append((f"{name} (by a scalar)", grad, (matrix, scalar)))
        work.append((f"{name} (of a scalar)", grad, (scalar, matrix)))
        work.append((f"{name} (scalar)", tj.value_and_grad(fn, (0, 1)), (scalar, scalar)))
    for name, fn in REDUCTIONS.items():
        work.append((name, tj.value_and_grad(_scalar_loss(fn)), (matrix,)))
    w1, w2 = rng.standard_normal((5, 16)).astype(dtype), rng.standard_normal((16, 3))
    labels = np.eye(3, dtype=dtype)[rng.integers(0, 3, 8)]
    params = (w1, np.zeros(16, dtype), w2.astype(dtype), np.zeros(3, dtype))
    work.append(("elementwise chain (block interpreter)", tj.grad(_chain), (row,)))
    work.append(("dense network", tj.value_and_grad(_dense_step, (2, 3, 4, 5)),
                 (matrix, labels, *params)))
    work.append(("matrix products", tj.value_and_grad(
        lambda a, b, v: tj.reduce_sum((a @ b) @ tj.transpose(b)) + tj.reduce_sum(a @ v),
        (0, 1, 2)), (matrix, w1, row)))
    square = (matrix.T @ matrix + 5 * np.eye(5)).astype(dtype)  # symmetric positive definite
    work.append(("linear algebra", tj.value_and_grad(_linear_algebra, (0, 1)),
                 (square, matrix[:5, :2].copy())))
    work.append(("hessian", tj.hessian(_rosenbrock), (row,)))
    work.append(("loop", tj.grad(_damped, (0, 1)), (scalar, scalar)))
    return work


def _threaded_programs(dtype) -> list[tuple[str, Callable, tuple]]:
    """The elementwise programs again, on THREADED_MIN values: their steps' threaded kernels.
    Arrays and scalars only (a broadcast row is copied to the full shape: the same kernel)."""
    rng = np.random.default_rng(0)
    matrix = rng.uniform(-1, 1, (THREADED_MIN // 1024, 1024)).astype(dtype)
    scalar = dtype(0.5)
    work = [(f"{name} (threaded)", tj.value_and_grad(_scalar_loss(fn)), (matrix,))
            for name, fn in UNARY.items()]
    work.append(("elementwise chain (threaded block interpreter)", tj.grad(_chain),
                 (matrix.reshape(-1),)))
    for name, fn in BINARY.items():
        grad = tj.value_and_grad(_scalar_loss(fn), (0, 1))
        work.append((f"{name} (threaded)", grad, (matrix, matrix)))
        work.append((f"{name} (threaded, by a scalar)", grad, (matrix, scalar)))
    return work


def _linear_algebra(a, b):
    """Solves and factorizations: vmath/lapack.py's wrappers, compiled once per machine,
    which the first tier calls directly (any rank, batch shape or dtype) and kernels call."""
    _, logdet = tj.linalg.slogdet(a)
    r = tj.linalg.qr(a)[1]
    return (logdet + tj.reduce_sum(tj.linalg.solve(a, b)) + tj.reduce_sum(tj.linalg.cholesky(a))
            + tj.reduce_sum(tj.linalg.eigvalsh(a)) + tj.reduce_sum(tj.linalg.pinv(b))
            + tj.reduce_sum(tj.linalg.svd(a, compute_uv=False)) + tj.reduce_sum(r * r))


def _rosenbrock(x):
    return tj.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _damped(k, x0):
    """A few Euler steps of a damped pendulum in a fori_loop (scalar carries)."""
    def step(i, state):
        x, v = state
        return x + 0.01 * v, v - 0.01 * (k * tj.math.sin(x) + 0.1 * v)
    x, v = tj.lax.fori_loop(0, 20, step, (x0, x0 * 0.0))
    return x * x + v * v


def precompile(quiet: bool = False, stream=None) -> int:
    """Warm the first tier for every program of the list; returns how many could not run."""
    stream = stream or sys.stdout
    work = [(name, dtype, fn, args, False) for dtype in (np.float32, np.float64)
            for name, fn, args in _programs(dtype)]
    work += [(name, dtype, fn, args, True) for dtype in (np.float32, np.float64)
             for name, fn, args in _threaded_programs(dtype)]
    start, failed = time.perf_counter(), 0
    terminal = bool(getattr(stream, "isatty", lambda: False)())
    for done, (name, dtype, fn, args, threaded) in enumerate(work, 1):
        saved = tj.config.first_tier_compile_threaded
        tj.config.update("first_tier_compile_threaded", threaded)
        try:
            ok = run_first_tier(fn, args)
        except Exception:  # noqa: BLE001 - one program must not stop the others
            ok = False
        finally:
            tj.config.update("first_tier_compile_threaded", saved)
        failed += not ok
        if not quiet and terminal:
            bar = "#" * (30 * done // len(work))
            label = f"{name} {np.dtype(dtype).name}"
            stream.write(f"\rprecompiling the first tier [{bar:<30}] {done}/{len(work)} "
                         f"{label:<28.28}")
            stream.flush()
    if not failed:
        stamp_path().parent.mkdir(parents=True, exist_ok=True)
        stamp_path().touch(mode=0o600)
    if not quiet:
        stream.write(f"{chr(10) if terminal else ''}{len(work) - failed} of {len(work)} "
                     f"programs in {time.perf_counter() - start:.1f} s; kernels in "
                     f"{first_tier_directory()}\n")
    return failed
