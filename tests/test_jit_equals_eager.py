"""Compiled results equal eager ones, and both equal NumPy: integer wrap-around, booleans,
signed zeros, masked arrays and static arguments that compare equal but are not the same."""

import numpy as np
import pytest

import tapejit as tj


def _both(fn, *args):
    eager = fn(*[tj.constant(a) for a in args]).numpy()
    return eager, tj.jit(fn)(*args).numpy()


def test_integer_sums_wrap_like_numpy():
    x = np.full(10, 2**30, np.int32)
    for fn in (tj.reduce_sum, lambda a: tj.reduce_sum(a) > 0,
               lambda a: tj.reduce_sum(tj.reshape(a, (2, 5)), 1)):
        eager, jitted = _both(fn, x)
        np.testing.assert_array_equal(eager, jitted)
    assert int(tj.jit(tj.reduce_sum)(x)) == int(np.sum(x, dtype=np.int32))


@pytest.mark.parametrize("op", ["mul", "add", "sub", "maximum", "minimum"])
def test_boolean_arithmetic_is_the_same_error_eagerly_and_under_jit(op):
    """tj follows TF: booleans are not numbers (tapejit.numpy combines them as NumPy)."""
    fn = {"mul": lambda a, b: a * b, "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
          "maximum": tj.math.maximum, "minimum": tj.math.minimum}[op]
    a, b = np.array([True, True, False]), np.array([True, False, True])
    old = tj.config.checks
    tj.config.update("checks", False)  # the user functions refuse, not only the type rules
    try:
        with pytest.raises(tj.DTypeError, match="numeric"):
            fn(tj.constant(a), tj.constant(b))
        with pytest.raises(tj.DTypeError, match="numeric"):
            tj.jit(fn)(a, b)
    finally:
        tj.config.update("checks", old)
    import tapejit.numpy as tnp

    numpy_fn = {"mul": tnp.multiply, "add": tnp.add, "maximum": tnp.maximum,
                "minimum": tnp.minimum}.get(op)
    if numpy_fn is not None:
        want = getattr(np, numpy_fn.__name__)(a, b)
        np.testing.assert_array_equal(numpy_fn(a, b).numpy(), want)
        np.testing.assert_array_equal(tj.jit(numpy_fn)(a, b).numpy(), want)


def test_sign_of_signed_zeros_and_nan():
    x = np.array([-0.0, 0.0, np.nan, -2.0, np.inf])
    eager, jitted = _both(tj.math.sign, x)
    for got in (eager, jitted):
        np.testing.assert_array_equal(np.signbit(got), np.signbit(np.sign(x)))
        np.testing.assert_array_equal(got, np.sign(x))


def test_adding_zero_keeps_ieee_signed_zeros():
    x = np.array([-0.0, 0.0], np.float32)
    for fn in (lambda a: a + 0.0, lambda a: 0.0 + a, lambda a: a - 0.0, lambda a: a + -0.0):
        eager, jitted = _both(fn, x)
        want = fn(x)
        np.testing.assert_array_equal(np.signbit(eager), np.signbit(want))
        np.testing.assert_array_equal(np.signbit(jitted), np.signbit(want))


@pytest.mark.parametrize("call", [lambda m: tj.constant(m), lambda m: tj.reduce_sum(m),
                                  lambda m: tj.jit(tj.reduce_mean)(m),
                                  lambda m: tj.constant(1.0) * m])
def test_masked_arrays_are_refused_everywhere(call):
    masked = np.ma.masked_array([1.0, 100.0, 2.0], mask=[0, 1, 0])
    with pytest.raises(TypeError, match="masked arrays are not supported"):
        call(masked)


