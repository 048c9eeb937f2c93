"""Bad input gets a clear error naming the op, the shapes/dtypes and the fix."""

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp


def test_broadcast_mismatch_names_op_shapes_line_and_fix():
    a, b = tj.constant([1.0, 2.0, 3.0]), tj.constant([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(tj.ShapeError) as info:
        a + b
    text = str(info.value)
    assert text.startswith("add:") and "f32[3]" in text and "f32[4]" in text
    assert "test_errors.py" in text and "a + b" in text and "fix:" in text


def test_matmul_mismatch():
    a, b = tj.constant(np.ones((3, 4))), tj.constant(np.ones((5, 6)))
    with pytest.raises(tj.ShapeError) as info:
        a @ b
    text = str(info.value)
    assert text.startswith("matmul:") and "[3, 4]" in text and "[5, 6]" in text
    assert "transpose" in text


def test_matmul_mismatch_under_tracing_gives_the_same_message():
    eager = traced = None
    a, b = np.ones((3, 4), np.float32), np.ones((5, 6), np.float32)
    try:
        tj.constant(a) @ tj.constant(b)
    except tj.ShapeError as e:
        eager = str(e).splitlines()[0]
    try:
        tj.make_ir(lambda x, y: x @ y)(a, b)
    except tj.ShapeError as e:
        traced = str(e).splitlines()[0]
    assert eager is not None and eager == traced


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([1, None], dtype=object),
                                 np.array([1 + 2j])])
def test_unsupported_dtypes(bad):
    with pytest.raises(tj.DTypeError, match="not supported"):
        tj.constant(bad)
    with pytest.raises(tj.DTypeError, match="not supported"):
        tj.constant([1.0, 2.0]) * bad[:1] if bad.size > 1 else tj.constant(1.0) * bad


def test_a_string_operand():
    with pytest.raises(TypeError, match="multiply"):
        tj.constant(1.0) * "x"


def test_reshape_to_a_wrong_size():
    with pytest.raises(tj.ShapeError, match=r"reshape.*\(2, 3\).*\(4, -1\)|reshape"):
        tj.reshape(tj.constant(np.ones((2, 3))), (4, -1))
    with pytest.raises(tj.ShapeError, match="6 elements"):
        tj.reshape(tj.constant(np.ones((2, 3))), (4, 2))


def test_float_only_op_on_wrong_dtype_in_a_primitive():
    from tapejit.primitives.elementwise import exp_p
    from tapejit.trace import bind

    with pytest.raises(tj.DTypeError, match="exp: expects a floating-point operand, got i32"):
        tj.make_ir(lambda x: bind(exp_p, x))(np.ones(3, np.int32))


def test_index_out_of_bounds():
    with pytest.raises(IndexError, match="out of bounds"):
        tj.constant([1.0, 2.0])[5]
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 2"):
        tj.constant([1.0, 2.0])[[0, 3]]


