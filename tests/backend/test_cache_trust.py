"""The disk cache is a trust boundary: attacks on it, each in a fresh process on a temporary
directory, must end with the right answer, at most one CacheWarning, and none of the
planted code or data executed or loaded."""

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import compiled_code, kernel_cache
from tapejit.backend.numba_cpu.kernel_cache import KernelCache, cache_key

X = np.arange(6.0).reshape(2, 3)

CHILD = textwrap.dedent("""
    import json, os, sys, warnings
    import numpy as np
    os.umask(int(sys.argv[2], 8))
    import tapejit as tj
    from tapejit.backend.numba_cpu.kernel_cache import default_cache
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = tj.jit(eval("lambda x: " + sys.argv[1]))
        out = f(np.arange(6.0).reshape(2, 3)).numpy()
    cache = default_cache()
    print(json.dumps({"out": out.tolist(), "temp": str(cache._temp or ""),
                      "warnings": [str(w.message) for w in caught
                                   if w.category is tj.CacheWarning]}))
""")


TIMES = "x * 2.0 + 1.0"
MINUS = "(x - 2.0) * 3.0"


def _fn(expr: str):
    return eval("lambda x: " + expr, {"tj": tj})


def _source(expr: str) -> str:
    return tj.jit(_fn(expr)).lower(X).source


