"""Index arrays with NumPy's signatures: tril_indices, triu_indices and their _from forms,
diag_indices, diag_indices_from, indices, ix_, unravel_index, ravel_multi_index.

All of them return tensors (int64, NumPy's intp, unless said otherwise). Those computed
from shapes alone hold known values even inside tj.jit, so `x[tnp.tril_indices(n)]` on a
traced x is a gather with constant indices, checked for range while tracing. ix_,
unravel_index and ravel_multi_index compute from their inputs with recorded ops: known
inputs give known indices, traced ones give traced indices, which gathers clamp into range.
"""

from __future__ import annotations

import operator
from math import prod

import numpy as np

from tapejit import dtypes
from tapejit.errors import TracerArrayError, op_error
from tapejit.numpy.arguments import operand
from tapejit.numpy.arith import clip
from tapejit.numpy.rounding import floor_divide, mod
from tapejit.numpy.ufuncs import add, multiply
from tapejit.ops.index_values import index_value, is_traced
from tapejit.ops.operands import cast
from tapejit.ops.shape import reshape
from tapejit.site import user_site
from tapejit.tensor import Tensor

_INTP = dtypes.int64


def _known(*arrays) -> tuple:
    return tuple(Tensor(np.asarray(a, _INTP)) for a in arrays)


def tril_indices(n, k=0, m=None):
    """The (rows, columns) of the lower triangle of an n x m array, from the k-th diagonal
    down (np.tril_indices), in row-major order: int64 tensors whose values are known even
    inside tj.jit (they depend on n, k, m only), so indexing with them is a constant gather
    checked while tracing."""
    return _known(*np.nonzero(np.tri(n, m, k, dtype=bool)))


def triu_indices(n, k=0, m=None):
    """The (rows, columns) of the upper triangle, from the k-th diagonal up (np.triu_indices)."""
    return _known(*np.nonzero(~np.tri(n, m, k - 1, dtype=bool)))


def _matrix_shape(arr, op: str) -> tuple[int, int]:
    shape = tuple(operand(arr, op).shape)
    if len(shape) != 2:
        raise op_error(ValueError, op, f"input array must be 2-d, got shape {shape}",
                       "pass a matrix", user_site())
    return shape


def tril_indices_from(arr, k=0):
    """tril_indices for arr's shape (np.tril_indices_from): arr may be traced, the indices
    are still known (they depend on its shape only)."""
    rows, cols = _matrix_shape(arr, "tril_indices_from")
    return tril_indices(rows, k, cols)


def triu_indices_from(arr, k=0):
    """triu_indices for arr's shape (np.triu_indices_from; arr may be traced)."""
    rows, cols = _matrix_shape(arr, "triu_indices_from")
    return triu_indices(rows, k, cols)


def diag_indices(n, ndim=2):
    """`ndim` copies of arange(n), the indices of the main diagonal (np.diag_indices);
    known tensors, as tril_indices."""
    return _known(*[np.arange(n)] * ndim)


def diag_indices_from(arr):
    """diag_indices for arr, whose axes must all have one length (np.diag_indices_from)."""
    shape = tuple(operand(arr, "diag_indices_from").shape)
    if len(shape) < 2:
        raise op_error(ValueError, "diag_indices_from", "input array must be at least 2-d, "
                       f"got shape {shape}", "pass a matrix", user_site())
    if len(set(shape)) != 1:
        raise op_error(ValueError, "diag_indices_from", "All dimensions of input must be of "
                       f"equal length, got {shape}", "pass a square array", user_site())
    return diag_indices(shape[0], len(shape))


