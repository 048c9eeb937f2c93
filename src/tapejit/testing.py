"""Public checks of derivatives: finite differences, and the transpose (dot-product) identity."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tapejit import tree
from tapejit.api import jvp, vjp
from tapejit.tensor import Tensor


def _numpy(x) -> np.ndarray:
    return np.asarray(x.numpy() if isinstance(x, Tensor) else x, np.float64)


def _flat(tree_value) -> np.ndarray:
    leaves = tree.leaves(tree_value)
    return np.concatenate([_numpy(x).ravel() for x in leaves]) if leaves else np.zeros(0)


def _random_like(args, rng) -> list:
    return [tree.unflatten(tree.flatten(a)[1],
                           [rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype)
                            for x in tree.leaves(a)]) for a in args]


def _shift(args, direction, step: float) -> list:
    return [tree.unflatten(tree.flatten(a)[1],
                           [np.asarray(x) + step * np.asarray(d)
                            for x, d in zip(tree.leaves(a), tree.leaves(v))])
            for a, v in zip(args, direction)]


def _central_difference(fn, args, direction, eps: float) -> np.ndarray:
    plus = _flat(fn(*_shift(args, direction, eps)))
    minus = _flat(fn(*_shift(args, direction, -eps)))
    with np.errstate(invalid="ignore"):
        diff = np.where(plus == minus, 0.0, plus - minus)  # a constant +-inf has slope 0
    return diff / (2 * eps)


def _relative_error(a: np.ndarray, b: np.ndarray, atol: float) -> float:
    """Largest difference relative to the largest magnitude (infinity-norm relative error),
    so tiny components near zero are judged against the whole vector's scale."""
    if not a.size:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), atol)
    return float(np.max(np.abs(a - b))) / scale


def _check(what: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> float:
    err = _relative_error(got, want, atol)
    if not err <= rtol:
        raise AssertionError(f"{what}: relative error {err:.3e} > {rtol:.1e}\n"
                             f"  derivative:         {got}\n  finite differences: {want}")
    return err


def check_jvp(fn: Callable, args: Sequence, direction: Sequence, eps: float, rtol: float,
              atol: float) -> float:
    """Forward mode along `direction` against central differences."""

    _, tangent = jvp(fn, tuple(args), tuple(direction))
    return _check("JVP", _flat(tangent), _central_difference(fn, args, direction, eps),
                  rtol, atol)


def check_vjp(fn: Callable, args: Sequence, direction: Sequence, eps: float, rtol: float,
              atol: float, rng) -> float:
    """<u, J v> from reverse mode against <u, finite-difference J v> for a random u."""

    out, vjp_fn = vjp(fn, *args)
    u = _random_like([out], rng)[0]
    cotangents = vjp_fn(u)
    lhs = np.dot(_flat(cotangents), _flat(direction))
    rhs = np.dot(_flat(u), _central_difference(fn, args, direction, eps))
    return _check("VJP", np.array([lhs]), np.array([rhs]), rtol, atol)


def check_transpose(fn: Callable, args: Sequence, rtol: float = 1e-10, seed: int = 0) -> float:
    """The dot-product test <J v, u> == <v, J^T u> between forward and reverse mode."""

    rng = np.random.default_rng(seed)
    v = _random_like(args, rng)
    out, vjp_fn = vjp(fn, *args)
    u = _random_like([out], rng)[0]
    _, jv = jvp(fn, tuple(args), tuple(v))
    lhs = float(np.dot(_flat(jv), _flat(u)))
    rhs = float(np.dot(_flat(v), _flat(vjp_fn(u))))
    return _check("transpose identity <Jv,u> = <v,J^T u>", np.array([lhs]), np.array([rhs]),
                  rtol, 1e-300)


def check_grads(fn: Callable, args: Sequence, order: int = 1, modes=("fwd", "rev"),
                eps: float = 1e-5, rtol: float = 1e-5, atol: float = 1e-8,
                seed: int = 0) -> float:
    """Check fn's derivatives at `args` to `order` against central finite differences.

    Use float64 arguments. Each order differentiates the previous order's derivative along a
    random direction, in forward and/or reverse mode.

    Returns:
        The largest relative error seen.
    Raises:
        AssertionError: naming the mode and order that disagree.
    """

    rng = np.random.default_rng(seed)
    args = [tree.unflatten(tree.flatten(a)[1], [_numpy(x) for x in tree.leaves(a)])
            for a in args]
    direction = _random_like(args, rng)
    worst = 0.0
    if "fwd" in modes:
        worst = max(worst, check_jvp(fn, args, direction, eps, rtol, atol))
    if "rev" in modes:
        worst = max(worst, check_vjp(fn, args, direction, eps, rtol, atol, rng))
    if order > 1:
        if "fwd" in modes:
            deriv = lambda *xs: jvp(fn, xs, tuple(direction))[1]
            worst = max(worst, check_grads(deriv, args, order - 1, modes, eps, rtol * 10,
                                           atol, seed + 1))
        if "rev" in modes:
            out = fn(*args)
            u = _random_like([out], rng)[0]
            deriv = lambda *xs: vjp(fn, *xs)[1](u)
            worst = max(worst, check_grads(deriv, args, order - 1, modes, eps, rtol * 10,
                                           atol, seed + 1))
    return worst
