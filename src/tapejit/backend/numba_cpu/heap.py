"""Keep freed memory in the process, so that a kernel's temporaries do not fault their pages
in again on every call.

glibc returns memory to the system as soon as the free space at the top of its heap exceeds
a threshold that it derives from the largest block it has handed out (twice that size). A
kernel frees its temporaries on return, which reaches the threshold, so the next call
faults the same pages in again: the 28x28 convolution step (about 10 MB of temporaries)
took 752 page faults and 0.7 ms of system time per call, 15% of its time. Raising the trim
threshold fixes that; glibc then stops deriving either threshold, so the size above which a
block is mapped on its own is set too, to the largest value it would derive itself.
TAPEJIT_KEEP_FREED_MEMORY=0, or the user's own MALLOC_*_ environment variables, leave the
allocator as it is.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
"""glibc's own ceiling for the mapping threshold it derives (64-bit)."""
TRIM_THRESHOLD = 128 << 20
"""Free memory at the top of the heap kept for later calls."""


def keep_freed_memory() -> bool:
    """Set glibc's thresholds (once per process is enough); False where the allocator is
    not glibc's or the user tuned it through the environment."""
    if any(name.startswith("MALLOC_") and name.endswith("_") for name in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
