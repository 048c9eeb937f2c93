"""NumPy's functions that write into their first argument (np.fill_diagonal, put, putmask,
place, copyto). tapejit's tensors are immutable, so each raises TypeError naming the
functional form that returns the new array instead (see x.at[...] in tapejit/ops/at.py)."""

from __future__ import annotations

from tapejit.errors import op_error
from tapejit.site import user_site


def _refuse(op: str, fix: str):
    raise op_error(TypeError, op, f"tapejit tensors are immutable: np.{op} changes its "
                   "array in place", fix, user_site())


def fill_diagonal(a, val, wrap=False):
    """Refused (np.fill_diagonal writes into `a`): use the functional form in the error."""
    _refuse("fill_diagonal", "use y = a.at[tnp.diag_indices(min(a.shape), a.ndim)].set(val)"
            " (without wrap=True's repeats for tall matrices)")


def put(a, ind, v, mode="raise"):
    """Refused (np.put writes into `a`): use the functional form in the error."""
    _refuse("put", "use y = tnp.ravel(a).at[ind].set(v).reshape(a.shape) (mode='clip' "
            "becomes .set(v, mode='clip'))")


def putmask(a, /, mask, values):
    """Refused (np.putmask writes into `a`): use the functional form in the error."""
    _refuse("putmask", "use y = tnp.where(mask, values, a) (values of a's shape, or "
            "broadcasting to it)")


def place(arr, mask, vals):
    """Refused (np.place writes into `arr`): use the functional form in the error."""
    _refuse("place", "use y = arr.at[mask].set(vals) eagerly (one value per True element, "
            "in order), or y = tnp.where(mask, values, arr) with values of arr's shape")


def copyto(dst, src, casting="same_kind", where=True):
    """Refused (np.copyto writes into `dst`): use the functional form in the error."""
    _refuse("copyto", "use y = tnp.where(where, src, dst).astype(dst.dtype), or "
            "y = tnp.broadcast_to(tnp.asarray(src, dst.dtype), dst.shape) for where=True")
