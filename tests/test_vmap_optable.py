"""vmap over the op table: for every case, vmap over a stack of 3 examples equals a Python
loop over them, eagerly and under jit, mapped along axis 0, along a later axis, and with
only the first argument mapped."""

import numpy as np
import pytest

import tapejit as tj
from tests.optable import CASES, sample

PARAMS = [pytest.param(case, case.shapes[min(2, len(case.shapes) - 1)], id=case.id)
          for case in CASES]
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


@pytest.mark.parametrize("case,shapes", PARAMS)
def test_vmap_later_axis_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    axes = tuple(_later_axis(x) for x in examples[0])
    stacked = [np.stack(xs, axis=a) for xs, a in zip(zip(*examples), axes)]
    _check(case, examples, axes, stacked)


@pytest.mark.parametrize("case,shapes", PARAMS)
def test_vmap_of_the_first_argument_only_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    shared = examples[0][1:]
    examples = [[xs[0], *shared] for xs in examples]
    stacked = [np.stack([xs[0] for xs in examples]), *shared]
    _check(case, examples, (0,) + (None,) * len(shared), stacked)


@pytest.mark.xdist_group("op_table_kernels")
@pytest.mark.parametrize("case,shapes", PARAMS)
def test_jit_of_vmap_equals_a_loop(case, shapes):
    examples = _examples(case, shapes)
    axes = tuple(_later_axis(x) for x in examples[0])
    stacked = [np.stack(xs, axis=a) for xs, a in zip(zip(*examples), axes)]
    _check(case, examples, axes, stacked, jit=True)
