"""Array copies and permuted views for generated code, written so that Numba compiles them
cheaply.

Numba's slice assignment from an array and its `transpose(axes)` both carry an error path
that formats shapes into a message; typing that string code costs seconds in every new
process (measured: a kernel with one 4-d pad and two transposes, 35 s of a 36 s compile on a
busy machine). Shapes here are known to agree when the code is generated, so a copy is a
plain loop nest and a permutation is a strided view built from the operand's own shape and
strides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def permuted(x: str, permutation: Sequence[int]) -> str:
    """An expression for the view of `x` with its axes in `permutation`'s order."""
    order = tuple(int(p) for p in permutation)
    if order == tuple(range(len(order))):
        return x
    if order == (1, 0):
        return f"{x}.T"
    shape = "".join(f"{x}.shape[{p}], " for p in order)
    strides = "".join(f"{x}.strides[{p}], " for p in order)
    return f"np.lib.stride_tricks.as_strided({x}, ({shape}), ({strides}))"


def copy_into(new_temp: Callable[[str], str], dst: str, src: str, ndim: int) -> list[str]:
    """Lines copying the array `src` (ndim >= 1) into `dst`, a view of the same shape."""
    view = new_temp("into")
    index = [new_temp("at") for _ in range(ndim)]
    lines = [f"{view} = {dst}"]
    for depth, i in enumerate(index):
        lines.append("    " * depth + f"for {i} in range({view}.shape[{depth}]):")
    at = ", ".join(index)
    lines.append("    " * ndim + f"{view}[{at}] = {src}[{at}]")
    return lines
