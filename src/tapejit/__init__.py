"""tapejit: a GradientTape for debugging, the same code jit-compiled into fused native kernels.

    import tapejit as tj
"""

from tapejit.tensor import Tensor, Variable, constant  # noqa: I001  (tensor first: it loads ops)
from tapejit import ops
from tapejit import layers, math, nn, optimizers, random
from tapejit.config import config
from tapejit.dtypes import (bool_, float16, float32, float64, int8, int16, int32, int64, uint8,
                            uint16, uint32, uint64)
from tapejit.errors import (DTypeError, LeakedTracerError, ShapeError, TapeError, TapejitError,
                            TracerArrayError, TracerBoolError)
from tapejit.module import Module
from tapejit.ops import (broadcast_to, cast, concat, expand_dims, matmul, pad, reduce_max,
                         reduce_mean, reduce_min, reduce_sum, reshape, reverse, squeeze, stack,
                         stop_gradient, tensordot, transpose, where)
from tapejit.tape import GradientTape, UnconnectedGradients
from tapejit.creation import fill, ones, ones_like, zeros, zeros_like

bool = bool_  # noqa: A001  (TF's name: tj.bool)
__version__ = "0.1.0"
from tapejit import testing
from tapejit.api import grad, hessian, jacobian, jvp, make_ir, value_and_grad, vjp
from tapejit.jit import jit
from tapejit.backend.kernel_cache import CacheWarning
