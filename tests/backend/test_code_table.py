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
