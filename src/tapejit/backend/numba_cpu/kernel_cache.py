"""Generated kernels, kept in memory and on disk across processes.

Numba caches compiled code only for functions defined in real files, and it trusts a file's
modification time: rewriting a kernel's source, even with identical text, throws its
compiled code away. So each kernel's source is written once, atomically (a temporary file
renamed into place, so no process ever reads half a file), to a file named by a hash of its
text, the versions of tapejit/Numba/llvmlite/Python, the CPU, and the vectorized math it
inlines; it is then imported, and Numba keeps its compiled code in `__pycache__` beside it.
A new process computing the same program finds the file and loads the compiled code.

Faults never fail a call: an unwritable or full cache directory means a private temporary
directory for this process; a source file that does not match its name is rewritten; Numba
cache files that cannot be loaded are deleted and the kernel recompiled. Each is reported
once as a CacheWarning.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import sys
import tempfile
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tapejit.backend.numba_cpu.numba_setup import configure, cpu_features
from tapejit.config import config
from tapejit.debug import debug
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


def cache_key(source: str) -> str:
    """The name of a kernel: a hash of its source and of everything its machine code
    depends on (versions, CPU, the inlined vectorized math)."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(_environment_fingerprint())
    digest = hashlib.sha256(_FINGERPRINT[0].encode())
    digest.update(source.encode())
    return digest.hexdigest()[:32]


@dataclass
class CacheEntry:
    """A loaded kernel: `fn` is the Numba dispatcher itself (nothing between it and a call)."""

    fn: object
    key: str
    path: Path
    source: str
    reused_file: bool

    @property
    def loaded_from_disk(self) -> bool:
        """Whether Numba served compiled code from its cache (known after the first call)."""
        stats = getattr(self.fn, "stats", None)
        return bool(stats and stats.cache_hits)


@dataclass
class KernelCache:
    """Memory, then disk, then compile (Numba compiles at the kernel's first call)."""

    directory: Path | None = None
    disk: bool = True
    stats: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._memory: dict[str, CacheEntry] = {}
        self._lock = threading.RLock()
        self._temp: Path | None = None
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
                path, reused = self._store(key, source)
                module = _import(path, key)
            except OSError as e:  # not even a temporary file: compile from the text
                _warn_once(f"temp:{self.directory}", f"cannot write kernel files anywhere ({e});"
                           f" kernels are compiled from memory and kept only for this process")
                path, reused, module = Path(f"<k_{key}>"), False, _exec(source, key)
            kernel = CacheEntry(module.entry, key, path, source, reused)
            self.stats["disk_files_reused" if reused else "files_written"] += 1
            self._memory[key] = kernel
            debug(1, f"kernel k_{key} {'found on disk' if reused else 'written'}: {path}")
            return kernel

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    # --- files ---------------------------------------------------------------------------

    def _folder(self) -> Path:
        if self.disk and self._temp is None:
            folder = Path(self.directory) / "kernels"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if os.access(folder, os.W_OK):
                    return folder
                raise PermissionError(f"{folder} is not writable")
            except OSError as e:
                self._use_temp(f"cannot use {folder} ({e})")
        return self._temp_folder()

    def _temp_folder(self) -> Path:
        if self._temp is None:
            self._temp = Path(tempfile.mkdtemp(prefix="tapejit-kernels-"))
        return self._temp

    def _use_temp(self, why: str) -> None:
        _warn_once(f"temp:{self.directory}", f"{why}; compiled kernels are kept only for this "
                   f"process (set TAPEJIT_CACHE_DIR to a writable directory to keep them)")
        self._temp_folder()

    def _store(self, key: str, source: str) -> tuple[Path, bool]:
        folder = self._folder()
        path = folder / f"k_{key}.py"
        existing = _read(path)
        if existing == source:
            self._check_index(key, folder)
            return path, True
        if existing is not None:
            _warn_once(f"bad:{key}", f"{path.name} did not hold its kernel's source (truncated "
                       f"or edited?); rewriting it and recompiling")
            self.purge(key, folder)
        try:
            _write_atomically(path, source)
        except OSError as e:
            if folder == self._temp:
                raise
            self._use_temp(f"cannot write {path} ({e})")
            return self._store(key, source)
        return path, False

    def _check_index(self, key: str, folder: Path) -> None:
        """Numba ignores an index it cannot use without a word; say so, and start clean."""
        for index in (folder / "__pycache__").glob(f"k_{key}.*.nbi"):
            problem = _index_problem(index)
            if problem:
                _warn_once(f"index:{key}", f"{index.name} is {problem}; recompiling its kernel")
                self.purge(key, folder)
                return

    def purge(self, key: str, folder: Path | None = None) -> None:
        """Delete Numba's compiled code for a kernel (its source file stays)."""
        folder = folder or self._folder()
        for stale in (folder / "__pycache__").glob(f"k_{key}.*"):
            try:
                stale.unlink()
            except OSError:
                pass


def _index_problem(index: Path) -> str:
    """'' if a Numba index file looks whole and current, else what is wrong with it."""
    import pickle

    import numba

    try:
        with open(index, "rb") as f:
            version = pickle.load(f)
            entry = pickle.loads(f.read())
    except FileNotFoundError:
        return ""
    except Exception as e:
        return f"unreadable ({type(e).__name__})"
    if version != numba.__version__:
        return f"from another Numba version ({version!r:.40})"
    if not (isinstance(entry, tuple) and len(entry) == 2):
        return "not a Numba index"
    return ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""


def _write_atomically(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _import(path: Path, key: str):
    configure()
    name = f"tapejit_kernels.k_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Numba's cache looks the module up by name
    spec.loader.exec_module(module)
    return module


def _exec(source: str, key: str):
    import types

    module = types.ModuleType(f"tapejit_kernels.k_{key}")
    text = source.replace("@njit(cache=True,", "@njit(cache=False,")
    exec(compile(text, f"<tapejit kernel k_{key}>", "exec"), module.__dict__)
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
    for stale in (kernel.path.parent / "__pycache__").glob(f"k_{kernel.key}.*"):
        try:
            stale.unlink()
        except OSError:
            pass
    return True


_DEFAULT: dict[tuple, KernelCache] = {}


def default_cache() -> KernelCache:
    """The process-wide cache for the current settings (TAPEJIT_CACHE_DIR/DISK_CACHE)."""
    settings = (str(default_directory()), bool(config.disk_cache))
    cache = _DEFAULT.get(settings)
    if cache is None:
        cache = _DEFAULT[settings] = KernelCache(Path(settings[0]), settings[1])
    return cache
