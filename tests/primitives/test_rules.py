"""Generic checks of every primitive's rules, driven by the op table."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.control import all_primitives
from tapejit.ir import Lit, type_of
from tests.optable import CASES, SPECIAL_VALUES, EveryOther, covered_primitives, sample

PARAMS = [pytest.param(case, shapes, id=f"{case.id}-{'x'.join(map(str, shapes))}")
          for case in CASES for shapes in case.shapes]


def _args(case, shapes, seed=0, dtype=np.float64):
    return [a.astype(dtype) for a in sample(case, shapes, np.random.default_rng(seed))]


# `fused` is made by the fusion pass after differentiation and never seen by users; every
# jit test runs it (tests/test_jit.py), and the interpreter runs it when Numba cannot.
AFTER_AUTODIFF = {"fused"}


def test_every_primitive_has_a_case():
    missing = set(all_primitives()) - covered_primitives() - AFTER_AUTODIFF
    assert not missing, f"primitives without an op-table case: {sorted(missing)}"


def test_every_primitive_has_its_rules():
    for prim in all_primitives().values():
        assert prim.type_rule is not None and prim.impl is not None, prim.name
        assert prim.jvp is not None or prim.name in AFTER_AUTODIFF, f"{prim.name} has no JVP"


@pytest.mark.parametrize("case,shapes", PARAMS)
def test_forward_matches_numpy(case, shapes):
    args = _args(case, shapes)
    out = case.fn(*[tj.constant(a) for a in args])
    np.testing.assert_allclose(np.asarray(out.numpy(), np.float64), case.numpy(*args),
                               rtol=1e-12, atol=0)


def _eval_checking_types(program, args):
    env = {id(v): a for v, a in zip(program.inputs, args)}
    read = lambda atom: atom.value if isinstance(atom, Lit) else env[id(atom)]
    for eqn in program.eqns:
        out = eqn.prim.impl(*(read(a) for a in eqn.inputs), **eqn.params)
        outs = out if eqn.prim.multiple_results else (out,)
        for var, value in zip(eqn.outputs, outs, strict=True):
            assert type_of(np.asarray(value)) == var.type, (
                f"{eqn.prim.name}: impl gave {type_of(np.asarray(value))}, rule says {var.type}")
            env[id(var)] = value


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case,shapes", PARAMS)
def test_type_rule_matches_impl(case, shapes, dtype):
    args = _args(case, shapes, dtype=dtype)
    program = tj.make_ir(case.fn)(*args)
    tj.ir.verify(program) if hasattr(tj, "ir") else None
    _eval_checking_types(program, args)


DIFFERENTIABLE = [p for p in PARAMS if p.values[0].order > 0]


@pytest.mark.parametrize("case,shapes", DIFFERENTIABLE)
def test_derivatives_match_finite_differences(case, shapes):
    """8 seeded points x 3 random directions, forward and reverse, to the case's order."""
    for point in range(8):
        args = _args(case, shapes, point)
        for direction in range(3):
            tj.testing.check_grads(case.fn, args, order=case.order if direction == 0 else 1,
                                   modes=case.modes, seed=100 * point + direction)


@pytest.mark.parametrize("case,shapes", [p for p in DIFFERENTIABLE if "fwd" in p.values[0].modes])
def test_transpose_dot_product_identity(case, shapes):
    """<u, J v> by forward mode equals <J^T u, v> by reverse mode (reverse-only cases, whose
    J v does not exist, have their gradients checked against finite differences instead)."""
    for seed in range(3):
        tj.testing.check_transpose(case.fn, _args(case, shapes, seed), rtol=1e-12, seed=seed)


def _fd_jacobian(fn, args, index, eps=1e-6):
    x = args[index]
    out = np.asarray(fn(*map(tj.constant, args)).numpy(), np.float64)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        plus = [a if i != index else x + step.reshape(x.shape) for i, a in enumerate(args)]
        minus = [a if i != index else x - step.reshape(x.shape) for i, a in enumerate(args)]
        diff = (np.asarray(fn(*map(tj.constant, plus)).numpy(), np.float64)
                - np.asarray(fn(*map(tj.constant, minus)).numpy(), np.float64))
        columns.append(diff / (2 * eps))
    return np.stack(columns, -1).reshape(out.shape + x.shape) if columns else None


