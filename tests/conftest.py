"""Test-wide setup: float64 by default in checks, a private kernel cache per run."""

import os
import tempfile

os.environ.setdefault("TAPEJIT_CACHE_DIR", tempfile.mkdtemp(prefix="tapejit-test-cache-"))
os.environ.setdefault("TAPEJIT_CHECKS", "1")
