"""The Numba backend's code for counter-based random bits: vmath's threefry2x32 (and
threefry2x32_rows for rows of keys, as vmap makes them), compiled once (and cached on disk)
rather than inside every kernel that draws."""

from __future__ import annotations


def _threefry2x32(ctx, key, counts):
    if ctx.in_types[0].ndim == 1:
        ctx.kernel.math.add("threefry2x32")
        return [f"{ctx.out} = threefry2x32(np.ascontiguousarray({key}), "
                f"np.ascontiguousarray({counts}))"]
    ctx.kernel.math.add("threefry2x32_rows")
    rows = ctx.temp("rows")
    return [f"{rows} = np.ascontiguousarray({counts})",
            f"{ctx.out} = threefry2x32_rows(np.ascontiguousarray({key}), {rows})"
            f".reshape({rows}.shape)"]


RANDOM_CODE = {"threefry2x32": _threefry2x32}
