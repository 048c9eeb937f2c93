"""The kernel cache's files as a trust boundary: directories private to the user, files read
once through a descriptor that was checked, never a path followed through a link.

Like Python's __pycache__ and pip's cache, the cache is trusted only when it is the user's
own and private: each directory must be owned by the effective user and not writable by
group or others, each file a regular file owned by the user. Everything tapejit creates is
0700 (directories) or 0600 (files), whatever the umask.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
STALE_TEMP_SECONDS = 3600
"""Temporary files older than this are left by a killed writer and swept."""


class UnsafeCacheError(OSError):
    """A cache path that is not the user's own and private (`problem`, `fix`)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def _euid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _check_owner(info: os.stat_result, path: Path, what: str) -> None:
    euid = _euid()
    if euid is not None and info.st_uid != euid:
        raise UnsafeCacheError(f"{what} {path} is owned by user {info.st_uid}, not by you "
                               f"({euid})", "point TAPEJIT_CACHE_DIR at a directory of your own")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeCacheError(
            f"{what} {path} can be written by other users (mode {stat.S_IMODE(info.st_mode):o})",
            f"make it private (chmod 700 {path}) or point TAPEJIT_CACHE_DIR elsewhere")


def private_directory(path: Path) -> Path:
    """`path` as a checked private directory, created 0700 if missing (parents too)."""
    if not os.path.lexists(path):
        if not os.path.lexists(path.parent):
            private_directory(path.parent)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    fd = os.open(path, _DIR_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeCacheError(f"{path} is not a directory", "remove it")
        _check_owner(info, path, "cache directory")
    finally:
        os.close(fd)
    return path


def read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file the user owns, read through the one descriptor that was
    checked; None if absent. A link, FIFO, device or foreign file raises UnsafeCacheError."""
    try:
        fd = os.open(path, _FILE_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as e:  # O_NOFOLLOW refuses a link (ELOOP)
        raise UnsafeCacheError(f"{path} cannot be opened safely ({e})", "remove it") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeCacheError(f"{path} is not a regular file", "remove it")
        _check_owner(info, path, "cache file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a 0600 temporary file beside `path` and rename it into place, so no
    reader ever sees half a file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


SWEPT_STAMP = ".swept"
"""The empty file whose modification time is the folder's last sweep."""


def _temporary(name: str) -> bool:
    """tapejit's `.k_*.tmp` and Numba's `k_*.tmp.*`."""
    return (name.startswith(".k_") and name.endswith(".tmp")) or (
        name.startswith("k_") and ".tmp." in name)


def sweep_temporaries(folder: Path) -> None:
    """Delete temporary files that killed writers left (tapejit's and Numba's), at most once
    every STALE_TEMP_SECONDS per folder (a stamp file's time says when it was last done): a
    cache folder holds thousands of files, and listing them cost every process's first
    kernel load milliseconds."""
    now = time.time()
    stamp = folder / SWEPT_STAMP
    try:
        if now - os.stat(stamp, follow_symlinks=False).st_mtime < STALE_TEMP_SECONDS:
            return
    except OSError:
        pass
    try:
        entries = [e for e in os.scandir(folder) if _temporary(e.name)]
        stamp.touch(mode=0o600)
        os.utime(stamp, (now, now), follow_symlinks=False)
    except OSError:
        return
    for entry in entries:
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
                os.unlink(entry.path)
        except OSError:
            pass


def make_private(path: Path) -> None:
    """Files Numba wrote with the umask's mode become 0600."""
    try:
        os.chmod(path, 0o600, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


@contextlib.contextmanager
def locked(path: Path | str):
    """Hold an exclusive lock on the file `path` (created 0600) against other processes
    and other threads; the system releases it if the holder dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
