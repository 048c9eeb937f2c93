"""The kernel cache: memory and disk reuse across processes, atomic writes, and recovery
from every kind of damaged entry with one warning and the right answer."""

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import kernel_cache
from tapejit.backend.numba_cpu.kernel_cache import CacheWarning, KernelCache

X = np.arange(6.0).reshape(2, 3)
EXPECTED = np.cos(X) * 3.0 + 1.0


def _fn(x):
    return tj.math.cos(x) * 3.0 + 1.0


@pytest.fixture
def cache_dir(tmp_path):
    """A fresh cache directory for tapejit's default cache, and fresh warn-once state."""
    old = tj.config.cache_dir
    tj.config.update("cache_dir", str(tmp_path))
    kernel_cache._WARNED.clear()
    yield tmp_path
    tj.config.update("cache_dir", old)


def _run_jitted():
    return tj.jit(_fn)(X).numpy()


def _kernel_files(folder, pattern):
    return sorted((folder / "kernels").glob(pattern)) + sorted(
        (folder / "kernels" / "__pycache__").glob(pattern))


def test_memory_hit_returns_the_same_kernel(cache_dir):
    cache = KernelCache(cache_dir)
    source = tj.jit(_fn).lower(X).source
    assert cache.load(source) is cache.load(source)
    assert cache.stats["memory_hits"] == 1


def test_a_new_cache_reuses_the_file_without_touching_it(cache_dir):
    source = tj.jit(_fn).lower(X).source
    first = KernelCache(cache_dir).load(source)
    first.fn(*_kernel_args(source))
    mtime = first.path.stat().st_mtime_ns
    second = KernelCache(cache_dir).load(source)
    assert second.reused_file and second.path == first.path
    assert second.path.stat().st_mtime_ns == mtime


def _kernel_args(source):
    f = tj.jit(_fn)
    f(X)
    entry = next(iter(f._cache.values()))
    return [entry.executable.kernel.sizes, entry.executable.kernel.consts, X]


CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    start = time.perf_counter()
    import tapejit as tj
    f = tj.jit(lambda x: tj.math.cos(x) * 3.0 + 1.0)
    out = f(np.arange(6.0).reshape(2, 3)).numpy()
    stats = f.compile_stats(np.arange(6.0).reshape(2, 3))
    print(json.dumps({"out": out.tolist(), "from_disk": stats["kernel_from_disk"],
                      "first_call_s": stats["first_call_s"],
                      "total_s": time.perf_counter() - start}))
