"""Binding Numba's compiled code to its kernel: a manifest of the content hashes of the
files Numba wrote for a kernel, written by tapejit (atomically, 0600) after Numba compiled
it, and checked before Numba reads any of them. Files that do not match (damaged, or copied
from another kernel) are deleted and the kernel recompiles; Numba never unpickles them.

A lock file per kernel makes threads and processes that need the same kernel compile it
once: the first compiles and records; the others wait, then load what it wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from pathlib import Path

from tapejit.backend.numba_cpu.cache_files import (
    UnsafeCacheError,
    locked,
    make_private,
    read_regular,
    remove,
    write_atomically,
)

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


_LISTINGS: dict[Path, tuple[int, dict[str, list[str]]]] = {}
"""Per Numba cache folder: its modification time and its file names by kernel module."""

SETTLED_NS = 2_000_000_000
"""A folder last changed at least this long before it was listed keeps its listing until its
modification time changes: a change within the file system's timestamp granularity of the
one before could leave the time as it was, so a younger listing is not kept."""


def _names_by_module(folder: Path) -> dict[str, list[str]]:
    """The folder's file names grouped by the module they belong to (their first dotted
    part). Listed again only when the folder changed: a cache folder holds thousands of
    files, and every kernel load asks (it cost milliseconds each)."""
    try:
        changed = os.stat(folder).st_mtime_ns
    except FileNotFoundError:
        return {}
    kept = _LISTINGS.get(folder)
    if kept is not None and kept[0] == changed:
        return kept[1]
    listed_at = time.time_ns()
    names: dict[str, list[str]] = {}
    try:
        for entry in os.scandir(folder):
            names.setdefault(entry.name.split(".", 1)[0], []).append(entry.name)
    except FileNotFoundError:
        return {}
    if changed < listed_at - SETTLED_NS:
        _LISTINGS[folder] = (changed, names)
    return names


def compiled_files(folder: Path, key: str) -> list[Path]:
    """The files Numba keeps for kernel `key` in its cache `folder`."""
    names = _names_by_module(folder).get(f"k_{key}", [])
    return sorted(folder / n for n in names if not n.endswith(".tmp") and ".tmp." not in n)


def _digest(path: Path) -> str | None:
    try:
        data = read_regular(path)
    except UnsafeCacheError:
        return None
    return None if data is None else hashlib.sha256(data).hexdigest()


def manifest_path(kernels: Path, key: str) -> Path:
    return kernels / f"k_{key}.manifest"


def problem(kernels: Path, numba_folder: Path, key: str) -> str:
    """'' if Numba's files for `key` are exactly those the manifest lists, else what is wrong.
    No files at all is fine (Numba will compile)."""
    files = compiled_files(numba_folder, key)
    if not files:
        return ""
    try:
        raw = read_regular(manifest_path(kernels, key))
        listed = json.loads(raw) if raw is not None else None
    except (UnsafeCacheError, ValueError):
        listed = None
    if not isinstance(listed, dict) or listed.get("key") != key:
        return "compiled files without a valid manifest"
    expected = listed.get("files", {})
    for path in files:
        if expected.get(path.name) != _digest(path):
            return f"{path.name} is not the compiled code tapejit recorded for this kernel"
    return ""


def purge(kernels: Path, numba_folder: Path, key: str) -> None:
    """Delete a kernel's compiled files and its manifest (its source file stays)."""
    for path in compiled_files(numba_folder, key):
        remove(path)
    remove(manifest_path(kernels, key))


def record(kernels: Path, numba_folder: Path, key: str) -> None:
    """After Numba compiled: make its files private and write the manifest of their hashes."""
    files = compiled_files(numba_folder, key)
    for path in files:
        make_private(path)
    listing = {"key": key, "files": {p.name: _digest(p) for p in files}}
    write_atomically(manifest_path(kernels, key), json.dumps(listing, indent=1).encode())


@contextlib.contextmanager
def exclusive(kernels: Path, key: str):
    """Hold the kernel's lock, against other threads and other processes."""
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(key, threading.Lock())
    with thread_lock, locked(kernels / f"k_{key}.lock"):
        yield
