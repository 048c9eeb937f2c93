"""The Numba CPU backend: fused programs become Python source compiled by Numba into native
loops (vectorizable math from `vmath`, BLAS for contractions), cached in memory and on disk.
Its code per primitive is in `scalar_code.py` (inside loops) and `array_code.py`."""

from tapejit.backend.numba_cpu.backend import NumbaBackend
from tapejit.backend.numba_cpu.numba_kernel import NumbaKernel

__all__ = ["NumbaBackend", "NumbaKernel"]
