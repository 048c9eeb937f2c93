"""Test-wide setup: float64 by default in checks, private kernel caches per run (made by
the process that starts the run, shared with its xdist workers, removed at its end), kernels
waited for (the first tier's tests switch that back), convolutions serial (a threaded kernel
costs seconds more to compile; tests of it ask for it), and every eager temporary's array
reused however small (ops.temporaries), so that every eager test exercises the reuse."""

import os
import shutil
import tempfile

_OWN_DIRS = []
"""The cache directories this process made (the run's first process): it removes them."""


def _private_dir(variable: str, prefix: str) -> None:
    if variable not in os.environ:
        os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        _OWN_DIRS.append(os.environ[variable])


_private_dir("TAPEJIT_CACHE_DIR", "tapejit-test-cache-")
_private_dir("TAPEJIT_FIRST_TIER_DIR", "tapejit-test-tier-")
os.environ.setdefault("TAPEJIT_CHECKS", "1")
os.environ.setdefault("TAPEJIT_PRECOMPILE", "0")
os.environ.setdefault("TAPEJIT_SYNC_COMPILE", "1")  # tests/test_first_tier.py takes the default
os.environ.setdefault("TAPEJIT_PARALLEL_CONVOLUTIONS", "0")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _reuse_every_temporary():
    from tapejit.ops import temporaries

    temporaries.REUSE_BYTES = 0
    yield


@pytest.fixture(autouse=True)
def _fresh_layer_names():
    """Each test numbers its layers from 'dense' (as Keras tests call clear_session)."""
    from tapejit.layers import clear_session

    clear_session()
    yield


def pytest_unconfigure(config):
    for path in _OWN_DIRS:
        shutil.rmtree(path, ignore_errors=True)
