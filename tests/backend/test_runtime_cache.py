"""Numba's runtime module is compiled once per machine and read from disk after: a second
process loads it (Numba's module builder is never called there), a damaged copy is compiled
again and rewritten, never loaded, and kernels give the same bits either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tapejit.backend.numba_cpu import runtime_cache

PROBE = """
import json, sys
import numpy as np
from numba.core.runtime import nrtdynmod
built = []
make = nrtdynmod.create_nrt_module
nrtdynmod.create_nrt_module = lambda ctx: built.append(1) or make(ctx)
import tapejit as tj
f = tj.jit(lambda x: tj.math.tanh(x) * 3.0 + x)
y = f(np.linspace(-2.0, 2.0, 501)).numpy()
print(json.dumps({"built": len(built), "y": y.tobytes().hex()}))
"""


def _run(tier_dir, **env) -> dict:
    env = {**os.environ, "TAPEJIT_FIRST_TIER_DIR": str(tier_dir), **env}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(next(line for line in done.stdout.splitlines()
                           if line.startswith('{"built"')))


def _stored(tier_dir) -> list:
    return sorted((tier_dir / "runtime").glob("nrt-*.bin"))


def test_the_runtime_module_is_compiled_once_then_loaded(tmp_path):
    first = _run(tmp_path)
    assert first["built"] == 1 and len(_stored(tmp_path)) == 1
    second = _run(tmp_path)
    assert second["built"] == 0 and second["y"] == first["y"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_copy_is_compiled_again_and_rewritten(tmp_path, damage):
    sound = _run(tmp_path)
    path = _stored(tmp_path)[0]
    blob = path.read_bytes()
    if damage == "flip":
        middle = len(blob) // 2
        blob = blob[:middle] + bytes([blob[middle] ^ 0xFF]) + blob[middle + 1:]
    path.write_bytes(blob[:len(blob) // 2] if damage == "truncate" else
                     b"" if damage == "empty" else blob)
    again = _run(tmp_path)
    assert again["built"] == 1 and again["y"] == sound["y"]
    assert runtime_cache.decode(path.read_bytes()) is not None  # rewritten whole
    assert _run(tmp_path)["built"] == 0


@pytest.mark.parametrize("setting", [{"TAPEJIT_DISK_CACHE": "0"}, {"NUMBA_DEBUG_NRT": "1"}])
def test_without_a_disk_cache_or_with_nrt_debugging_numba_compiles_it(tmp_path, setting):
    result = _run(tmp_path, **setting)
    assert result["built"] == 1 and not _stored(tmp_path)


def test_a_link_in_place_of_the_file_is_not_followed(tmp_path):
    sound = _run(tmp_path)
    path = _stored(tmp_path)[0]
    target = tmp_path / "elsewhere.bin"
    path.rename(target)
    path.symlink_to(target)
    again = _run(tmp_path)
    assert again["built"] == 1 and again["y"] == sound["y"]
    assert not path.is_symlink()  # replaced by a file of its own


def test_encoding_round_trips_and_refuses_what_is_not_whole():
    blob = runtime_cache.encode(b"\x7fELF object", b"BC bitcode")
    assert runtime_cache.decode(blob) == (b"\x7fELF object", b"BC bitcode")
    assert runtime_cache.decode(blob[:-1]) is None
    assert runtime_cache.decode(b"something else" + blob[14:]) is None
    assert runtime_cache.decode(b"") is None
