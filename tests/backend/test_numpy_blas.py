"""Kernels' matrix products on NumPy's own BLAS (backend/numba_cpu/numpy_blas.py): found and
checked, every operand layout, the same bits as NumPy's `@`, and np.dot when it is not there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import numpy_blas
from tapejit.backend.numba_cpu.codegen import generate
from tapejit.backend.numba_cpu.vmath import blas

BUNDLED = [p for p in numpy_blas._library_files() if "openblas64" in p.name.lower()]
found = pytest.mark.skipif(numpy_blas.find() is None,
                           reason="NumPy's BLAS is not an ILP64 OpenBLAS found next to it")


def test_bundled_blas_is_found():
    """NumPy's wheels bundle an ILP64 OpenBLAS: it is found there, and checked."""
    if not BUNDLED:
        pytest.skip("this NumPy bundles no ILP64 OpenBLAS")
    library = numpy_blas.find()
    assert library is not None and Path(library.path) in BUNDLED
    assert library.sgemm and library.dgemm


def test_setting_off_finds_nothing(monkeypatch):
    monkeypatch.setattr(numpy_blas, "_FOUND", [])
    monkeypatch.setattr(tj.config, "numpy_blas", False)
    assert numpy_blas.find() is None


def _layouts(a: np.ndarray):
    """The same values as C-ordered, Fortran-ordered, reversed-row and strided views."""
    wide = np.repeat(a, 2, axis=1)[:, ::2]
    return [a, np.asfortranarray(a), a[::-1][::-1], a[::-1].copy()[::-1], wide]


@found
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(3, 4, 5), (1, 4, 5), (3, 1, 5), (3, 4, 1), (1, 1, 1),
                                   (0, 3, 2), (3, 0, 2), (3, 2, 0), (17, 33, 9)])
def test_products_in_every_layout(dtype, m, k, n):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.normal(size=(m, k)).astype(dtype)
    b = rng.normal(size=(k, n)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for left in _layouts(a):
        for i, right in enumerate(_layouts(b)):
            got = blas.blas_matmul(left, right)
            assert got.dtype == dtype and got.shape == (m, n)
            np.testing.assert_allclose(got, left @ right, rtol=tol, atol=tol)
            rows = np.full((m, n), 9, dtype)
            blas.blas_matmul_into(left, right, rows)
            np.testing.assert_array_equal(rows, got)
            if i == 0:  # an output BLAS cannot write in place: the operands' layouts once
                column_major = np.full((n, m), 9, dtype).T
                blas.blas_matmul_into(left, right, column_major)
                np.testing.assert_array_equal(column_major, got)


@found
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jitted_products_equal_numpys_bits(dtype):
    """One library, called the same way: a jitted product and its gradient's products equal
    NumPy's `@` bit for bit."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 70)).astype(dtype)
    w = rng.normal(size=(70, 30)).astype(dtype)
    product = tj.jit(lambda x, w: x @ w)(x, w)
    np.testing.assert_array_equal(np.asarray(product), x @ w)
    grad_w = tj.jit(tj.grad(lambda x, w: tj.reduce_sum(x @ w), argnums=1))(x, w)
    np.testing.assert_array_equal(np.asarray(grad_w), x.T @ np.ones((40, 30), dtype))
    batch_x, batch_w = np.stack([x, 2 * x]), np.stack([w, -w])
    batched = tj.jit(tj.matmul)(batch_x, batch_w)
    np.testing.assert_array_equal(np.asarray(batched), batch_x @ batch_w)


def _matmul_source(x, w) -> str:
    return generate(tj.jit(lambda x, w: x @ w).lower(x, w).fused, serial=True).text


def test_kernel_text_names_the_library(monkeypatch):
    """The text says which library it calls, so a kernel cached by an environment with
    NumPy's BLAS is never loaded by one without it (kernels are keyed by their text)."""
    x = np.ones((3, 4), np.float32)
    w = np.ones((4, 2), np.float32)
    if numpy_blas.find() is not None:
        text = _matmul_source(x, w)
        assert "blas_matmul(" in text and "np.dot(" not in text
    monkeypatch.setattr(numpy_blas, "_FOUND", [None])
    text = _matmul_source(x, w)
    assert "np.dot(" in text and "blas_matmul" not in text


def test_products_without_numpys_blas(monkeypatch):
    """With the setting off, kernels fall back to np.dot, and compute the same product."""
    monkeypatch.setattr(numpy_blas, "_FOUND", [None])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 6, 7))
    w = rng.normal(size=(5, 7, 3))
    product = tj.jit(lambda x, w: tj.matmul(x, w))(x, w)
    np.testing.assert_allclose(np.asarray(product), x @ w, rtol=1e-12)
