"""The Numba backend's code for counter-based random bits: vmath's threefry2x32, compiled
once (and cached on disk) rather than inside every kernel that draws."""

from __future__ import annotations


def _threefry2x32(ctx, key, counts):
    ctx.kernel.math.add("threefry2x32")
    return [f"{ctx.out} = threefry2x32(np.ascontiguousarray({key}), "
            f"np.ascontiguousarray({counts}))"]


RANDOM_CODE = {"threefry2x32": _threefry2x32}
