"""Vectorizable math for generated kernels (see core.py for the method and its guarantees):
exp, expm1, log, log1p, sin, cos, tanh, sigmoid, softplus for float32 (`*_f32`) and float64
(`*_f64`), the branch-free helpers kernels call, NumPy's remainders and floor division,
a stable argsort, and convolution and pooling loops.

Every function here is serial (no prange): a kernel links these into its own code and is
cached on disk, and Numba's cached code segfaults when it holds a parallel function linked
into a caller (numba issue 8578; measured here with a parallel convolution, on every load
of the kernel from the cache). Parallel loops belong to the kernel itself."""

from pathlib import Path

from tapejit.backend.numba_cpu.vmath.activations import (
    sigmoid_f32,
    sigmoid_f64,
    softplus_f32,
    softplus_f64,
    tanh_f32,
    tanh_f64,
)
from tapejit.backend.numba_cpu.vmath.branchless import nan_max, nan_min, sign, where
from tapejit.backend.numba_cpu.vmath.convolution import (
    any_layout,
    conv_chunk,
    conv_finish,
    conv_fold,
    conv_setup,
    conv_wave,
    conv_waves,
)
from tapejit.backend.numba_cpu.vmath.core import fma, ldexp_f32, ldexp_f64
from tapejit.backend.numba_cpu.vmath.division import floor_divide_float, fmod_int, mod_float
from tapejit.backend.numba_cpu.vmath.exp_log import (
    exp_f32,
    exp_f64,
    expm1_f32,
    expm1_f64,
    log1p_f32,
    log1p_f64,
    log_f32,
    log_f64,
)
from tapejit.backend.numba_cpu.vmath.pairwise import (
    BLOCK,
    pairwise_join,
    pairwise_plan,
    pairwise_sum,
)
from tapejit.backend.numba_cpu.vmath.sorting import stable_argsort
from tapejit.backend.numba_cpu.vmath.threefry import threefry2x32, threefry2x32_rows
from tapejit.backend.numba_cpu.vmath.trig import (
    SIN_COS_LIMIT,
    SIN_COS_LIMIT_F32,
    cos_f32,
    cos_f64,
    sin_f32,
    sin_f64,
)
from tapejit.backend.numba_cpu.vmath.windows import (
    window_parts,
    window_reduce_part,
    window_select_part,
)

SOURCES = tuple(sorted(Path(__file__).parent.glob("*.py")))
"""The files kernels inline code from: part of every kernel's cache key."""

__all__ = ["BLOCK", "SIN_COS_LIMIT", "SIN_COS_LIMIT_F32", "cos_f32", "cos_f64", "exp_f32",
           "exp_f64", "expm1_f32", "expm1_f64", "floor_divide_float", "fma", "fmod_int",
           "ldexp_f32", "ldexp_f64", "log1p_f32", "log1p_f64", "log_f32", "log_f64", "mod_float",
           "nan_max", "nan_min", "pairwise_join", "pairwise_plan", "pairwise_sum", "sigmoid_f32",
           "sigmoid_f64", "sign", "sin_f32", "sin_f64", "softplus_f32", "softplus_f64",
           "stable_argsort", "tanh_f32", "tanh_f64", "threefry2x32", "threefry2x32_rows",
           "where", "any_layout", "conv_chunk", "conv_finish", "conv_fold",
           "conv_setup", "conv_wave", "conv_waves", "window_parts", "window_reduce_part",
           "window_select_part"]
