"""The libraries measured beside tapejit: optional peers, imported lazily and configured
once, and the references the harness always has (NumPy by hand, a copy, bare Numba, a bare
Python tape)."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Iterable

PEERS = ("jax", "torch", "tensorflow", "autograd")
REFERENCES = ("numpy", "copy", "numba", "pytape")
DISTRIBUTIONS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow-cpu",
                 "autograd": "autograd"}
_loaded: dict[str, object] = {}


def installed(name: str) -> bool:
    """Whether a peer (or tapejit, or a reference) can be imported, without importing it."""
    if name in REFERENCES or name == "tapejit":
        return True
    return importlib.util.find_spec(name) is not None


def version(name: str) -> str | None:
    """The installed distribution's version, or None."""
    for dist in (DISTRIBUTIONS.get(name, name), name):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def load(name: str):
    """Import a peer once, configured for benchmarking (JAX with float64 and a quiet TF)."""
    if name not in _loaded:
        _loaded[name] = _CONFIGURE.get(name, importlib.import_module)(name)
    return _loaded[name]


def _load_jax(name: str):
    jax = importlib.import_module(name)
    jax.config.update("jax_enable_x64", True)
    folder = os.environ.get("BENCH_JAX_CACHE_DIR")
    if folder:
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return jax


def _load_tensorflow(name: str):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = importlib.import_module(name)
    tf.get_logger().setLevel("ERROR")
    return tf


def _load_autograd(name: str):
    importlib.import_module("autograd.numpy")
    return importlib.import_module(name)


_CONFIGURE = {"jax": _load_jax, "tensorflow": _load_tensorflow, "autograd": _load_autograd}


def select(spec: str | None) -> tuple[list[str], dict[str, str]]:
    """Peers to measure for a --peers value ('all', 'none', or names separated by commas),
    and a reason for each peer left out."""
    wanted = _parse(spec)
    unknown = [p for p in wanted if p not in PEERS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    chosen = [p for p in wanted if installed(p)]
    skipped = {p: f"skipped: {p} not installed" for p in wanted if p not in chosen}
    skipped.update({p: f"skipped: not selected (--peers {spec})" for p in PEERS
                    if p not in wanted})
    return chosen, skipped


def _parse(spec: str | None) -> list[str]:
    if spec is None or spec.strip() == "all":
        return list(PEERS)
    if spec.strip() in ("", "none"):
        return []
    return [p.strip() for p in spec.split(",") if p.strip()]


def versions(names: Iterable[str]) -> dict[str, str | None]:
    return {name: version(name) for name in names}
