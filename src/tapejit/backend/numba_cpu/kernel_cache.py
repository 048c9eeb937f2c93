"""Generated kernels, kept in memory and on disk across processes.

Numba caches compiled code only for functions defined in real files. So each kernel's source
is written once, atomically, to a file named by a hash of its text, the versions of
tapejit/Numba/llvmlite/Python, the CPU, and the vectorized math it inlines; the module is
built from the bytes that were read and checked (never re-opened by path, no .pyc
consulted), and Numba keeps its compiled code in `__pycache__` beside the file, bound to the
kernel by a manifest of content hashes (compiled_code.py). A new process computing the same
program finds the file and loads the compiled code.

The cache is a trust boundary (cache_files.py): it is used only when it is the user's own
and private. Faults never fail a call: an unsafe, unwritable or full cache directory means a
private temporary directory for this process (removed at exit); a source file that does not
match its name is rewritten; compiled files that do not match the manifest, or that Numba
cannot load, are deleted and the kernel recompiled. Each is reported once as a CacheWarning.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import platform
import shutil
import sys
import tempfile
import threading
import types
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tapejit.backend.numba_cpu import compiled_code, runtime_cache
from tapejit.backend.numba_cpu.cache_files import (
    UnsafeCacheError,
    private_directory,
    read_regular,
    sweep_temporaries,
)
from tapejit.backend.numba_cpu.cache_files import write_atomically as _write_atomically
from tapejit.backend.numba_cpu.numba_setup import (
    configure,
    cpu_features,
    load_cached,
    load_without_refresh,
)
from tapejit.config import config
from tapejit.debug import debug
from tapejit.lru import LRU
from tapejit.version import __version__

VMATH_SOURCES = tuple(sorted((Path(__file__).parent / "vmath").glob("*.py")))
"""The files kernels inline code from (hashed into every kernel's key)."""


class CacheWarning(UserWarning):
    """A kernel-cache problem tapejit worked around (the call still succeeded)."""


_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(f"tapejit kernel cache: {message}", CacheWarning, stacklevel=4)


def default_directory() -> Path:
    """TAPEJIT_CACHE_DIR, else $XDG_CACHE_HOME/tapejit, else ~/.cache/tapejit."""
    if config.cache_dir:
        return Path(config.cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tapejit"


def first_tier_directory() -> Path:
    """TAPEJIT_FIRST_TIER_DIR, else the default cache root's `first-tier` (machine-wide: a
    TAPEJIT_CACHE_DIR of its own does not empty it)."""
    if config.first_tier_dir:
        return Path(config.first_tier_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tapejit" / "first-tier"


def _environment_fingerprint() -> str:
    import llvmlite
    import llvmlite.binding as llvm
    import numba

    configure()  # the CPU features it settles are part of the key
    vmath = hashlib.sha256()
    for path in VMATH_SOURCES:
        vmath.update(path.read_bytes())
    parts = [__version__, numba.__version__, llvmlite.__version__,
             platform.python_version(), llvm.get_host_cpu_name(), cpu_features(),
             vmath.hexdigest()]
    return "\n".join(parts)


_FINGERPRINT: list[str] = []


def fingerprint() -> str:
    """Everything a kernel's machine code depends on besides its source (versions, CPU, the
    inlined vectorized math), worked out once per process."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(_environment_fingerprint())
    return _FINGERPRINT[0]


def cache_key(source: str) -> str:
    """The name of a kernel: a hash of its source and of the fingerprint."""
    digest = hashlib.sha256(fingerprint().encode())
    digest.update(source.encode())
    return digest.hexdigest()[:32]


@dataclass
class CacheEntry:
    """A loaded kernel: `fn` is the Numba dispatcher itself (nothing between it and a call).
    `path` is its source file; `kernels` the folder it and its manifest live in."""

    fn: object
    key: str
    path: Path
    source: str
    reused_file: bool
    kernels: Path | None = None
    recorded_compiles: int = 0

    @property
    def loaded_from_disk(self) -> bool:
        """Whether Numba served compiled code from its cache (known after the first call)."""
        stats = getattr(self.fn, "stats", None)
        return bool(stats and stats.cache_hits)

    @property
    def has_compiled_code(self) -> bool:
        """Whether Numba's compiled code for this kernel is in the disk cache (some
        argument types' at least): its manifest is written once Numba has compiled it."""
        return self.kernels is not None and compiled_code.manifest_path(
            self.kernels, self.key).exists()

    @property
    def numba_folder(self) -> Path:
        """Where Numba keeps this kernel's compiled code (next to it, or NUMBA_CACHE_DIR)."""
        cache = getattr(self.fn, "_cache", None)
        return Path(getattr(cache, "_cache_path", self.path.parent / "__pycache__"))

    def __post_init__(self) -> None:
        self._holder: int | None = None
        if self.kernels is not None and hasattr(self.fn, "_compile_for_args"):
            self._guard_compiles()
            load_without_refresh(self.fn)

    def _guard_compiles(self) -> None:
        """Every compile or load Numba does for this kernel (a later call with new argument
        types too, not only the first call) runs under the kernel's lock, its files checked
        before and recorded after, so another process never finds code written but not yet
        in the manifest. Numba's dispatcher looks `_compile_for_args` up on the instance."""
        unguarded = self.fn._compile_for_args

        def load_or_compile(args, kws):
            entry = None if kws else load_cached(self.fn, args)
            return unguarded(*args, **kws) if entry is None else entry

        def compile_for_args(*args, **kws):
            return self.first_call(lambda: load_or_compile(args, kws))

        self.fn._compile_for_args = compile_for_args

    def first_call(self, call):
        """Run `call()` (a compile or cache read of this kernel for some argument types) with
        the compiled code checked first and recorded after, holding the kernel's lock:
        threads and processes compile it once. Reentrant within the thread that holds it."""
        if self.kernels is None or self._holder == threading.get_ident():
            return call()
        with compiled_code.exclusive(self.kernels, self.key):
            self._holder = threading.get_ident()
            try:
                trouble = compiled_code.problem(self.kernels, self.numba_folder, self.key)
                if trouble:
                    _warn_once(f"manifest:{self.key}", f"{trouble}; deleting it and recompiling")
                    compiled_code.purge(self.kernels, self.numba_folder, self.key)
                result = call()
                self._record_own_compiles()
                return result
            finally:
                self._holder = None

    def _compiles(self) -> int:
        stats = getattr(self.fn, "stats", None)
        return sum(stats.cache_misses.values()) if stats else 0

    def _record_own_compiles(self) -> None:
        """Numba compiled (and cached) code for this kernel in the call just made: record
        it (lock held)."""
        if self._compiles() != self.recorded_compiles:
            compiled_code.record(self.kernels, self.numba_folder, self.key)
            self.recorded_compiles = self._compiles()


@dataclass
class KernelCache:
    """Memory, then disk, then compile (Numba compiles at the kernel's first call)."""

    directory: Path | None = None
    disk: bool = True
    stats: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._memory = LRU(lambda: config.kernel_cache_size)
        self._lock = threading.RLock()
        self._temp: Path | None = None
        self._checked: Path | None = None
        if self.directory is None:
            self.directory = default_directory()

    def load(self, source: str) -> CacheEntry:
        key = cache_key(source)
        with self._lock:
            kernel = self._memory.get(key)
            if kernel is not None:
                self.stats["memory_hits"] += 1
                return kernel
            try:
                folder = self._folder()
                path, reused = self._store(key, source, folder)
                module = module_from_source(source, key, path)
            except OSError as e:  # not even a temporary file: compile from the text
                _warn_once(f"temp:{self.directory}", f"cannot write kernel files anywhere ({e});"
                           f" kernels are compiled from memory and kept only for this process")
                folder, path, reused = None, Path(f"<k_{key}>"), False
                module = module_from_source(
                    source.replace("@njit(cache=True,", "@njit(cache=False,"), key, path)
            kernel = CacheEntry(module.entry, key, path, source, reused, folder)
            self.stats["disk_files_reused" if reused else "files_written"] += 1
            self._memory.set(key, kernel)
            debug(1, f"kernel k_{key} {'found on disk' if reused else 'written'}: {path}")
            return kernel

    def has_compiled_code(self, source: str) -> bool:
        """Whether Numba's compiled code for `source` is on disk (nothing written or loaded)."""
        with self._lock:
            return compiled_code.manifest_path(self._folder(), cache_key(source)).exists()

    def remember_failure(self, source: str, message: str) -> None:
        """Numba could not compile this kernel: say so on disk, so that a new process runs
        the interpreter at once instead of failing again (the key changes with any version)."""
        if self.disk and self._temp is None:
            try:
                path = self._folder() / f"k_{cache_key(source)}.failed"
                _write_atomically(path, message.encode())
            except OSError:
                pass

    def known_failure(self, source: str) -> str | None:
        """Why Numba failed on this kernel before, if it did (a kernel in memory did not)."""
        key = cache_key(source)
        if not self.disk or self._temp is not None or key in self._memory:
            return None
        try:
            text = read_regular(self._folder() / f"k_{key}.failed")
        except (OSError, UnsafeCacheError):
            return None
        return None if text is None else text.decode(errors="replace")

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    # --- files ---------------------------------------------------------------------------

    def _folder(self) -> Path:
        if self.disk and self._temp is None:
            if self._checked is not None:
                return self._checked
            try:
                self._checked = _private_kernels(Path(self.directory))
                return self._checked
            except UnsafeCacheError as e:
                self._use_temp(f"{e.problem} (fix: {e.fix})")
            except OSError as e:
                self._use_temp(f"cannot use {Path(self.directory) / 'kernels'} ({e})")
        return self._temp_folder()

    def _temp_folder(self) -> Path:
        if self._temp is None:
            self._temp = _private_kernels(Path(tempfile.mkdtemp(prefix="tapejit-kernels-")))
            atexit.register(shutil.rmtree, self._temp.parent, True)
        return self._temp

    def _use_temp(self, why: str) -> None:
        _warn_once(f"temp:{self.directory}", f"{why}; compiled kernels are kept only for this "
                   f"process (set TAPEJIT_CACHE_DIR to a private, writable directory to keep "
                   f"them)")
        self._temp_folder()

    def _store(self, key: str, source: str, folder: Path) -> tuple[Path, bool]:
        path = folder / f"k_{key}.py"
        try:
            existing = read_regular(path)
        except UnsafeCacheError:
            existing = b"<unsafe>"
        if existing == source.encode():
            return path, True
        if existing is not None:
            _warn_once(f"bad:{key}", f"{path.name} did not hold its kernel's source (truncated, "
                       f"edited or not a regular file?); rewriting it and recompiling")
            self.purge(key, folder)
            _unlink(path)
        try:
            _write_atomically(path, source.encode())
        except OSError as e:
            if folder == self._temp:
                raise
            self._use_temp(f"cannot write {path} ({e})")
            return self._store(key, source, self._temp)
        return path, False

    def purge(self, key: str, folder: Path | None = None) -> None:
        """Delete Numba's compiled code for a kernel and its manifest (its source stays)."""
        folder = folder or self._folder()
        compiled_code.purge(folder, folder / "__pycache__", key)


def _private_kernels(root: Path) -> Path:
    """root/kernels and its __pycache__, checked private (created 0700); stale temporary
    files of killed writers are swept."""
    kernels = private_directory(private_directory(root) / "kernels")
    private_directory(kernels / "__pycache__")
    sweep_temporaries(kernels)
    sweep_temporaries(kernels / "__pycache__")
    return kernels


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def module_from_source(source: str, key: str, path: Path):
    """The kernel's module, executed from the text that was checked (Numba finds the file
    through the code's filename; nothing is imported by path, no .pyc is consulted)."""
    configure()
    module = types.ModuleType(f"tapejit_kernels.k_{key}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # Numba's cache looks the module up by name
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def is_cache_load_error(error: BaseException) -> bool:
    """Whether an exception was raised while Numba read its cache files."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(os.path.join("numba", "core", "caching.py")):
            return True
        tb = tb.tb_next
    return False


def recover(kernel: CacheEntry, error: BaseException) -> bool:
    """After a failed first call: if Numba's cache files were unreadable, delete them (the
    next call compiles afresh) and say so once. Returns whether that was the cause."""
    if not is_cache_load_error(error):
        return False
    _warn_once(f"numba:{kernel.key}", f"the compiled code of {kernel.path.name} could not be "
               f"loaded ({type(error).__name__}: {str(error)[:120]}); recompiling it")
    if kernel.kernels is not None:
        compiled_code.purge(kernel.kernels, kernel.numba_folder, kernel.key)
    return True


_DEFAULT: dict[tuple, KernelCache] = {}


def default_cache() -> KernelCache:
    """The process-wide cache for the current settings (TAPEJIT_CACHE_DIR/DISK_CACHE)."""
    return cache_at(default_directory())


def first_tier_cache() -> KernelCache:
    """The first tier's kernels (first_tier.py), kept apart from the specialized ones."""
    return cache_at(first_tier_directory())


def first_tier_counts() -> tuple[int, int]:
    """(kernels found, in memory or on disk; kernels new to this machine) among the first
    tier's shared kernels this process asked for: how well programs reuse each other's."""
    stats = first_tier_cache().stats
    return stats["memory_hits"] + stats["disk_files_reused"], stats["files_written"]


def cache_at(directory: Path) -> KernelCache:
    settings = (str(directory), bool(config.disk_cache))
    cache = _DEFAULT.get(settings)
    if cache is None:
        cache = _DEFAULT[settings] = KernelCache(Path(settings[0]), settings[1])
    return cache


def _runtime_folder() -> Path | None:
    """Where Numba's runtime module is kept (runtime_cache.py): beside the first tier's
    kernels, machine-wide; nowhere when the disk cache is off."""
    return first_tier_directory() / "runtime" if config.disk_cache else None


runtime_cache.install(_runtime_folder, fingerprint)
