"""A loop group of elementwise equations run block by block on the first tier.

Run over whole arrays, each step of a group read and wrote arrays of the group's size: a
chain of 18 steps on 2e6 float32 moved 18 arrays of 8 MB through memory, and each new array
paid its page faults (NumPy advises huge pages above 4 MB, which this kernel compacts memory
for). Block by block, a step's operands and result are a few hundred kB that stay in the
cache, and the allocator hands the same memory back for the next block. Every value of an
elementwise step is computed alone, so the bits are the whole-array run's.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import numpy as np

from tapejit.ir import Program, Var

BLOCK = 1 << 16
"""Values per block: 128 kB of float32 per operand; a block's step costs the Python call
(a few us) several times over."""


def blockable(body: Program, shape: tuple) -> bool:
    """Whether the group runs block by block: larger than two blocks, every equation
    elementwise (no sum, no broadcast), every array it reads or makes of the group's shape."""
    if prod(shape) <= 2 * BLOCK:
        return False
    for eqn in body.eqns:
        if eqn.prim.kind != "elementwise":
            return False
        for atom in (*eqn.inputs, *eqn.outputs):
            if isinstance(atom, Var) and atom.type.ndim and atom.type.shape != shape:
                return False
    return all(not isinstance(a, Var) or a.type.ndim == 0 or a.type.shape == shape
               for a in body.outputs)


def run_in_blocks(body: Program, shape: tuple, values: list,
                  run_block: Callable[[list, int], list | None]) -> list | None:
    """The group's outputs, `run_block(block values, length)` giving each block's (None: stop,
    and this returns None). Arrays are cut into flat blocks, scalars passed as they are."""
    n = prod(shape)
    flat = [v.reshape(-1) if isinstance(v, np.ndarray) and v.ndim else v for v in values]
    outs = [np.empty(n, a.type.dtype) for a in body.outputs]
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        block = [v[start:stop] if isinstance(v, np.ndarray) and v.ndim else v for v in flat]
        results = run_block(block, stop - start)
        if results is None:
            return None
        for out, result in zip(outs, results):
            out[start:stop] = result
    return [out.reshape(shape) for out in outs]
