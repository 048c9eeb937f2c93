"""Numba's runtime functions read from disk instead of compiled in every process.

Before the first kernel runs, Numba's runtime (NRT) compiles a small LLVM module of its own
(reference counting, atomics) in every process: about 20 ms of every first call measured
here, warm disk cache or not, and it holds LLVM's lock meanwhile, so every other load or
compile waits for it. tapejit compiles that module once per machine with its object code
kept, stores it beside the first tier's kernels, keyed by everything its machine code
depends on (the kernel cache's fingerprint), and later processes load it as Numba loads any
cached function. Numba still registers the runtime's C functions itself: only the compile
of the module is replaced (`nrtdynmod.compile_nrt_functions`, which Numba looks up when it
starts the runtime).

The file is the object code and the bitcode Numba would keep, behind a SHA-256 of both: a
file that does not match (cut short, damaged) is compiled again and rewritten, never loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from numba.core import config as numba_config
from numba.core.runtime import nrtdynmod

from tapejit.backend.numba_cpu.cache_files import (
    private_directory,
    read_regular,
    write_atomically,
)

MAGIC = b"tapejit-nrt 1\n"
_NUMBA_COMPILE = nrtdynmod.compile_nrt_functions


def install(folder: Callable[[], Path | None], fingerprint: Callable[[], str]) -> None:
    """From now on this process's runtime module is read from (or written to) the folder
    `folder()` names (None: compiled, as Numba does), under a name derived from
    `fingerprint()`; both are asked only when Numba starts its runtime."""

    def compile_nrt_functions(ctx):
        where = folder()
        if where is None or numba_config.DEBUG_NRT:  # NUMBA_DEBUG_NRT changes the module
            return _NUMBA_COMPILE(ctx)
        name = "nrt-" + hashlib.sha256(fingerprint().encode()).hexdigest()[:32] + ".bin"
        return load_or_compile(ctx, where / name)

    nrtdynmod.compile_nrt_functions = compile_nrt_functions


def load_or_compile(ctx, path: Path):
    """The runtime's library: loaded from `path` when it holds a sound copy in a folder of
    the user's own, else compiled (and stored there when the folder can be used)."""
    try:
        private_directory(path.parent)
    except OSError:  # not the user's own, or not writable: compile, as Numba does
        return _NUMBA_COMPILE(ctx)
    data = _read(path)
    if data is not None:
        return ctx.codegen().unserialize_library(("nrt", "object", data))
    library = _compile(ctx)
    try:
        write_atomically(path, encode(*library.serialize_using_object_code()[2]))
    except OSError:
        pass  # a full disk: the next process compiles it again
    return library


def _compile(ctx):
    """Numba's compile of the runtime module, with its object code kept."""
    ir_module, library = nrtdynmod.create_nrt_module(ctx)
    library.enable_object_caching()
    library.add_ir_module(ir_module)
    library.finalize()
    return library


def encode(object_code: bytes, bitcode: bytes) -> bytes:
    payload = len(object_code).to_bytes(8, "little") + object_code + bitcode
    return MAGIC + hashlib.sha256(payload).digest() + payload


def decode(blob: bytes) -> tuple[bytes, bytes] | None:
    """(object code, bitcode), or None when `blob` is not a sound file of ours."""
    head = len(MAGIC) + 32
    if len(blob) < head + 8 or not blob.startswith(MAGIC):
        return None
    digest, payload = blob[len(MAGIC):head], blob[head:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    size = int.from_bytes(payload[:8], "little")
    if size > len(payload) - 8:
        return None
    return payload[8:8 + size], payload[8 + size:]


def _read(path: Path) -> tuple[bytes, bytes] | None:
    try:
        blob = read_regular(path)
    except OSError:  # UnsafeCacheError among them: a link, a foreign file
        return None
    return None if blob is None else decode(blob)
