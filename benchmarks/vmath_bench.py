"""Time vmath against NumPy and libm inside Numba loops; check that the loops vectorize.

For n = 2e6 float32 and float64 elements and each of exp, log, sin, tanh, prints the median
time of: NumPy's ufunc; a njit loop calling libm (`math.<fn>`); a njit loop calling
`vmath.<fn>_<f32|f64>`, serial and with prange on the given number of threads. Loops use the
flags of generated kernels (no fast-math, NumPy error model). The last column counts zmm/ymm
(AVX-512/AVX2) instructions in the vmath loop's assembly: a scalar loop has almost none.

    python benchmarks/vmath_bench.py [--n 2000000] [--repeat 41] [--threads 2]

LLVM keeps to 256-bit vectors on this CPU by default; to see 512-bit ones, run with
NUMBA_CPU_FEATURES set to the host's features plus ",-prefer-256-bit". On a shared machine
(load average printed first) the prange column mostly measures waiting for a free core.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numba  # noqa: E402
from numba import njit, prange  # noqa: E402

from tapejit.backend.numba_cpu import vmath  # noqa: E402

KERNEL_FLAGS = False  # generated kernels compile without fast-math
FUNCTIONS = {  # name: (NumPy ufunc, libm function, input range)
    "exp": (np.exp, math.exp, (-20.0, 20.0)),
    "log": (np.log, math.log, (1e-3, 1e3)),
    "sin": (np.sin, math.sin, (-100.0, 100.0)),
    "tanh": (np.tanh, math.tanh, (-5.0, 5.0)),
}


def serial_loop(fn):
    @njit(fastmath=KERNEL_FLAGS, error_model="numpy")
    def loop(a, out):
        for i in range(a.shape[0]):
            out[i] = fn(a[i])
    return loop


def parallel_loop(fn):
    @njit(fastmath=KERNEL_FLAGS, error_model="numpy", parallel=True)
    def loop(a, out):
        for i in prange(a.shape[0]):
            out[i] = fn(a[i])
    return loop


def median_ms(fn, x, out, repeat: int) -> float:
    fn(x, out)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(x, out)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def vector_ops(loop) -> int:
    asm = loop.inspect_asm(loop.signatures[0])
    return len(re.findall(r"\b[yz]mm\d+", asm))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(0)
    print(f"n={args.n}, median of {args.repeat}, prange on {numba.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.2f}; times in ms")
    header = ("function", "numpy", "libm loop", "vmath", "vmath prange", "x numpy", "ymm/zmm ops")
    print("{:<12}{:>9}{:>11}{:>9}{:>14}{:>9}{:>13}".format(*header))
    for dtype, suffix in ((np.float32, "f32"), (np.float64, "f64")):
        for name, (ufunc, libm, (lo, hi)) in FUNCTIONS.items():
            x = rng.uniform(lo, hi, args.n).astype(dtype)
            out = np.empty_like(x)
            fast = getattr(vmath, f"{name}_{suffix}")
            libm_loop, serial, parallel = serial_loop(libm), serial_loop(fast), parallel_loop(fast)
            t_numpy, t_libm, t_serial, t_parallel = (
                median_ms(fn, x, out, args.repeat) for fn in (ufunc, libm_loop, serial, parallel))
            print(f"{name + '_' + suffix:<12}{t_numpy:>9.3f}{t_libm:>11.3f}{t_serial:>9.3f}"
                  f"{t_parallel:>14.3f}{t_numpy / t_serial:>9.2f}{vector_ops(serial):>13}")
    print(f"threading layer: {numba.threading_layer()}")


if __name__ == "__main__":
    main()
