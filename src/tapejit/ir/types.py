"""TensorType: the static type dtype[shape] every IR value carries."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from tapejit.dtypes import short_name


@dataclass(frozen=True, slots=True)
class TensorType:
    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return prod(self.shape)

    def __str__(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return f"TensorType({self})"


def type_of(value) -> TensorType:
    """The TensorType of a NumPy array or scalar."""
    return TensorType(value.dtype, tuple(value.shape))