def indices(dimensions, dtype=int, sparse=False):
    """The index of every position of an array of shape `dimensions` (np.indices): one grid
    per axis, stacked along a new first axis, or (sparse=True) a tuple of open grids, which
    index an array directly. Known tensors of `dtype` (NumPy's default int64)."""
    dims = shape_tuple(dimensions, "indices", scalar_ok=False)
    dtype = dtypes.canonical(dtype, "indices")
    grids = [np.arange(n, dtype=dtype).reshape([-1 if j == i else 1 for j in range(len(dims))])
             for i, n in enumerate(dims)]
    if sparse:
        return tuple(Tensor(g) for g in grids)
    out = np.empty((len(dims),) + dims, dtype)
    for i, grid in enumerate(grids):
        out[i] = grid
    return Tensor(out)


def _cross_index(arg, position: int, count: int):
    value = index_value(arg, "ix_")
    if not is_traced(value) and value.ndim == 1 and value.dtype.kind == "b":
        value = np.flatnonzero(value)
    if value.ndim != 1:
        raise op_error(ValueError, "ix_", f"Cross index must be 1 dimensional, argument "
                       f"{position} has shape {tuple(value.shape)}",
                       "pass one 1-d sequence of indices (or booleans) per axis", user_site())
    if is_traced(value) and value.dtype.kind == "b":
        raise op_error(TracerArrayError, "ix_", "a traced boolean argument selects a "
                       "data-dependent number of positions", "pass integer indices, or "
                       "a mask known when tracing (a NumPy array)", user_site())
    x = value if is_traced(value) else operand(value, "ix_")
    shape = [1] * count
    shape[position] = x.shape[0]
    return reshape(x, tuple(shape))


def ix_(*args):
    """Open-mesh index arrays (np.ix_): argument i reshaped to have its length on axis i,
    so x[tnp.ix_(rows, cols)] takes the cross product; boolean arguments become the
    positions of their True values (int64). Each keeps its dtype (Python lists: NumPy's
    int64, as for every index); traced integer arguments stay traced."""
    return tuple(_cross_index(a, i, len(args)) for i, a in enumerate(args))


def shape_tuple(shape, op: str, scalar_ok: bool = True) -> tuple[int, ...]:
    """`shape` (an int when `scalar_ok`, or a sequence of ints) as a tuple of ints."""
    try:
        if np.ndim(shape) == 0 and scalar_ok:
            return (operator.index(shape),)
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise op_error(TypeError, op, f"a shape holds integers, got {shape!r}",
                       "pass a tuple of ints", user_site()) from None


def _dims(shape, op: str) -> tuple[int, ...]:
    dims = shape_tuple(shape, op)
    if any(d < 0 for d in dims):
        raise op_error(ValueError, op, f"dimensions must be non-negative, got {dims}",
                       "pass a valid shape", user_site())
    return dims


def _integer_coordinates(value, op: str):
    """`value` as indices: integers or booleans (NumPy casts those safely), known or traced."""
    data = index_value(value, op)
    if data.dtype.kind not in "iub":
        raise op_error(TypeError, op, f"only int indices permitted, got "
                       f"{np.dtype(data.dtype).name}", "pass integer indices", user_site())
    return data


def _as_intp(data):
    return cast(data, _INTP) if is_traced(data) else Tensor(np.asarray(data, _INTP))


def _order(order, op: str) -> str:
    if order not in ("C", "F"):
        raise op_error(ValueError, op, f"order must be 'C' or 'F' (got {order!r})",
                       "pass order='C' (row-major) or 'F' (column-major)", user_site())
    return order


def _strides(dims: tuple[int, ...], order: str) -> list[int]:
    """How far one step along each axis moves in the flat index."""
    if order == "C":
        return [prod(dims[i + 1:]) for i in range(len(dims))]
    return [prod(dims[:i]) for i in range(len(dims))]


