"""unique, NumPy 2's unique_* and bincount: gradients reach the elements the values were
taken from (and bincount's weights), their data-dependent shapes refuse tracing with a fix,
NumPy's errors."""

import numpy as np
import pytest

import tapejit as tj
import tapejit.numpy as tnp

DATA = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 7.0]])


@pytest.mark.parametrize("name", ["unique", "unique_values", "unique_counts",
                                  "unique_inverse", "unique_all"])
def test_a_unique_values_gradient_reaches_its_first_occurrence(name):
    weights = np.arange(1.0, 5.0)  # one per distinct value: 1, 2, 3, 7

    def loss(x):
        found = getattr(tnp, name)(x)
        values = found if name in ("unique", "unique_values") else found.values
        return tnp.sum(tnp.sort(values) * weights)

    got = tj.grad(loss)(DATA).numpy()
    want = np.zeros_like(DATA)
    for position, rank in (((0, 1), 0), ((1, 0), 1), ((0, 0), 2), ((1, 2), 3)):
        want[position] = weights[rank]
    np.testing.assert_array_equal(got, want)


def test_unique_along_an_axis_differentiates_through_the_kept_rows():
    rows = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    got = tj.grad(lambda x: tnp.sum(tnp.unique(x, axis=0) ** 2))(rows).numpy()
    np.testing.assert_array_equal(got, [[2.0, 4.0], [0.0, 10.0], [0.0, 0.0]])


def test_bincount_weights_are_differentiable():
    ids = np.array([0, 3, 3, 1])
    w = np.array([0.5, 1.0, 2.0, -1.0])
    tj.testing.check_grads(lambda v: tnp.bincount(ids, v, minlength=6) ** 2, [w], order=2)
    assert tnp.bincount(ids, w.astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize("call", [lambda x: tnp.unique(x), lambda x: tnp.unique_all(x),
                                  lambda x: tnp.bincount(tnp.abs(x).astype(np.int32))])
def test_data_dependent_shapes_refuse_tracing_with_a_fix(call):
    with pytest.raises(tj.TapejitError, match="cannot be compiled"):
        tj.jit(call)(np.array([1.0, 2.0]))


@pytest.mark.parametrize("args,error", [
    ((np.array([-1, 2]),), ValueError), ((np.array([1.5]),), TypeError),
    ((np.ones((2, 2), int),), ValueError), ((np.array([1, 2]), np.ones(3)), ValueError),
])
def test_bincount_gives_numpys_errors(args, error):
    with pytest.raises(error):
        np.bincount(*args)
    with pytest.raises(error):
        tnp.bincount(*args)
