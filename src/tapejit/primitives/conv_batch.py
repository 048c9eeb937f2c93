"""vmap of the convolution and window primitives, in their own layout (no new axes, so the
Numba code still applies): a batch of inputs joins the images axis N; a batch of kernels
becomes more feature groups (each example's channels and filters side by side); a window
over a batched operand whose first axis is not pooled merges the batch into that axis."""

from __future__ import annotations

from tapejit.primitives.batching import batch_size, with_batch
from tapejit.primitives.shape import reshape, transpose
from tapejit.trace import bind


def _merge_first(x):
    """(B, N, ...) -> (B·N, ...)."""
    shape = tuple(x.shape)
    return reshape(x, (shape[0] * shape[1],) + shape[2:])


def _split_first(x, n: int):
    """(B·N, ...) -> (B, N, ...)."""
    shape = tuple(x.shape)
    return reshape(x, (n, shape[0] // n) + shape[1:])


def conv_batch(prim, args, dims, **params):
    (lhs, rhs), (ld, rd) = args, dims
    n = batch_size(args, dims)
    if rd is None:
        out = bind(prim, _merge_first(with_batch(lhs, ld, n)), rhs, **params)
        return _split_first(out, n), 0
    lhs, rhs = with_batch(lhs, ld, n), with_batch(rhs, rd, n)
    rank = len(lhs.shape) - 1          # N, spatial..., C
    channels = tuple(lhs.shape)[-1]
    # (B, N, *s, C) -> (N, *s, B, C) -> (N, *s, B·C)
    lhs = transpose(lhs, tuple(range(1, rank)) + (0, rank))
    lhs = reshape(lhs, tuple(lhs.shape)[:-2] + (n * channels,))
    # (B, *k, Cg, F) -> (*k, Cg, B, F) -> (*k, Cg, B·F)
    k = len(rhs.shape) - 1
    filters = tuple(rhs.shape)[-1]
    rhs = transpose(rhs, tuple(range(1, k)) + (0, k))
    rhs = reshape(rhs, tuple(rhs.shape)[:-2] + (n * filters,))
    out = bind(prim, lhs, rhs, **dict(params, feature_group_count=n * params[
        "feature_group_count"]))
    out = reshape(out, tuple(out.shape)[:-1] + (n, filters))
    return out, len(out.shape) - 2


def window_batch(prim, args, dims, *, window_dimensions, window_strides, padding):
    n = batch_size(args, dims)
    xs = [with_batch(a, d, n) for a, d in zip(args, dims)]
    first_free = window_dimensions[0] == 1 and window_strides[0] == 1 and padding[0] == (0, 0)
    params = dict(window_dimensions=window_dimensions, window_strides=window_strides,
                  padding=padding)
    if first_free and len(xs[0].shape) > 1:
        out = bind(prim, *[_merge_first(x) for x in xs], **params)
        return _split_first(out, n), 0
    params = dict(window_dimensions=(1,) + tuple(window_dimensions),
                  window_strides=(1,) + tuple(window_strides),
                  padding=((0, 0),) + tuple(padding))
    return bind(prim, *xs, **params), 0