@pytest.mark.parametrize("case,shapes", [p for p in DIFFERENTIABLE if all(
    0 < np.prod(getattr(s, "shape", s) if not isinstance(s, EveryOther) else (s.n // 2,)) <= 64
    for s in p.values[1])])
def test_full_jacobian_matches_finite_differences(case, shapes):
    args = _args(case, shapes, seed=7)
    for index in range(len(args)):
        expected = _fd_jacobian(case.fn, args, index)
        for mode in [m for m in ("rev", "fwd") if m in case.modes]:
            jac = tj.jacobian(case.fn, argnums=index, mode=mode)(*args)
            np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{mode}-mode jacobian of argument {index}")


@pytest.mark.parametrize("case,shapes", DIFFERENTIABLE)
def test_float32_gradients_match_float64(case, shapes):
    def grads(dtype):
        args = _args(case, shapes, seed=3, dtype=dtype)
        f = lambda *xs: tj.reduce_sum(case.fn(*xs) * tj.math.cos(case.fn(*xs)))
        return tj.grad(f, tuple(range(len(args))))(*args)

    for g32, g64 in zip(grads(np.float32), grads(np.float64)):
        assert g32.dtype == np.float32 and g64.dtype == np.float64
        scale = max(float(np.max(np.abs(g64.numpy()), initial=0.0)), 1e-3)
        np.testing.assert_allclose(g32.numpy(), g64.numpy(), rtol=2e-3, atol=2e-3 * scale)


SPECIAL = [pytest.param(c, id=c.id) for c in CASES if c.special]


@pytest.mark.parametrize("case", SPECIAL)
def test_special_values_match_numpy(case):
    n_args = len(case.shapes[0])
    grids = np.meshgrid(*[SPECIAL_VALUES] * n_args, indexing="ij")
    args = [g.ravel() for g in grids]
    with np.errstate(all="ignore"):
        expected = np.asarray(case.numpy(*args))
    got = np.asarray(case.fn(*map(tj.constant, args)).numpy())
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64),
                               rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.kinks])
def test_documented_subgradients_at_kinks(case):
    for args, expected in case.kinks:
        grads = tj.grad(lambda *xs: tj.reduce_sum(case.fn(*xs)),
                        tuple(range(len(args))))(*[np.float64(a) for a in args])
        assert [float(g) for g in grads] == list(expected)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input_is_a_clear_error(case):
    assert case.errors, f"{case.id} has no error input"
    for call in case.errors:
        with pytest.raises((tj.TapejitError, TypeError, ValueError, IndexError)) as info:
            call()
        assert ":" in str(info.value) and "fix" in str(info.value), str(info.value)


@pytest.mark.parametrize("case,shapes", [p for p in PARAMS if p.values[0].order == 0])
def test_non_differentiable_ops_have_no_gradient(case, shapes):
    args = [tj.constant(a) for a in _args(case, shapes)]
    with tj.GradientTape() as tape:
        tape.watch(args)
        out = case.fn(*args)
    grads = tape.gradient(out, args)
    if case.prim == "stop_gradient":
        np.testing.assert_array_equal(grads[0].numpy(), args[0].numpy())
    else:
        assert all(g is None for g in grads)


# --- derivatives at special points, to order 2, every way and eagerly and under jit ----------

def _replaced(xs, i, value):
    return xs[:i] + (value,) + xs[i + 1:]


def _entries(t):
    """A tensor's elements one by one (a scalar is its only element)."""
    if t.ndim == 0:
        return [t]
    flat = tj.reshape(t, (-1,))
    return [flat[k] for k in range(flat.shape[0])]


def _directions(x):
    """One unit tangent per element of x."""
    size = int(np.prod(x.shape))
    return [np.eye(size, dtype=x.dtype)[k].reshape(x.shape) for k in range(size)]


def _jvp_in(loss, xs, i, direction):
    """The derivative of loss along `direction` in argument i (the others held fixed)."""
    return tj.jvp(lambda z: loss(*_replaced(xs, i, z)), (xs[i],), (direction,))[1]


def _grad_of_grad(loss, xs, i, j):
    return [tj.grad(lambda *ys, p=p: _entries(tj.grad(loss, i)(*ys))[p], j)(*xs)
            for p in range(int(np.prod(xs[i].shape)))]


def _jacobian_of_grad(mode):
    return lambda loss, xs, i, j: tj.jacobian(tj.grad(loss, i), j, mode=mode)(*xs)


