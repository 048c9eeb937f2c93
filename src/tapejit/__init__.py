"""tapejit: a GradientTape for debugging, the same code jit-compiled into fused native kernels.

    import tapejit as tj
"""

from tapejit import ops  # first: it gives tensors their operators
from tapejit import lax, layers, linalg, losses, math, metrics, nn, optimizers, random, testing
from tapejit import numpy  # gives tensors NumPy's methods (x.sum(), x.reshape(2, 3), ...)
from tapejit.api import (grad, hessian, jacfwd, jacobian, jacrev, jvp, make_ir, value_and_grad,
                         vjp)
from tapejit.autodiff.backward import UnconnectedGradients
from tapejit.backend.numba_cpu.kernel_cache import CacheWarning
from tapejit.config import config
from tapejit.creation import eye, fill, ones, ones_like, zeros, zeros_like
from tapejit.dtypes import (bool_, float16, float32, float64, int8, int16, int32, int64, uint8,
                            uint16, uint32, uint64)
from tapejit.custom import (checkpoint, custom_gradient, custom_jvp, custom_vjp, recompute_grad,
                            remat)
from tapejit.functional import cond, foldl, foldr, scan, while_loop
from tapejit.errors import (DTypeError, LeakedTracerError, ShapeError, TapeError, TapejitError,
                            TapeWarning, TracerArrayError, TracerBoolError)
from tapejit.jit import jit
from tapejit.module import Module
from tapejit.optimizers import clip_by_global_norm, clip_by_value
from tapejit.ops import (argmax, argmin, broadcast_to, cast, concat, convert_to_tensor, einsum,
                         expand_dims, gather, gather_nd, identity, matmul, one_hot, pad,
                         reduce_max, reduce_mean, reduce_min, reduce_sum, repeat, reshape,
                         reverse, scatter_nd, split, squeeze, stack, stop_gradient, tensordot,
                         tile, transpose, where)
from tapejit.tape import GradientTape
from tapejit.tensor import Tensor, Variable, constant
from tapejit.unsupported import IndexedSlices, SparseTensor, UnsupportedTypeError, strings
from tapejit.version import __version__
from tapejit.vmap import vectorized_map, vmap

bool = bool_  # noqa: A001  (TF's name: tj.bool)