def test_a_numpy_ma_being_imported_by_another_thread_does_not_break_conversion(monkeypatch):
    """Another thread imports numpy.ma while the caller converts its arguments: the partly
    initialized module (no MaskedArray class yet) means no masked array exists."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "numpy.ma", types.ModuleType("numpy.ma"))
    np.testing.assert_array_equal(tj.constant(np.arange(3.0)).numpy(), np.arange(3.0))


def test_static_arguments_are_keyed_by_type_and_bits():
    f = tj.jit(lambda x, s: x * s, static_argnums=(1,))
    x = np.ones(2, np.int32)
    assert f(x, 1).dtype == np.int32 and f(x, 1.0).dtype == np.float32
    g = tj.jit(lambda x, s: x + s, static_argnums=(1,))
    assert np.signbit(g(np.float32(-0.0), -0.0).numpy())
    assert not np.signbit(g(np.float32(-0.0), 0.0).numpy())
    for _ in range(5):
        g(np.float32(1.0), float("nan"))
    assert g.cache_info().size == 3  # -0.0, 0.0 and one NaN: no trace per call


def test_caches_are_bounded_and_say_so():
    old = (tj.config.jit_cache_size, tj.config.vjp_cache_size)
    tj.config.update("jit_cache_size", 16)
    tj.config.update("vjp_cache_size", 8)
    try:
        f = tj.jit(lambda x: tj.reduce_sum(x * x))
        for n in range(1, 60):
            assert float(f(np.ones(n))) == n
        info = f.cache_info()
        assert info.size == 16 and info.maxsize == 16 and info.evictions == 59 - 16
        assert float(f(np.ones(3))) == 3.0  # an evicted signature traces again
        from tapejit.autodiff.eager import _VJPS

        for n in range(1, 30):
            x = tj.constant(np.ones(n))
            with tj.GradientTape() as tape:
                tape.watch(x)
                y = tj.reduce_sum(tj.math.sin(x))
            tape.gradient(y, x)
        assert len(_VJPS) <= 8
    finally:
        tj.config.update("jit_cache_size", old[0])
        tj.config.update("vjp_cache_size", old[1])


def _compiled_quietly(fn, *args):
    import warnings

    f = tj.jit(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "tapejit bug" fallback
        out = f(*args)
    assert "runs in the NumPy interpreter" not in f.lower(*args).source
    return out


def test_float16_compiles_in_float32_and_rounds_on_store():
    x = np.linspace(-3, 3, 101).astype(np.float16)
    fn = lambda a: tj.math.sin(a) * a + tj.math.exp(a * 0.5)  # noqa: E731
    got = _compiled_quietly(fn, x)
    assert got.dtype == np.float16
    exact = fn(tj.constant(x.astype(np.float64))).numpy()
    np.testing.assert_array_equal(got.numpy(), exact.astype(np.float16))  # one rounding
    eager = fn(tj.constant(x)).numpy()  # rounds after every op
    ulp = np.spacing(np.abs(eager)).astype(np.float64)
    assert np.all(np.abs(got.numpy().astype(np.float64) - eager) <= 2 * ulp)
    grad = _compiled_quietly(tj.grad(lambda a: tj.reduce_sum(a * a)), x)
    assert grad.dtype == np.float16
    np.testing.assert_array_equal(grad.numpy(), 2 * x)


def test_arrays_of_rank_above_twenty_compile():
    shape = (2, 1, 3) + (1,) * 17 + (2, 2)
    x = np.random.default_rng(0).standard_normal(shape)
    got = _compiled_quietly(lambda a: tj.reduce_sum(tj.math.sin(a) * a, axis=(0, 21)), x)
    np.testing.assert_allclose(got.numpy(), (np.sin(x) * x).sum(axis=(0, 21)), rtol=1e-12)


def test_boolean_extrema_compile():
    x = np.array([[True, False], [False, False]])
    for fn in (lambda a: tj.reduce_max(a, 1), lambda a: tj.reduce_min(a, 0)):
        eager, jitted = _both(fn, x)
        np.testing.assert_array_equal(eager, jitted)
    assert _compiled_quietly(lambda a: tj.reduce_max(a), x).numpy() == np.True_


def test_the_interpreter_takes_scalars_as_the_kernel_does():
    from tapejit.backend.executable import interpreted

    program = tj.make_ir(lambda a, b: tj.cast(a, tj.float32) * b)(np.bool_(True), 2.0)
    out = interpreted(program, "a test")([True, 2.0])
    assert float(out[0]) == 2.0 and out[0].dtype == np.float32