def _child(cache_dir, expr=TIMES, umask="022"):
    env = dict(os.environ, TAPEJIT_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", CHILD, expr, umask], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(result["out"], _fn(expr)(X))
    return result


def _kernels(cache_dir):
    return cache_dir / "kernels"


def _key(expr=TIMES):
    return cache_key(_source(expr))


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_everything_created_is_private_whatever_the_umask(tmp_path):
    cache = tmp_path / "cache"
    assert _child(cache, umask="000")["warnings"] == []
    for folder in (cache, _kernels(cache), _kernels(cache) / "__pycache__"):
        assert _mode(folder) == 0o700, folder
    files = list(_kernels(cache).rglob("k_*"))
    assert any(f.suffix == ".nbc" for f in files) and any(f.suffix == ".manifest" for f in files)
    for path in files:
        assert _mode(path) == 0o600, path


def test_a_world_writable_cache_dir_is_not_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = _child(shared)
    assert len(result["warnings"]) == 1 and "written by other users" in result["warnings"][0]
    assert not (shared / "kernels").exists()
    assert not os.path.exists(result["temp"]), "the fallback directory outlived the process"


def test_a_cache_dir_owned_by_another_user_is_not_used(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    try:
        os.chown(foreign, os.geteuid() + 4242, -1)
    except PermissionError:
        pytest.skip("this user cannot give a directory to another user")
    result = _child(foreign)
    assert len(result["warnings"]) == 1 and "owned by user" in result["warnings"][0]


def test_a_planted_pyc_is_never_executed(tmp_path):
    cache = tmp_path / "cache"
    _child(cache)
    marker = tmp_path / "pwned"
    evil = f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(3)\n"
    tag = sys.implementation.cache_tag
    pyc = _kernels(cache) / "__pycache__" / f"k_{_key()}.{tag}.pyc"
    pyc.write_bytes(_pyc_of(evil, tmp_path))
    result = _child(cache)
    assert not marker.exists()
    assert len(result["warnings"]) == 1 and "not the compiled code" in result["warnings"][0]


def _pyc_of(text, tmp_path):
    import py_compile

    src = tmp_path / "evil.py"
    src.write_text(text)
    out = tmp_path / "evil.pyc"
    py_compile.compile(str(src), str(out),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return out.read_bytes()


class _Bomb:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_index_pickle_is_never_unpickled(tmp_path):
    cache = tmp_path / "cache"
    _child(cache)
    marker = str(tmp_path / "unpickled")
    for index in (_kernels(cache) / "__pycache__").glob(f"k_{_key()}.*.nbi"):
        index.write_bytes(pickle.dumps(_Bomb(marker)))
    result = _child(cache)
    assert not os.path.exists(marker)
    assert len(result["warnings"]) == 1


def test_compiled_code_of_another_kernel_is_not_loaded(tmp_path):
    cache = tmp_path / "cache"
    _child(cache, TIMES)
    _child(cache, MINUS)
    folder = _kernels(cache) / "__pycache__"
    times, minus = _key(TIMES), _key(MINUS)
    for path in folder.glob(f"k_{times}.*.nbc"):  # the code; the index stays genuine
        shutil.copyfile(path, folder / path.name.replace(times, minus))
    result = _child(cache, MINUS)  # checks the answer is (x - 2) 3, not 2 x + 1
    assert len(result["warnings"]) == 1 and "not the compiled code" in result["warnings"][0]


def test_a_fifo_at_the_kernel_path_does_not_hang(tmp_path):
    cache = tmp_path / "cache"
    _child(cache)
    path = _kernels(cache) / f"k_{_key()}.py"
    path.unlink()
    os.mkfifo(path, 0o600)
    result = _child(cache)
    assert len(result["warnings"]) == 1 and "not a regular file" in result["warnings"][0]


def test_the_module_runs_the_bytes_that_were_checked(tmp_path, monkeypatch):
    """Swapping the file after its check changes nothing: it is never opened again."""
    source = _source(TIMES)
    cache = KernelCache(tmp_path)
    real = kernel_cache.read_regular

    def swap_after_reading(path):
        data = real(path)
        if path.suffix == ".py" and data is not None:
            path.write_text("raise SystemExit('the swapped file ran')\\n")
        return data

    cache.load(source)  # writes the genuine file
    cache.clear_memory()
    monkeypatch.setattr(kernel_cache, "read_regular", swap_after_reading)
    entry = KernelCache(tmp_path).load(source)
    assert entry.reused_file
    out = entry.fn(*_args())
    np.testing.assert_allclose(out[0], X * 2.0 + 1.0)


def _args():
    f = tj.jit(lambda x: x * 2.0 + 1.0)
    f(X)
    entry = next(iter(f._cache.values()))
    return [entry.executable.kernel.sizes, entry.executable.kernel.consts, X]


def test_temporaries_of_a_killed_writer_are_swept(tmp_path):
    cache = tmp_path / "cache"
    _child(cache)
    stale = _kernels(cache) / ".k_dead.abc.tmp"
    stale.write_text("half a kernel")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    fresh = _kernels(cache) / ".k_writing.def.tmp"
    fresh.write_text("being written now")
    os.utime(_kernels(cache) / ".swept", (old, old))  # the last sweep, over an hour ago
    _child(cache)
    assert not stale.exists() and fresh.exists()


def test_code_compiled_for_new_argument_types_is_recorded_at_once(tmp_path):
    """A later call with new array layouts compiles outside the first call: its files are in
    the manifest when the call returns, so another process loads them without a warning
    (it used to find them unrecorded until this process exited, delete and recompile)."""
    cache = tmp_path / "cache"
    entry = KernelCache(cache).load(_source(TIMES))
    sizes, consts, x = _args()
    entry.first_call(lambda: entry.fn(sizes, consts, x))
    strided = np.arange(12.0).reshape(2, 6)[:, ::2]
    np.testing.assert_allclose(entry.fn(sizes, consts, strided)[0], strided * 2.0 + 1.0)
    assert sum(entry.fn.stats.cache_misses.values()) == 2
    assert compiled_code.problem(entry.kernels, entry.numba_folder, entry.key) == ""
    assert _child(cache)["warnings"] == []


def test_a_settled_folder_is_listed_once_and_again_when_it_changes(tmp_path, monkeypatch):
    """Kernel loads read a folder's listing kept from before; any added or removed file
    changes the folder's time, and the next load lists it again."""
    for name in ("k_a.entry-3.py311.nbi", "k_a.entry-3.py311.1.nbc", "k_b.entry-3.py311.nbi"):
        (tmp_path / name).write_bytes(b"")
    long_ago = time.time_ns() - 60 * 10**9
    os.utime(tmp_path, ns=(long_ago, long_ago))
    assert [p.name for p in compiled_code.compiled_files(tmp_path, "a")] == [
        "k_a.entry-3.py311.1.nbc", "k_a.entry-3.py311.nbi"]
    scans = []
    real_scandir = os.scandir
    monkeypatch.setattr(compiled_code.os, "scandir", lambda p: scans.append(p) or real_scandir(p))
    assert len(compiled_code.compiled_files(tmp_path, "b")) == 1 and not scans
    (tmp_path / "k_b.entry-3.py311.1.nbc").write_bytes(b"")
    assert len(compiled_code.compiled_files(tmp_path, "b")) == 2 and len(scans) == 1
    (tmp_path / "k_a.entry-3.py311.1.nbc").unlink()
    assert len(compiled_code.compiled_files(tmp_path, "a")) == 1 and len(scans) == 2


def test_a_folder_changed_just_now_is_listed_at_every_load(tmp_path, monkeypatch):
    """Two changes within the file system's time granularity may leave one time: a listing
    younger than that is never kept."""
    (tmp_path / "k_a.entry-3.py311.nbi").write_bytes(b"")
    scans = []
    real_scandir = os.scandir
    monkeypatch.setattr(compiled_code.os, "scandir", lambda p: scans.append(p) or real_scandir(p))
    for expected in (1, 1):
        assert len(compiled_code.compiled_files(tmp_path, "a")) == expected
    assert len(scans) == 2


def test_stale_temporaries_of_killed_writers_are_swept_and_nothing_else(tmp_path):
    from tapejit.backend.numba_cpu.cache_files import STALE_TEMP_SECONDS, sweep_temporaries

    names = {".k_1.tmp": True, "k_2.entry-3.py311.nbi.tmp.a1b2": True, ".k_3.tmp": False,
             "k_4.py": True, "k_5.entry-3.py311.1.nbc": True, "notes.tmp": True}
    old = time.time() - STALE_TEMP_SECONDS - 60
    for name, stale in names.items():
        (tmp_path / name).write_bytes(b"x")
        if stale:
            os.utime(tmp_path / name, (old, old))
    sweep_temporaries(tmp_path)
    kept = [".k_3.tmp", ".swept", "k_4.py", "k_5.entry-3.py311.1.nbc", "notes.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == kept
    (tmp_path / ".k_6.tmp").write_bytes(b"x")
    os.utime(tmp_path / ".k_6.tmp", (old, old))
    sweep_temporaries(tmp_path)  # swept within the hour: the folder is not listed again
    assert (tmp_path / ".k_6.tmp").exists()
    os.utime(tmp_path / ".swept", (old, old))
    sweep_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == kept
