"""A loop group's check of its sin/cos arguments (beyond vmath's range?) must not narrow the
loop's vectors: an int64 count of such arguments held float32 loops to half the lanes of
the same loop without sin or cos, and the chain gradient ran 2.3x slower."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu.codegen import generate
from tapejit.backend.numba_cpu.kernel_cache import cache_at


def _main_register(fn, dtype, folder) -> str:
    """The register width most used by the machine code of fn's serial kernel: its loop's
    (LLVM's vectors may be wider than the registers it splits them into, so its IR does not
    tell)."""
    x = np.linspace(-3.0, 3.0, 4096).astype(dtype)
    source = generate(tj.jit(fn).lower(x).fused, serial=True)
    dispatcher = cache_at(folder).load(source.text).fn  # a new folder: compiled, inspectable
    dispatcher(source.sizes, source.consts, x)
    asm = dispatcher.inspect_asm(dispatcher.signatures[0])
    counts = {r: len(re.findall(r, asm)) for r in ("ymm", "zmm")}  # x86's AVX2, AVX-512
    return max(counts, key=counts.get) if any(counts.values()) else "none"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_sin_group_vectorizes_as_wide_as_one_without_sin(dtype, tmp_path):
    with_check = _main_register(lambda v: tj.math.sin(v) * v + tj.math.exp(-v * v), dtype,
                                tmp_path / "sin")
    without = _main_register(lambda v: tj.math.tanh(v) * v + tj.math.exp(-v * v), dtype,
                             tmp_path / "tanh")
    assert with_check == without
