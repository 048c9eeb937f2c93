"""The first tier's block interpreter gives the specialized kernel's bits: every opcode, groups
over several blocks with a short last one, literals and scalar operands, several outputs,
sin/cos arguments beyond vmath's range, and the threaded interpreter; its register tables
reuse registers and never write one an instruction reads."""

from __future__ import annotations

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import first_tier_interpreter as interpreter
from tapejit.backend.numba_cpu.block_code import BLOCK, FILL, LOAD, OPCODES, STORE
from tests.test_first_tier import SPECIAL, _assert_same_bits, _tiers

N = 2 * BLOCK + 37  # two whole blocks and a short one

UNARY = {
    "neg": lambda x: -x, "square": tj.math.square, "abs": tj.math.abs,
    "sign": tj.numpy.sign, "sqrt": tj.math.sqrt, "rsqrt": tj.math.rsqrt, "exp": tj.math.exp,
    "expm1": tj.math.expm1, "log": tj.math.log, "log1p": tj.math.log1p, "sin": tj.math.sin,
    "cos": tj.math.cos, "tanh": tj.math.tanh, "sigmoid": tj.nn.sigmoid,
    "softplus": tj.nn.softplus, "stop_gradient": tj.stop_gradient,
}
BINARY = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "pow": tj.math.pow, "maximum": tj.numpy.maximum,
    "minimum": tj.numpy.minimum,
}


@pytest.fixture
def runs(monkeypatch):
    """The groups the interpreter ran (Interpreted.__call__ counted)."""
    calls = []
    call = interpreter.Interpreted.__call__

    def counted(self, values):
        calls.append(self)
        return call(self, values)
    monkeypatch.setattr(interpreter.Interpreted, "__call__", counted)
    return calls


def _values(dtype, seed: int = 0) -> np.ndarray:
    """N values: the special ones, then a spread of signs and magnitudes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 3, N) * np.exp(rng.uniform(-6, 6, N))
    x[:len(SPECIAL) - 1] = SPECIAL[:-1]  # not 2**41: one huge sin argument sends all to libm
    return x.astype(dtype)


def _check(fn, *args, runs) -> None:
    """The same bits, but for a NaN's sign: LLVM folds the kernel's (-a) + b into b - a, which
    IEEE 754 allows (a NaN's sign is unspecified) and which turns -NaN into NaN."""
    pair = _tiers(fn, *args)
    assert pair is not None
    assert runs, "the group did not run on the interpreter"
    first, kernel = ([_nan_signs_dropped(v) for v in values] for values in pair)
    _assert_same_bits(first, kernel)


def _nan_signs_dropped(value: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(value), np.abs(value), value)


def test_every_opcode_has_a_test():
    names = {name for name, _ in OPCODES}
    assert names == set(UNARY) | set(BINARY) | {"integer_pow"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_opcodes_give_the_kernels_bits(name, dtype, runs):
    # tanh: a group of exact operations alone runs on NumPy below EXACT_ONLY_MIN values
    _check(lambda x: UNARY[name](x * 1.5) + tj.math.tanh(x), _values(dtype), runs=runs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_opcodes_give_the_kernels_bits(name, dtype, runs):
    x, y = _values(dtype, 1), _values(dtype, 2)[::-1].copy()
    _check(lambda a, b: BINARY[name](a * 1.5, b) + tj.math.tanh(b), x, y, runs=runs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [-3, -2, -1, 2, 3, 4])
def test_integer_powers_give_the_kernels_bits(power, dtype, runs):
    _check(lambda x: tj.math.exp(x) ** power, _values(dtype) / 50, runs=runs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_gradient_with_scalars_and_several_outputs(dtype, runs):
    """The chain's gradient and value with a scalar operand, literals and an input returned
    as it is."""
    def fn(x, s):
        u = tj.math.sin(x) * x + tj.math.exp(-x * x) * s
        return tj.nn.softplus(u) - 2.0, tj.math.cos(u) / (s + x * x), x
    x = np.linspace(-4, 4, N).astype(dtype)
    _check(fn, x, dtype(0.75), runs=runs)
    _check(tj.grad(lambda x: tj.reduce_sum(tj.nn.softplus(tj.math.sin(x) * x))), x, runs=runs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_huge_sin_argument_in_the_last_block_sends_the_group_to_libm(dtype, runs):
    x = np.linspace(-3, 3, N).astype(dtype)
    x[-1] = 2.0**41
    fn = lambda v: tj.math.sin(v) * tj.math.cos(v * 0.5)  # noqa: E731
    _check(fn, x, runs=runs)
    assert runs[-1](list([x])) is None  # the interpreter's answer: use libm


def test_the_threaded_interpreter_gives_the_serial_bits(monkeypatch, runs):
    """Compiled first (as precompile does), it runs a large group from its second call."""
    monkeypatch.setattr(interpreter, "THREADED_BLOCKS", 2)
    monkeypatch.setattr(tj.config, "first_tier_compile_threaded", True)
    nothing = [np.zeros((0, 4), np.int32), np.zeros(1), *[np.zeros(0, np.float32)] * 9]
    interpreter._interpreter(np.dtype(np.float32), N, 1, True)(nothing)
    monkeypatch.setattr(tj.config, "first_tier_compile_threaded", False)
    x = np.linspace(-3, 3, N).astype(np.float32)
    fn = lambda v: tj.math.tanh(tj.math.sin(v) * v + 1.0)  # noqa: E731
    _check(fn, x, runs=runs)  # the first call is serial
    group = runs[-1]
    assert not group.kernel.kernel.parallel
    _assert_same_bits(group([x]), [tj.jit(fn)(x).numpy()])
    assert group.kernel.kernel.parallel


def _table(fn, *args):
    fused = tj.jit(fn).lower(*args).fused
    group = next(e for e in fused.eqns if e.prim.kind == "fused")
    return interpreter._translate(group.params["body"])


def test_registers_are_reused_and_never_written_while_read():
    def long_chain(x):
        y = tj.math.exp(x * 0.5) - x
        y = tj.math.tanh(y) + y * 0.25
        y = tj.math.sin(y) * y - x
        y = tj.nn.sigmoid(y) / (y * y + 1.0)
        y = tj.math.cos(y) + tj.nn.softplus(y * 3.0)
        return tj.math.log1p(y * y) - tj.math.expm1(y * 0.125)
    table = _table(long_chain, np.ones(N, np.float32))
    assert len(table.rows) > 25 and table.registers <= 5
    for op, out, x, y in table.rows:
        if op not in (LOAD, FILL, STORE):
            assert out not in (x, y)
