"""Op-table case of the counter-based random bits primitive, against the Python-int
reference Threefry-2x32 (tests/threefry_reference.py)."""

from __future__ import annotations

import numpy as np

import tapejit as tj
from tapejit.primitives.random_bits import threefry2x32
from tests.optable import Case
from tests.threefry_reference import reference_threefry


def _words(x: np.ndarray) -> np.ndarray:
    """Floats drawn in (-2, 2) as uint32 words spread over the whole range."""
    return np.asarray((np.asarray(x, np.float64) + 2.0) * 1.0e9, np.uint32)


def _as_words(x):
    return tj.cast((tj.cast(x, tj.float64) + 2.0) * 1.0e9, tj.uint32)


def _bits(key, counts):
    return tj.cast(threefry2x32(_as_words(key), _as_words(counts)), tj.float64)


def _reference_rows(k, c):
    """The reference on each row of keys (..., 2) and counters (..., n)."""
    keys, counts = _words(k), _words(c)
    rows = [reference_threefry(a, b) for a, b in zip(keys.reshape(-1, 2),
                                                     counts.reshape(-1, counts.shape[-1]))]
    return np.asarray(rows, np.float64).reshape(counts.shape)


CASES = [
    Case("threefry2x32", _bits, [((2,), (5,)), ((2,), (4,)), ((2,), (1,))], order=0,
         numpy=lambda k, c: reference_threefry(_words(k), _words(c)).astype(np.float64),
         errors=[lambda: threefry2x32(tj.constant(np.zeros(3, np.uint32)),
                                      tj.constant(np.zeros(2, np.uint32))),
                 lambda: threefry2x32(tj.constant(np.zeros(2, np.uint32)),
                                      tj.constant(np.zeros(2, np.int32)))]),
    Case("threefry2x32", _bits, [((0, 2), (0, 3)), ((3, 2), (3, 5)), ((2, 2, 2), (2, 2, 4))],
         order=0, name="rows", numpy=_reference_rows,
         errors=[lambda: threefry2x32(tj.constant(np.zeros((3, 2), np.uint32)),
                                      tj.constant(np.zeros((2, 5), np.uint32)))]),
]
