"""vmap over the op table: vmap over a stack of 3 examples equals a Python loop over them,
for every case eagerly along axis 0, and for one case per primitive along a later axis, with
only the first argument mapped, and under jit; for differentiable cases, vmap of grad and grad
of vmap equal the per-example gradients."""

import numpy as np
import pytest

import tapejit as tj
from tests.optable import CASES, one_per_primitive, sample

PARAMS = [pytest.param(case, case.shapes[min(2, len(case.shapes) - 1)], id=case.id)
          for case in CASES]
DIFFERENTIABLE = [p for p in PARAMS if p.values[0].order > 0]
BATCH = 3


def _examples(case, shapes):
    return [sample(case, shapes, np.random.default_rng(seed)) for seed in range(BATCH)]


def _looped(case, examples):
    return np.stack([np.asarray(case.fn(*map(tj.constant, xs)).numpy()) for xs in examples])


def _later_axis(x) -> int:
    return 1 if np.ndim(x) >= 1 else 0


def _check(case, examples, in_axes, stacked, jit=False):
    expected = _looped(case, examples)
    fn = tj.vmap(case.fn, in_axes=in_axes)
    got = (tj.jit(fn) if jit else fn)(*stacked)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(got.numpy(), np.float64),
                               np.asarray(expected, np.float64), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("case,shapes", PARAMS)
def test_vmap_axis_0_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    stacked = [np.stack(xs) for xs in zip(*examples)]
    _check(case, examples, 0, stacked)


@pytest.mark.parametrize("case,shapes", one_per_primitive(PARAMS))
def test_vmap_later_axis_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    axes = tuple(_later_axis(x) for x in examples[0])
    stacked = [np.stack(xs, axis=a) for xs, a in zip(zip(*examples), axes)]
    _check(case, examples, axes, stacked)


@pytest.mark.parametrize("case,shapes", one_per_primitive(PARAMS))
def test_vmap_of_the_first_argument_only_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    shared = examples[0][1:]
    examples = [[xs[0], *shared] for xs in examples]
    stacked = [np.stack([xs[0] for xs in examples]), *shared]
    _check(case, examples, (0,) + (None,) * len(shared), stacked)


@pytest.mark.parametrize("case,shapes", one_per_primitive(PARAMS))
def test_jit_of_vmap_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    axes = tuple(_later_axis(x) for x in examples[0])
    stacked = [np.stack(xs, axis=a) for xs, a in zip(zip(*examples), axes)]
    _check(case, examples, axes, stacked, jit=True)


def _loss(case):
    def loss(*xs):
        out = tj.cast(case.fn(*xs), xs[0].dtype)
        return tj.reduce_sum(out * tj.math.sin(out))
    return loss


def _per_example_grads(case, examples):
    grad = tj.grad(_loss(case), tuple(range(len(examples[0]))))
    rows = [grad(*map(tj.constant, xs)) for xs in examples]
    return [np.stack([r[i].numpy() for r in rows]) for i in range(len(examples[0]))]


def _assert_grads(got, expected):
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g.numpy()), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case,shapes", DIFFERENTIABLE)
def test_vmap_of_grad_equals_per_example_gradients(case, shapes):
    examples = _examples(case, shapes)
    stacked = [np.stack(xs) for xs in zip(*examples)]
    argnums = tuple(range(len(stacked)))
    got = tj.vmap(tj.grad(_loss(case), argnums))(*stacked)
    _assert_grads(got, _per_example_grads(case, examples))


@pytest.mark.parametrize("case,shapes", DIFFERENTIABLE)
def test_grad_of_vmap_equals_per_example_gradients(case, shapes):
    examples = _examples(case, shapes)
    stacked = [np.stack(xs) for xs in zip(*examples)]
    argnums = tuple(range(len(stacked)))
    total = lambda *xs: tj.reduce_sum(tj.vmap(_loss(case))(*xs))  # noqa: E731
    _assert_grads(tj.grad(total, argnums)(*stacked), _per_example_grads(case, examples))
