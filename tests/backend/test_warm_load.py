"""A process whose kernel is already on disk loads it without what only a compile needs:
`numpy.ma` (Numba's type of an array asks for it), the Numba modules its allocations came
from, and Numba's scan of installed distributions for extensions. Each cost a warm first
call 5 to 16 ms. The loaded kernel's answers stay Numba's, bit for bit, and a later
compile in the same process works as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from numba.core import environment, errors
from numba.core.typing import typeof

from tapejit.backend.numba_cpu import array_typeof, numba_environments, numba_setup

numba_setup.configure()

PROBE = """
import json, sys
import numpy as np
import tapejit as tj
from numba.core import entrypoints

f = tj.jit(lambda x: tj.math.exp(x) * 2.0 + 1.0)
x = np.linspace(-3.0, 3.0, 1001)
y = f(x).numpy()
seen = {"numpy.ma": "numpy.ma" in sys.modules,
        "arrayobj": "numba.np.arrayobj" in sys.modules,
        "extensions": entrypoints._already_initialized}
z = f(x.reshape(sys.argv[1:] and (7, 143) or (1001,))).numpy()  # warm: compiled here
print(json.dumps({"y": y.tobytes().hex(), "z": z.tobytes().hex(), "seen": seen,
                  "extensions_after_compile": entrypoints._already_initialized}))
"""


def _run(cache_dir, *args: str) -> dict:
    env = {**os.environ, "TAPEJIT_CACHE_DIR": str(cache_dir), "TAPEJIT_SYNC_COMPILE": "1",
           "TAPEJIT_COMPILE_WORKERS": "0"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_warm_process_loads_its_kernel_without_compile_only_work(tmp_path):
    cold = _run(tmp_path)
    warm = _run(tmp_path, "new shape")
    assert cold["seen"]["arrayobj"] and cold["seen"]["extensions"]  # it compiled
    assert warm["seen"] == {"numpy.ma": False, "arrayobj": False, "extensions": False}
    assert warm["y"] == cold["y"] and warm["z"] == cold["z"]
    x = np.linspace(-3.0, 3.0, 1001)
    np.testing.assert_allclose(np.frombuffer(bytes.fromhex(warm["y"])), np.exp(x) * 2 + 1,
                               rtol=1e-15)
    assert warm["extensions_after_compile"]  # a compile still runs Numba's extension scan


ARRAYS = {
    "float64": lambda: np.zeros(3), "float32 2-d": lambda: np.zeros((2, 3), np.float32),
    "F order": lambda: np.zeros((2, 3), order="F"), "reversed": lambda: np.zeros(3)[::-1],
    "strided int32": lambda: np.zeros((4, 6), np.int32)[::2, 1:],
    "0-d": lambda: np.zeros((), np.int64), "bool": lambda: np.ones(5, bool),
    "complex64": lambda: np.zeros(2, np.complex64),
    "uint8 3-d": lambda: np.zeros((3, 1, 2), np.uint8),
    "unicode": lambda: np.array(["ab", "c"]), "objects": lambda: np.zeros(2, object),
    "empty": lambda: np.zeros((0, 4)),
    "record": lambda: np.zeros(3, [("a", np.float64), ("b", np.int32)]),
    "broadcast": lambda: np.broadcast_to(np.zeros(1), (3,)),
}


@pytest.mark.parametrize("make", ARRAYS.values(), ids=ARRAYS.keys())
@pytest.mark.parametrize("writeable", [True, False])
def test_an_arrays_type_is_numbas(make, writeable):
    array = make()
    if not writeable:
        array.flags.writeable = False
    ours = typeof.typeof(array, typeof.Purpose.argument)
    assert ours == array_typeof._NUMBA_RULE(array, None)
    assert ours.mutable == array.flags.writeable


def test_arrays_numba_refuses_still_get_numbas_errors():
    with pytest.raises(errors.NumbaTypeError, match="MaskedArray"):
        typeof.typeof(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))
    with pytest.raises(errors.NumbaValueError, match="Unsupported array dtype"):
        typeof.typeof(np.zeros(2, np.longdouble))


def test_an_unimported_numba_modules_environment_is_rebuilt_without_importing_it():
    name = "numba.not_a_module_tapejit_test"
    env = numba_environments.rebuild_env(name, [], "_ZN08NumbaEnv_tapejit_test_env")
    assert env.globals == {"__name__": name} and name not in sys.modules
    again = numba_environments.rebuild_env(name, [], "_ZN08NumbaEnv_tapejit_test_env")
    assert again is env
    assert environment._rebuild_env is numba_environments.rebuild_env


@pytest.mark.parametrize("name,consts", [("numba.not_a_module_tapejit_test", [1.5]),
                                         ("not_numba_tapejit_test", [])])
def test_other_environments_are_rebuilt_by_numba(name, consts):
    with pytest.raises(ModuleNotFoundError):  # Numba imports the module: it does not exist
        numba_environments.rebuild_env(name, consts, f"_ZN08NumbaEnv_{name}_{len(consts)}")
