"""An eager op writes its result into the array of a temporary operand (ops.temporaries,
trace.bind_into): the same bits as a fresh result, one array fewer alive, and never the array
of a value someone can still read. The threshold is lowered so small arrays exercise it."""

from __future__ import annotations

import functools
import importlib
import inspect
import operator
import pkgutil

import numpy as np
import pytest

import tapejit as tj
from tapejit import primitives, recompute
from tapejit.autodiff import pruning
from tapejit.checking import NonFiniteError
from tapejit.ir import Primitive
from tapejit.ops import temporaries
from tests.test_interpreter_memory import N, peak_and_result

pytestmark = pytest.mark.skipif(not temporaries.COUNTS_AS_ASSUMED,
                                reason="this interpreter reuses no arrays")


@pytest.fixture(autouse=True)
def _reuse_everything(monkeypatch):
    monkeypatch.setattr(temporaries, "REUSE_BYTES", 0)
    monkeypatch.setattr(pruning, "PRUNE_BYTES", 0)
    monkeypatch.setattr(recompute, "_FUNCTIONS", recompute.LRU(lambda: 8))


def _x(n: int = N) -> tj.Tensor:
    return tj.constant(np.linspace(-2.0, 2.0, n))


def _peak(run) -> float:
    return peak_and_result(run)[0]


def test_an_expression_of_temporaries_holds_two_arrays_not_three(monkeypatch):
    x = _x()
    chain = lambda: tj.math.sin(x) * x + tj.math.exp(-x * x)  # noqa: E731
    assert _peak(chain) < 2.1
    monkeypatch.setattr(temporaries, "COUNTS_AS_ASSUMED", False)  # no reuse: three arrays
    assert _peak(chain) > 2.9


def test_reused_results_are_the_bits_of_fresh_ones():
    xv = np.random.default_rng(0).normal(size=1001) * 3.0
    x = tj.constant(xv)
    got = (tj.math.sin(x) * x + tj.math.exp(-x * x) / (2.0 * x) - x).numpy()
    expected = np.sin(xv) * xv + np.exp(-xv * xv) / (2.0 * xv) - xv
    np.testing.assert_array_equal(got, expected)


def _elementwise_into():
    for info in pkgutil.iter_modules(primitives.__path__):
        module = importlib.import_module(f"{primitives.__name__}.{info.name}")
        for prim in vars(module).values():
            if isinstance(prim, Primitive) and prim.impl_into is not None:
                yield prim


_INTO = sorted({p.name: p for p in _elementwise_into()}.values(), key=lambda p: p.name)


def test_every_elementwise_ufunc_primitive_can_write_into_an_array():
    names = {p.name for p in _INTO}
    assert {"add", "sub", "mul", "div", "neg", "exp", "sin", "log", "tanh"} <= names
    assert not names & {"softplus", "sigmoid", "equal", "less"}  # not one ufunc, or bool out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("prim", _INTO, ids=lambda p: p.name)
def test_impl_into_gives_the_impls_bits(prim, dtype):
    rng = np.random.default_rng(1)
    arity = len(inspect.signature(prim.type_rule).parameters)
    args = [(rng.normal(size=1003) * 4).astype(dtype) for _ in range(arity)]
    for v in args:
        v[:5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    expected = prim.impl(*args)
    for position in range(arity):  # the result in the place of each operand in turn
        aliased = [a.copy() for a in args]
        got = prim.impl_into(aliased[position], *aliased)
        assert got is aliased[position]
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}"),
                                      expected.view(f"u{expected.itemsize}"))


def _check_untouched(value: tj.Tensor, expected: np.ndarray):
    np.testing.assert_array_equal(value.numpy(), expected)


def test_a_value_someone_holds_is_never_overwritten():
    x = _x(50)
    held = x * 2.0
    copy = held.numpy().copy()
    _ = held + 1.0, -held, tj.math.exp(held), held.__add__(x), 2.0 * held
    _ = operator.add(held, x), functools.reduce(operator.mul, [held, x]), sum([held, x])
    _ = list(map(tj.math.sin, [held])), [tj.math.sin(h) for h in [held]]
    _check_untouched(held, copy)
    box = {"v": x * 3.0}
    _ = box["v"] + 1.0, tj.math.exp(box["v"])
    _check_untouched(box["v"], x.numpy() * 3.0)