def unravel_index(indices, shape, order="C"):
    """The coordinates of flat indices into an array of `shape` (np.unravel_index): a tuple
    of int64 tensors of indices' shape. Known indices outside [0, size) raise NumPy's
    ValueError; traced ones are clamped into that range first, as gathers clamp."""
    dims = _dims(shape, "unravel_index")
    order = _order(order, "unravel_index")
    data = _integer_coordinates(indices, "unravel_index")
    size = prod(dims)
    if is_traced(data):
        if size == 0:
            raise op_error(ValueError, "unravel_index", f"no index fits the empty shape {dims}",
                           "unravel into a non-empty shape", user_site())
        flat = clip(_as_intp(data), 0, size - 1)
    else:
        bad = (data < 0) | (data >= size)
        if np.any(bad):
            raise op_error(ValueError, "unravel_index", f"index {np.asarray(data)[bad].flat[0]} "
                           f"is out of bounds for array with size {size}",
                           f"use flat indices in [0, {size})", user_site())
        flat = _as_intp(data)
    return tuple(mod(floor_divide(flat, step), n) if n > 1 else multiply(flat, 0)
                 for step, n in zip(_strides(dims, order), dims))


_MODES = ("raise", "wrap", "clip")


def _modes(mode, count: int) -> list[str]:
    modes = [mode] * count if isinstance(mode, str) else list(mode)
    if len(modes) != count:
        raise op_error(ValueError, "ravel_multi_index", f"list of clipmodes has wrong length "
                       f"({len(modes)} instead of {count})", "give one mode per dimension",
                       user_site())
    for m in modes:
        if m not in _MODES:
            raise op_error(ValueError, "ravel_multi_index", f"clipmode must be one of 'clip', "
                           f"'raise', or 'wrap' (got {m!r})", "pick one of those", user_site())
    return modes


def _coordinate(value, n: int, mode: str):
    """One coordinate in [0, n): checked (known, mode 'raise'), wrapped or clipped."""
    data = _integer_coordinates(value, "ravel_multi_index")
    if mode != "raise" and n == 0:
        raise op_error(ValueError, "ravel_multi_index", "cannot unravel if shape has zero "
                       "entries (is empty).", "use a non-empty shape", user_site())
    if mode == "raise" and not is_traced(data):
        if np.any((data < 0) | (data >= n)):
            raise op_error(ValueError, "ravel_multi_index", f"invalid entry in coordinates "
                           f"array: a coordinate outside [0, {n})",
                           "fix the coordinates, or pass mode='clip' or 'wrap'", user_site())
        return _as_intp(data)
    if mode == "wrap":
        return mod(_as_intp(data), n)
    return clip(_as_intp(data), 0, max(n - 1, 0))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat indices of coordinate arrays (np.ravel_multi_index), the coordinates broadcast
    together; int64. mode 'raise' rejects known coordinates outside their dimension with
    NumPy's ValueError; it cannot check traced ones, which are clamped into range as
    tapejit's gathers clamp (so 'raise' acts as 'clip' under jit). 'wrap' and 'clip' (or one
    mode per dimension) work on known and traced coordinates alike."""
    dims = _dims(dims, "ravel_multi_index")
    order = _order(order, "ravel_multi_index")
    coordinates = _sequence(multi_index)
    if len(coordinates) != len(dims):
        raise op_error(ValueError, "ravel_multi_index", f"parameter multi_index must be a "
                       f"sequence of length {len(dims)}", "give one coordinate array per "
                       "dimension", user_site())
    modes = _modes(mode, len(dims))
    flat = operand(np.zeros((), _INTP), "ravel_multi_index")
    for value, n, m, step in zip(coordinates, dims, modes, _strides(dims, order)):
        flat = add(flat, multiply(_coordinate(value, n, m), step))
    return flat


def _sequence(multi_index) -> list:
    if isinstance(multi_index, (list, tuple)):
        return list(multi_index)
    if isinstance(multi_index, (np.ndarray, Tensor)) and np.ndim(multi_index) > 0:
        return [multi_index[i] for i in range(multi_index.shape[0])]
    raise op_error(TypeError, "ravel_multi_index", f"multi_index must be a sequence of "
                   f"coordinate arrays, got {type(multi_index).__name__}",
                   "pass a tuple with one integer array per dimension", user_site())
