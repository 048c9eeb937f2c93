"""The compile worker's side (`python -m tapejit.backend.numba_cpu.compile_server`): reads
requests from its parent on stdin, compiles each kernel for the given argument types into
the shared disk cache (under the kernel's lock, manifest written), and answers on stdout.

A request is a length-prefixed pickle of (source, key, path, kernels folder, Numba
signature) from the parent process that started this one; an answer is a length-prefixed
JSON object {"ok": bool, "seconds": float, "error": str}. The worker ends when its parent
closes the pipe."""

from __future__ import annotations

import json
import os
import pickle
import signal
import struct
import sys
import time
from pathlib import Path

_HEADER = struct.Struct("!I")


def read_frame(stream) -> bytes | None:
    """One length-prefixed frame, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def compile_request(request: tuple) -> dict:
    """Compile one kernel for one signature, as the parent's first call would have."""
    from tapejit.backend.numba_cpu.kernel_cache import CacheEntry, module_from_source

    source, key, path, kernels, signature = request
    start = time.perf_counter()
    try:
        module = module_from_source(source, key, Path(path))
        entry = CacheEntry(module.entry, key, Path(path), source, True, Path(kernels))
        entry.first_call(lambda: entry.fn.compile(signature))
    except Exception as e:  # noqa: BLE001 - the parent compiles it itself and reports
        return {"ok": False, "seconds": time.perf_counter() - start,
                "error": f"{type(e).__name__}: {str(e)[:500]}"}
    return {"ok": True, "seconds": time.perf_counter() - start, "error": ""}


def serve(requests, answers) -> None:
    while (frame := read_frame(requests)) is not None:
        answer = compile_request(pickle.loads(frame))
        write_frame(answers, json.dumps(answer).encode())


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; EOF ends us
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing printed may land in the answers
    from tapejit.backend.numba_cpu.numba_setup import configure

    configure()
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
