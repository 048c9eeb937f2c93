"""The Numba backend's code tables cover every primitive exactly once."""

from tapejit.backend.numba_cpu.array_code import ARRAY_CODE
from tapejit.backend.numba_cpu.control_code import CONTROL_CODE
from tapejit.backend.numba_cpu.scalar_code import REDUCTION_INIT, SCALAR_CODE
from tapejit.control import all_primitives

IN_LOOPS = {"broadcast_in_dim", "fused"}  # the loop nest itself: loads and loop groups


def test_every_primitive_has_numba_code_once():
    tables = [set(SCALAR_CODE), set(ARRAY_CODE), set(REDUCTION_INIT), set(CONTROL_CODE), IN_LOOPS]
    for name in all_primitives():
        homes = sum(name in t for t in tables)
        assert homes == 1, f"primitive {name} is in {homes} of the Numba backend's tables"


def test_the_tables_name_only_primitives():
    known = set(all_primitives())
    for table in (SCALAR_CODE, ARRAY_CODE, REDUCTION_INIT, CONTROL_CODE):
        assert set(table) <= known, set(table) - known


def test_elementwise_code_is_where_the_kinds_say():
    for name, prim in all_primitives().items():
        if name in SCALAR_CODE:
            assert prim.kind == "elementwise", name
        if name in REDUCTION_INIT:
            assert prim.kind == "reduce", name


def test_a_kernel_computes_every_elementwise_function_in_float32_and_float64_at_once():
    """Numba's np.exp2/np.log2 declare one untyped LLVM intrinsic per kernel, so a kernel
    using them in both float types failed to compile and ran in the interpreter."""
    import warnings

    import numpy as np

    import tapejit as tj
    import tapejit.numpy as tnp

    names = ["exp2", "log2", "log10", "cbrt", "sinh", "arcsinh", "arctan", "exp", "log",
             "sin", "tanh", "expm1", "log1p"]
    x64 = np.linspace(0.25, 2.0, 7)
    x32 = x64.astype(np.float32)

    def both(a, b):
        return [getattr(tnp, n)(v) for n in names for v in (a, b)]

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Numba kernel failed")
        got = tj.jit(both)(x64, x32)
    for i, name in enumerate(names):
        for g, x in zip(got[2 * i:2 * i + 2], (x64, x32)):
            rtol = 1e-14 if x.dtype == np.float64 else 1e-6
            assert g.dtype == x.dtype, name
            np.testing.assert_allclose(g.numpy(), getattr(np, name)(x), rtol=rtol, err_msg=name)
