"""Generic checks of every primitive's rules, driven by the op table."""

import numpy as np
import pytest

import tapejit as tj
from tapejit.ir import Lit, type_of
from tapejit.primitives import all_primitives
from tests.optable import CASES, covered_primitives, sample

PARAMS = [pytest.param(case, shapes, id=f"{case.id}-{'x'.join(map(str, shapes))}")
          for case in CASES for shapes in case.shapes]


def _args(case, shapes, seed=0, dtype=np.float64):
    return [a.astype(dtype) for a in sample(case, shapes, np.random.default_rng(seed))]


def test_every_primitive_has_a_case():
    missing = set(all_primitives()) - covered_primitives()
    assert not missing, f"primitives without an op-table case: {sorted(missing)}"


def test_every_primitive_has_its_rules():
    for prim in all_primitives().values():
        assert prim.type_rule is not None and prim.impl is not None, prim.name
        assert prim.jvp is not None, f"{prim.name} has no JVP rule"


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
        assert type_of(np.asarray(out)) == eqn.out.type, (
            f"{eqn.prim.name}: impl gave {type_of(np.asarray(out))}, rule says {eqn.out.type}")
        env[id(eqn.out)] = out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case,shapes", PARAMS)
def test_type_rule_matches_impl(case, shapes, dtype):
    args = _args(case, shapes, dtype=dtype)
    program = tj.make_ir(case.fn)(*args)
    tj.ir.verify(program) if hasattr(tj, "ir") else None
    _eval_checking_types(program, args)


@pytest.mark.parametrize("case,shapes", [p for p in PARAMS if p.values[0].order > 0])
def test_derivatives_match_finite_differences(case, shapes):
    for seed in range(3):
        tj.testing.check_grads(case.fn, _args(case, shapes, seed), order=case.order, seed=seed)


@pytest.mark.parametrize("case,shapes", [p for p in PARAMS if p.values[0].order > 0])
def test_transpose_dot_product_identity(case, shapes):
    for seed in range(3):
        tj.testing.check_transpose(case.fn, _args(case, shapes, seed), seed=seed)


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
