"""Vectorizable math for generated kernels (see core.py for the method and its guarantees):
exp, expm1, log, log1p, sin, cos, tanh, sigmoid, softplus for float32 (`*_f32`) and float64
(`*_f64`), the branch-free helpers kernels call, NumPy's remainders and floor division,
a stable argsort, convolution and pooling loops, matrix products on NumPy's BLAS, and
LAPACK's solves and factorizations.

Every function here is serial (no prange): a kernel links these into its own code and is
cached on disk, and Numba's cached code segfaults when it holds a parallel function linked
into a caller (numba issue 8578; measured here with a parallel convolution, on every load
of the kernel from the cache). Parallel loops belong to the kernel itself. Each is jitted
with keyed_cache.cached_njit: Numba's disk cache, safe when processes compile it at once.

A name is imported from its module on first use (a kernel imports only what it calls), so a
process that never convolves does not pay for creating the convolution's dispatchers."""

import importlib

from tapejit.backend.numba_cpu import numba_setup

numba_setup.configure()  # Numba's CPU features are settled before any module here compiles

_HOMES = {
    "activations": ("sigmoid_f32", "sigmoid_f64", "softplus_f32", "softplus_f64", "tanh_f32",
                    "tanh_f64"),
    "blas": ("blas_matmul", "blas_matmul_into"),
    "branchless": ("nan_max", "nan_min", "sign", "where"),
    "convolution": ("any_layout", "conv_chunk", "conv_finish", "conv_fold", "conv_setup",
                    "conv_wave", "conv_waves"),
    "core": ("fma", "ldexp_f32", "ldexp_f64"),
    "division": ("floor_divide_float", "fmod_int", "mod_float"),
    "libm": ("exp2_f32", "exp2_f64"),
    "lapack": ("lapack_cholesky", "lapack_eigh", "lapack_eigvalsh", "lapack_pinv", "lapack_qr",
               "lapack_singular_values", "lapack_slogdet", "lapack_solve", "lapack_svd"),
    "exp_log": ("exp_f32", "exp_f64", "expm1_f32", "expm1_f64", "log1p_f32", "log1p_f64",
                "log_f32", "log_f64"),
    "pairwise": ("BLOCK", "pairwise_join", "pairwise_plan", "pairwise_sum"),
    "sorting": ("stable_argsort",),
    "threefry": ("threefry2x32", "threefry2x32_rows"),
    "trig": ("SIN_COS_LIMIT", "SIN_COS_LIMIT_F32", "cos_f32", "cos_f64", "sin_f32", "sin_f64"),
    "windows": ("window_parts", "window_reduce_part", "window_select_part"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