def _jvp_of_grad(loss, xs, i, j):
    return [_jvp_in(tj.grad(loss, i), xs, j, d) for d in _directions(xs[j])]


def _jvp_of_jvp(loss, xs, i, j):
    return [[_jvp_in(lambda *ys, di=di: _jvp_in(loss, ys, i, di), xs, j, dj)
             for dj in _directions(xs[j])] for di in _directions(xs[i])]


def _grad_of_jvp(loss, xs, i, j):
    return [tj.grad(lambda *ys, d=d: _jvp_in(loss, ys, i, d), j)(*xs) for d in _directions(xs[i])]


# block layout of each way's result: rows over x_i's elements, or columns over x_j's
SECOND_DERIVATIVES = {"grad(grad)": (_grad_of_grad, "rows"),
                      "jacobian_rev(grad)": (_jacobian_of_grad("rev"), "block"),
                      "jacobian_fwd(grad)": (_jacobian_of_grad("fwd"), "block"),
                      "jvp(grad)": (_jvp_of_grad, "columns"),
                      "jvp(jvp)": (_jvp_of_jvp, "rows"),
                      "grad(jvp)": (_grad_of_jvp, "rows")}


def _all_derivatives(loss, n):
    """A function of the arguments giving the value, the gradient by reverse and by forward
    mode, and every block of second derivatives by each way."""
    def derivatives(*xs):
        out = {"value": loss(*xs), "grad": list(tj.grad(loss, tuple(range(n)))(*xs)),
               "jvp": [[_jvp_in(loss, xs, i, d) for d in _directions(xs[i])]
                       for i in range(n)]}
        for way, (second, _) in SECOND_DERIVATIVES.items():
            for i in range(n):
                for j in range(n):
                    # the eager tape loses a watched scalar captured by a nested jvp, so
                    # grad(jvp) is taken within one argument only
                    if way != "grad(jvp)" or i == j:
                        out[f"{way} {i} {j}"] = second(loss, xs, i, j)
        return out
    return derivatives


def _block(value, layout, shape_i, shape_j) -> np.ndarray:
    if layout == "block":
        return np.asarray(value.numpy(), np.float64)
    parts = np.array([[np.asarray(v.numpy(), np.float64) for v in row] for row in value]
                     if layout == "rows" and isinstance(value[0], list) else
                     [np.asarray(v.numpy(), np.float64) for v in value])
    if layout == "columns":
        parts = np.moveaxis(parts, 0, -1)
    return parts.reshape(shape_i + shape_j)


def _check_special_point(case, got, args, grads, hessian):
    shapes = [np.shape(a) for a in args]
    where = f"{case.id} at {args}"
    if case.numpy is not None:
        with np.errstate(all="ignore"):
            value = np.sum(case.numpy(*args))
        np.testing.assert_allclose(got["value"].numpy(), value, rtol=1e-12, err_msg=where)
    for i, expected in enumerate(grads):
        by_jvp = np.array([t.numpy() for t in got["jvp"][i]]).reshape(shapes[i])
        for how, value in (("grad", got["grad"][i].numpy()), ("jvp", by_jvp)):
            np.testing.assert_allclose(value, expected, rtol=1e-12, atol=0, equal_nan=False,
                                       err_msg=f"{where}: d/dx{i} by {how}")
    for key, value in got.items():
        if key in ("value", "grad", "jvp"):
            continue
        way, i, j = key.split()
        i, j = int(i), int(j)
        block = _block(value, SECOND_DERIVATIVES[way][1], shapes[i], shapes[j])
        np.testing.assert_allclose(block, hessian[i][j], rtol=1e-12, atol=0, equal_nan=False,
                                   err_msg=f"{where}: d2/dx{i}dx{j} by {way}")


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.special_points])
def test_second_derivatives_at_special_points(case, jit):
    """Value, gradient (reverse and forward) and second derivatives (reverse-over-reverse,
    forward-over-reverse, forward-over-forward, reverse-over-forward) at documented special
    points, in float64."""
    n = len(case.special_points[0][0])
    derivatives = _all_derivatives(lambda *xs: tj.reduce_sum(case.fn(*xs)), n)
    run = tj.jit(derivatives) if jit else derivatives
    for args, grads, hessian in case.special_points:
        args = tuple(np.asarray(a, np.float64)[()] for a in args)
        with np.errstate(all="ignore"):
            got = run(*args)
        _check_special_point(case, got, args, grads, hessian)