def test_an_array_shared_with_numpy_is_never_overwritten():
    user = np.linspace(0.0, 1.0, 50)
    _ = tj.constant(user) * 2.0, -tj.constant(user)
    np.testing.assert_array_equal(user, np.linspace(0.0, 1.0, 50))
    seen = []

    def keep(t):
        seen.append(t.numpy())
        return t
    _ = keep(tj.constant(user) * 2.0) + 1.0
    np.testing.assert_array_equal(seen[0], user * 2.0)


def test_each_path_to_an_op_reuses_a_temporary():
    x = _x()
    for expression in (lambda: (x * 2.0) + 1.0, lambda: 1.0 + (x * 2.0),
                       lambda: -(x * 2.0), lambda: tj.math.exp(x * 2.0),
                       lambda: tj.numpy.exp(x * 2.0), lambda: tj.math.add(x * 2.0, 1.0),
                       lambda: tj.numpy.subtract(1.0, x * 2.0), lambda: tj.numpy.negative(x * 2.0),
                       lambda: (x * 2.0) / 3.0, lambda: 3.0 - (x * 2.0),
                       lambda: tj.math.square(x * 2.0), lambda: tj.math.abs(x * 2.0),
                       lambda: tj.numpy.square(x * 2.0), lambda: tj.numpy.abs(x * 2.0)):
        assert _peak(expression) < 1.1, expression


@pytest.mark.parametrize("persistent", [False, True])
def test_the_tape_gradient_is_right_after_reuse(persistent):
    xv = np.linspace(-2.0, 2.0, 101)
    x = tj.constant(xv)
    with tj.GradientTape(persistent=persistent) as tape:
        tape.watch(x)
        y = tj.reduce_sum(tj.nn.softplus(tj.math.sin(x) * x + tj.math.exp(-x * x)))
    assert bool(tape._pruner.pruned) is not persistent
    g = tape.gradient(y, x).numpy()
    u = np.sin(xv) * xv + np.exp(-xv * xv)
    expected = (1 / (1 + np.exp(-u))) * (np.cos(xv) * xv + np.sin(xv)
                                         - 2 * xv * np.exp(-xv * xv))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


def test_a_tape_that_keeps_values_keeps_their_arrays():
    x = _x(50)
    with tj.GradientTape() as outer, tj.GradientTape() as inner:
        outer.watch(x)
        inner.watch(x)
        a = tj.math.sin(x)
        y = tj.reduce_sum(a * x)
    np.testing.assert_allclose(inner.gradient(y, x).numpy(),
                               np.cos(x.numpy()) * x.numpy() + np.sin(x.numpy()), rtol=1e-13)
    np.testing.assert_array_equal(a.numpy(), np.sin(x.numpy()))
    with tj.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tj.reduce_sum(tj.math.exp(tj.math.sin(x) * x))
    g1, g2 = tape.gradient(y, x), tape.gradient(y, x)  # every value still whole
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_an_operand_the_tape_does_not_record_keeps_its_array():
    x, w = _x(50), tj.constant(np.linspace(1.0, 2.0, 50))
    with tj.GradientTape() as tape:
        tape.watch(w)
        y = tj.reduce_sum((x * 2.0) * w)  # mul's gradient in w reads the unwatched x * 2.0
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), x.numpy() * 2.0)


def test_nan_hunting_sees_every_operand_whole():
    x = tj.constant([1.0, 0.0, 2.0])
    tj.config.update("debug_nans", True)
    try:
        with pytest.raises(NonFiniteError, match="log produced NaN"):
            tj.math.log((x * 2.0) - 2.0)
    finally:
        tj.config.update("debug_nans", False)


def test_an_op_that_fails_in_place_leaves_the_tape_consistent():
    x = tj.constant(np.full(50, 3e38, np.float32))
    with tj.GradientTape() as tape:
        tape.watch(x)
        with np.errstate(over="raise"), pytest.raises(tj.errors.TapejitError, match="add"):
            _ = (x * 1.0) + x  # overflows: NumPy raises after writing into the temporary
        y = tj.reduce_sum(x * 2.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.full(50, 2.0, np.float32))
