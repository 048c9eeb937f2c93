"""Test-wide setup: float64 by default in checks, private kernel caches per run, kernels
waited for (the first tier's tests switch that back)."""

import os
import tempfile

os.environ.setdefault("TAPEJIT_CACHE_DIR", tempfile.mkdtemp(prefix="tapejit-test-cache-"))
os.environ.setdefault("TAPEJIT_FIRST_TIER_DIR", tempfile.mkdtemp(prefix="tapejit-test-tier-"))
os.environ.setdefault("TAPEJIT_CHECKS", "1")
os.environ.setdefault("TAPEJIT_PRECOMPILE", "0")
os.environ.setdefault("TAPEJIT_SYNC_COMPILE", "1")  # tests/test_first_tier.py takes the default

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_layer_names():
    """Each test numbers its layers from 'dense' (as Keras tests call clear_session)."""
    from tapejit.layers import clear_session

    clear_session()
    yield