def test_errors_leave_the_tape_usable():
    x = tj.Variable([1.0, 2.0])
    with tj.GradientTape() as tape:
        with pytest.raises(tj.ShapeError):
            x + tj.constant([1.0, 2.0, 3.0])
        y = tj.reduce_sum(x * x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_assign_of_the_wrong_shape():
    v = tj.Variable([1.0, 2.0])
    with pytest.raises(tj.TapejitError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_booleans_are_not_numbers_to_arithmetic():
    b = tj.constant([True, False])
    for op in (lambda: b + b, lambda: b - b, lambda: b * b, lambda: tj.math.maximum(b, b)):
        with pytest.raises(tj.DTypeError, match="numeric"):
            op()
    np.testing.assert_array_equal(tj.math.logical_and(b, True).numpy(), [True, False])


def test_a_scalar_too_big_for_the_tensor_dtype():
    with pytest.raises(tj.DTypeError, match="does not fit") as info:
        tj.constant(np.array([1, 2], np.uint8)) * 300
    assert "fix:" in str(info.value)


def test_integer_tensor_exponents_compute_in_float():
    out = tj.math.pow(tj.constant([2, 3]), tj.constant([-1, 2]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [0.5, 9.0])


def test_eager_results_are_checked_against_type_rules_under_checks():
    from tapejit.ir import Primitive, TensorType
    from tapejit.trace import bind

    liar = Primitive(name="liar",
                     type_rule=lambda x: TensorType(np.dtype(np.float32), x.shape),
                     impl=lambda x: x.astype(np.float64))
    tj.config.update("checks", True)
    try:
        with pytest.raises(tj.TapejitError, match="type rule"):
            bind(liar, np.ones(2, np.float32))
    finally:
        tj.config.update("checks", True)


def test_broadcast_mismatch_is_the_same_message_eagerly_and_under_jit():
    def f(a, b):
        return a + b

    a, b = np.ones(3, np.float32), np.ones(4, np.float32)
    with pytest.raises(tj.ShapeError) as eager:
        f(tj.constant(a), tj.constant(b))
    with pytest.raises(tj.ShapeError) as traced:
        tj.jit(f)(a, b)
    assert str(eager.value).splitlines()[0] == str(traced.value).splitlines()[0]
    assert "return a + b" in str(traced.value)


@pytest.mark.parametrize("make", [lambda: tj.jit(3), lambda: tj.grad("abc"),
                                  lambda: tj.value_and_grad(None), lambda: tj.hessian(1.5),
                                  lambda: tj.jacobian([]), lambda: tj.make_ir(0)])
def test_a_transform_of_a_non_function_fails_where_it_is_applied(make):
    with pytest.raises(TypeError, match="Expected a callable value") as info:
        make()
    assert "fix" in str(info.value)


def test_static_arguments_that_do_not_exist_fail_at_jit():
    with pytest.raises(ValueError, match="static_argnums=\\(5,\\)"):
        tj.jit(lambda x: x, static_argnums=(5,))
    with pytest.raises(ValueError, match="static_argnames \\['y'\\]"):
        tj.jit(lambda x: x, static_argnames=("y",))
    tj.jit(lambda *xs: xs[0], static_argnums=(3,))  # any number of arguments: checked later
    tj.jit(lambda x, **kw: x, static_argnames=("y",))


def test_a_leaked_tracer_is_an_error_where_it_is_used():
    leaked = []
    tj.jit(lambda x: leaked.append(x * 2.0) or x)(np.ones(2))
    for use in (lambda t: t + 1.0, lambda t: tj.math.sin(t), lambda t: tj.reduce_sum(t),
                lambda t: t.numpy(), lambda t: bool(t), lambda t: float(t)):
        with pytest.raises(tj.LeakedTracerError):
            use(leaked[0])


X23 = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call", [
    lambda: tj.concat([X23, X23], axis=(1, 0)), lambda: tj.stack([X23, X23], axis=(1, 0)),
    lambda: tj.repeat(X23, 2, axis=(1, 0)), lambda: tj.gather(X23, [0], axis=(1, 0)),
    lambda: tj.math.argmax(X23, axis=(1, 0)), lambda: tj.math.cumsum(X23, axis=(1, 0)),
    lambda: tj.split(X23, 3, axis=(1, 0)), lambda: tj.one_hot([0, 1], 3, axis=(0,)),
    lambda: tj.concat([X23, X23], axis=1.0), lambda: tj.concat([X23, X23], axis=True),
    lambda: tnp.argmax(X23, axis=(0, 1)), lambda: tnp.take(X23, [0], axis=(0,)),
    lambda: tnp.take_along_axis(X23, np.zeros((2, 1), int), axis=(1,)),
])
def test_an_op_of_one_axis_refuses_several_instead_of_using_the_first(call):
    with pytest.raises(TypeError, match="axis must be a single integer"):
        call()


def test_a_single_axis_may_be_a_0d_integer_array_or_tensor():
    for axis in (np.int32(-1), np.array(1), tj.constant(1)):
        assert tj.concat([X23, X23], axis=axis).shape == (2, 6)
    assert tnp.argmax(X23, axis=np.int64(0)).shape == (3,)