""")


def _child(cache_dir, extra_env=None):
    env = dict(os.environ, TAPEJIT_CACHE_DIR=str(cache_dir), **(extra_env or {}))
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_process_loads_kernels_from_disk(cache_dir):
    cold = _child(cache_dir)
    warm = _child(cache_dir)
    assert not cold["from_disk"] and warm["from_disk"]
    np.testing.assert_allclose(warm["out"], EXPECTED)
    print(f"first call: cold {cold['first_call_s'] * 1e3:.0f} ms, "
          f"warm {warm['first_call_s'] * 1e3:.0f} ms")


def _damage(folder, pattern, how):
    files = _kernel_files(folder, pattern)
    assert files, f"no {pattern} files to damage"
    for path in files:
        data = path.read_bytes()
        if how == "truncate":
            path.write_bytes(data[: len(data) // 3])
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "random":
            path.write_bytes(os.urandom(max(len(data), 64)))
        elif how == "wrong pickle":
            import pickle

            path.write_bytes(pickle.dumps({"not": "a kernel"}))


@pytest.fixture(scope="module")
def whole_entry(tmp_path_factory):
    """A cache holding one complete entry, written by another process (copied, with its
    files' times, into each damage test's cache: one child process instead of twelve)."""
    folder = tmp_path_factory.mktemp("whole-entry")
    _child(folder)
    return folder


@pytest.mark.parametrize("pattern", ["k_*.py", "k_*.nbi", "k_*.nbc"])
@pytest.mark.parametrize("how", ["truncate", "empty", "random", "wrong pickle"])
def test_damaged_entries_recover_with_one_warning(cache_dir, whole_entry, pattern, how):
    shutil.copytree(whole_entry, cache_dir, dirs_exist_ok=True)
    _damage(cache_dir, pattern, how)
    with pytest.warns(CacheWarning) as record:
        np.testing.assert_allclose(_run_jitted(), EXPECTED)
    assert len([w for w in record if w.category is CacheWarning]) == 1
    np.testing.assert_allclose(_child(cache_dir)["out"], EXPECTED)  # and the entry is whole again


def test_an_entry_from_another_environment_is_never_reused(cache_dir, monkeypatch):
    _child(cache_dir)
    source = tj.jit(_fn).lower(X).source
    assert KernelCache(cache_dir).load(source).reused_file
    monkeypatch.setattr(kernel_cache, "_FINGERPRINT", ["another numba, another cpu"])
    assert not KernelCache(cache_dir).load(source).reused_file


def test_unwritable_cache_dir_falls_back_with_one_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    old = tj.config.cache_dir
    tj.config.update("cache_dir", str(blocker / "cache"))
    kernel_cache._WARNED.clear()
    try:
        with pytest.warns(CacheWarning, match="only for this process"):
            np.testing.assert_allclose(_run_jitted(), EXPECTED)
    finally:
        tj.config.update("cache_dir", old)


def _full_disk(monkeypatch, everywhere: bool):
    write = kernel_cache._write_atomically

    def full(path, text):
        if everywhere or str(path).startswith(tj.config.cache_dir):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(path, text)

    monkeypatch.setattr(kernel_cache, "_write_atomically", full)
    kernel_cache._DEFAULT.clear()


@pytest.mark.parametrize("everywhere", [False, True], ids=["cache dir full", "all disks full"])
def test_a_full_disk_falls_back_with_one_warning(cache_dir, monkeypatch, everywhere):
    _full_disk(monkeypatch, everywhere)
    with pytest.warns(CacheWarning, match="No space left") as record:
        out = tj.jit(lambda x: tj.math.sin(x) + 2.0)(X).numpy()
        out2 = tj.jit(lambda x: tj.math.sin(x) + 3.0)(X).numpy()
    assert len([w for w in record if w.category is CacheWarning]) == 1
    np.testing.assert_allclose(out, np.sin(X) + 2.0)
    np.testing.assert_allclose(out2, np.sin(X) + 3.0)


def test_disk_cache_off_uses_a_private_directory(tmp_path):
    tj.config.update("disk_cache", False)
    try:
        out = tj.jit(lambda x: x * 5.0 + 1.0)(X).numpy()
    finally:
        tj.config.update("disk_cache", True)
    np.testing.assert_allclose(out, X * 5.0 + 1.0)


def test_processes_racing_on_a_cold_cache(cache_dir):
    env = dict(os.environ, TAPEJIT_CACHE_DIR=str(cache_dir))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        np.testing.assert_allclose(json.loads(out.strip().splitlines()[-1])["out"], EXPECTED)
    assert len(list((cache_dir / "kernels").glob("k_*.py"))) == 1
    assert not list((cache_dir / "kernels").rglob("*.tmp"))


def test_threads_compile_each_signature_once(cache_dir):
    f = tj.jit(lambda x: tj.math.tanh(x) * 2.0)
    shapes = [(n, 3) for n in range(1, 11)]
    expected = {s: np.tanh(np.ones(s)) * 2.0 for s in shapes}
    errors = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        for _ in range(20):
            shape = shapes[rng.integers(len(shapes))]
            try:
                np.testing.assert_allclose(f(np.ones(shape)).numpy(), expected[shape])
            except Exception as e:  # reported below
                errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert f.cache_info().misses == len({s for s in shapes if s in _seen(f)})
    assert len({e.executable.kernel.fn for e in f._cache.values()}) <= 2  # serial/parallel


def _seen(f):
    return {key[0][1][0][1] for key in f._cache}


def test_a_writer_dying_mid_write_leaves_no_partial_entry(cache_dir, monkeypatch):
    def die(src, dst):
        raise KeyboardInterrupt  # the process is interrupted between write and rename

    source = _source_of(lambda x: x * 7.0)
    monkeypatch.setattr(kernel_cache.os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        KernelCache(cache_dir).load(source)
    assert not list((cache_dir / "kernels").glob("k_*.py"))
    assert not list((cache_dir / "kernels").glob("*.tmp"))
    monkeypatch.undo()
    np.testing.assert_allclose(tj.jit(lambda x: x * 7.0)(X).numpy(), X * 7.0)


def _source_of(fn):
    from tapejit.backend.numba_cpu.codegen import generate
    from tapejit.lowering import lower_programs

    return generate(lower_programs(fn, (X,))[3]).text
