"""The compile worker's side (`python -m tapejit.backend.numba_cpu.compile_server`): reads
requests from its parent on stdin, compiles each kernel for the given argument types into
the shared disk cache (under the kernel's lock, manifest written), and answers on stdout.

A request is a length-prefixed pickle from the parent process that started this one:
("compile", source, key, path, kernels folder, Numba signature, texts to compile later for
the same signature) or ("drain",); an answer is a length-prefixed JSON object
{"ok": bool, "seconds": float, "error": str, "rss_mb": float}. The worker ends when its
parent closes the pipe."""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections import deque
from pathlib import Path

_HEADER = struct.Struct("!I")


def read_frame(stream) -> bytes | None:
    """One length-prefixed frame, or None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(stream, _HEADER.unpack(header)[0])


def _read_exactly(stream, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def write_frame(stream, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def compile_entry(entry, signature) -> dict:
    """Compile a loaded kernel for one signature, as the parent's first call would have
    (under the kernel's lock, its files checked first and recorded after)."""
    start = time.perf_counter()
    try:
        entry.first_call(lambda: entry.fn.compile(signature))
    except Exception as e:  # noqa: BLE001 - the parent compiles it itself and reports
        return {"ok": False, "seconds": time.perf_counter() - start,
                "error": f"{type(e).__name__}: {str(e)[:500]}"}
    return {"ok": True, "seconds": time.perf_counter() - start, "error": ""}


def _compile_now(request: tuple, later: deque) -> dict:
    from tapejit.backend.numba_cpu.kernel_cache import CacheEntry, module_from_source

    _, source, key, path, kernels, signature, texts = request
    later.extend((text, Path(kernels).parent, signature) for text in texts)
    try:
        module = module_from_source(source, key, Path(path))
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "seconds": 0.0, "error": f"{type(e).__name__}: {e}"[:500]}
    return compile_entry(CacheEntry(module.entry, key, Path(path), source, True,
                                    Path(kernels)), signature)


def _compile_later(job: tuple) -> None:
    """A kernel text nobody waits for: stored and compiled through the kernel cache at the
    parent's cache root; a failure is left for whoever needs that kernel to meet."""
    from tapejit.backend.numba_cpu.kernel_cache import cache_at

    text, root, signature = job
    try:
        compile_entry(cache_at(root).load(text), signature)
    except Exception:  # noqa: BLE001, S110
        pass


def serve(requests, answers) -> None:
    """Answer requests in turn; between them, while none waits, compile the kernels asked
    for later. A 'drain' request is answered once those are all compiled."""
    later: deque = deque()
    while True:
        while later and not select.select([requests], [], [], 0)[0]:
            _compile_later(later.popleft())
        frame = read_frame(requests)
        if frame is None:
            return
        request = pickle.loads(frame)
        if request[0] == "drain":
            while later:
                _compile_later(later.popleft())
            answer = {"ok": True, "seconds": 0.0, "error": ""}
        else:
            answer = _compile_now(request, later)
        answer["rss_mb"] = _rss_mb()
        write_frame(answers, json.dumps(answer).encode())


def _rss_mb() -> float:
    """This process's resident memory (the parent replaces a worker that grew too big)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; EOF ends us
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing printed may land in the answers
    from tapejit.backend.numba_cpu.numba_setup import configure

    configure()
    serve(os.fdopen(sys.stdin.fileno(), "rb", buffering=0), answers)


if __name__ == "__main__":
    main()
