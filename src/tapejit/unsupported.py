"""TensorFlow types tapejit does not have (strings, IndexedSlices, SparseTensor): using one is
a clear error naming it and what to use instead, not an AttributeError."""

from __future__ import annotations

from tapejit.errors import TapejitError, op_error
from tapejit.site import user_site


class UnsupportedTypeError(TapejitError, NotImplementedError):
    """A TensorFlow type tapejit does not implement."""


def _refuse(name: str, fix: str) -> UnsupportedTypeError:
    return op_error(UnsupportedTypeError, name, f"tapejit has no {name}: it computes on dense "
                    "tensors of bool, integers and floats", fix, user_site())


class SparseTensor:
    """TF's tf.SparseTensor: not supported."""

    def __init__(self, *args, **kwargs) -> None:
        raise _refuse("SparseTensor", "use a dense tensor (tj.scatter_nd builds one from "
                      "indices and values)")


class IndexedSlices:
    """TF's tf.IndexedSlices: not supported (gradients of gathers are dense)."""

    def __init__(self, *args, **kwargs) -> None:
        raise _refuse("IndexedSlices", "use the dense gradient tapejit returns")


class _Strings:
    """TF's tf.strings: not supported."""

    def __getattr__(self, name: str):
        raise _refuse(f"strings.{name}", "encode text as integer ids (e.g. with a vocabulary "
                      "dict) before it reaches tapejit")


strings = _Strings()
