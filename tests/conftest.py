"""Test-wide setup: float64 by default in checks, a private kernel cache per run."""

import os
import tempfile

os.environ.setdefault("TAPEJIT_CACHE_DIR", tempfile.mkdtemp(prefix="tapejit-test-cache-"))
os.environ.setdefault("TAPEJIT_CHECKS", "1")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_layer_names():
    """Each test numbers its layers from 'dense' (as Keras tests call clear_session)."""
    from tapejit.layers import clear_session

    clear_session()
    yield
