"""Numba finds SciPy's BLAS without tapejit importing all of scipy.linalg (backend/numba_cpu/
blas_preload.py), and a later `import scipy.linalg` is whole. Each check runs in a fresh
process: what a process has imported is the point."""

import os
import subprocess
import sys
import textwrap

from tapejit.backend.numba_cpu import blas_preload

MATMUL_THEN_SCIPY = textwrap.dedent("""
    import os
    import sys
    import numpy as np
    import tapejit as tj
    f = tj.jit(lambda a, b: tj.math.tanh(a @ b))
    got = f(np.ones((3, 4)), np.full((4, 2), 0.1)).numpy()
    f.wait()
    assert np.allclose(got, np.tanh(0.4)), got
    assert "scipy.linalg" not in sys.modules, "tapejit imported all of scipy.linalg"
    assert "OPENBLAS_THREAD_TIMEOUT" not in os.environ, "the load's setting leaked"
    lower = np.tril(np.ones((3, 3))) + np.eye(3)
    x = tj.linalg.triangular_solve(tj.constant(lower), tj.constant(np.ones((3, 1))))
    assert np.allclose(lower @ x.numpy(), 1.0)
    import scipy.linalg
    for name in ("cython_blas", "cython_lapack"):
        assert getattr(scipy.linalg, name) is sys.modules["scipy.linalg." + name], name
    from scipy.linalg import cython_lapack  # noqa: F401
    assert np.allclose(scipy.linalg.solve(2 * np.eye(2), np.ones(2)), 0.5)
    assert type(scipy.linalg.__loader__).__name__ == "SourceFileLoader"
    print("ok")
""")

SCIPY_FIRST = textwrap.dedent("""
    import sys
    import scipy.linalg
    blas = scipy.linalg.cython_blas
    import numpy as np
    import tapejit as tj
    f = tj.jit(lambda a, b: a @ b)
    assert np.allclose(f(np.ones((2, 2)), np.ones((2, 2))).numpy(), 2.0)
    f.wait()
    assert sys.modules["scipy.linalg.cython_blas"] is blas
    print("ok")
""")


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]


def test_kernels_multiply_matrices_without_importing_scipy_linalg_which_stays_whole():
    _run(MATMUL_THEN_SCIPY)


def test_a_process_that_imported_scipy_linalg_first_keeps_its_modules():
    _run(SCIPY_FIRST)


def test_scipys_blas_loads_with_the_shortest_thread_timeout_unless_the_user_chose_one(
        monkeypatch):
    monkeypatch.delenv(blas_preload.THREAD_TIMEOUT, raising=False)
    with blas_preload._threads_sleep_at_once():
        assert os.environ[blas_preload.THREAD_TIMEOUT] == blas_preload.SHORTEST_TIMEOUT
    assert blas_preload.THREAD_TIMEOUT not in os.environ
    monkeypatch.setenv(blas_preload.THREAD_TIMEOUT, "20")
    with blas_preload._threads_sleep_at_once():
        assert os.environ[blas_preload.THREAD_TIMEOUT] == "20"
    assert os.environ[blas_preload.THREAD_TIMEOUT] == "20"
