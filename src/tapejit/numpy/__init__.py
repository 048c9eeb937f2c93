"""tapejit.numpy: NumPy's names and semantics over tapejit's primitives (for JAX and NumPy
users). Dtypes follow NumPy's rules, with Python numbers weak and float32/int32 where NumPy
would default a Python number to float64/int64 (see tapejit/ops/numpy_policy.py).
Importing it gives tensors NumPy's methods (x.sum(), x.reshape(2, 3), ...; methods.py).

    import tapejit.numpy as tnp
"""

import numpy as _np

from tapejit.numpy import linalg
from tapejit.numpy import methods as _methods
from tapejit.numpy.arith import (
    clip,
    copysign,
    fabs,
    float_power,
    fmax,
    fmin,
    nan_to_num,
    positive,
    reciprocal,
    sign,
)
from tapejit.numpy.array_api import (
    block,
    cumulative_prod,
    cumulative_sum,
    isin,
    matrix_transpose,
    matvec,
    resize,
    trim_zeros,
    unstack,
    vecdot,
    vecmat,
)
from tapejit.numpy.calculus import gradient, unwrap
from tapejit.numpy.comparison import allclose, array_equal, array_equiv, isclose
from tapejit.numpy.contractions import dot, einsum, inner, matmul, outer, tensordot, vdot
from tapejit.numpy.conversions import (
    asanyarray,
    asarray_chkfinite,
    ascontiguousarray,
    asfortranarray,
    require,
)
from tapejit.numpy.creation import (
    arange,
    array,
    asarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    geomspace,
    identity,
    linspace,
    logspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from tapejit.numpy.dtype_utils import (
    byte,
    can_cast,
    common_type,
    double,
    floating,
    generic,
    half,
    inexact,
    int_,
    intc,
    integer,
    isdtype,
    isscalar,
    issubdtype,
    iterable,
    long,
    longlong,
    min_scalar_type,
    mintypecode,
    number,
    result_type,
    short,
    signedinteger,
    single,
    ubyte,
    uint,
    uintc,
    ulong,
    ulonglong,
    unsignedinteger,
    ushort,
)
from tapejit.numpy.histograms import histogram, histogram2d, histogram_bin_edges, histogramdd
from tapejit.numpy.in_place import copyto, fill_diagonal, place, put, putmask
from tapejit.numpy.index_tricks import (
    diag_indices,
    diag_indices_from,
    indices,
    ix_,
    ravel_multi_index,
    tril_indices,
    tril_indices_from,
    triu_indices,
    triu_indices_from,
    unravel_index,
)
from tapejit.numpy.indexing import (
    argmax,
    argmin,
    put_along_axis,
    take,
    take_along_axis,
)
from tapejit.numpy.joining import (
    append,
    array_split,
    column_stack,
    concat,
    concatenate,
    dsplit,
    dstack,
    hsplit,
    hstack,
    repeat,
    split,
    stack,
    tile,
    vsplit,
    vstack,
)
from tapejit.numpy.logic import (
    argwhere,
    equal,
    flatnonzero,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    nonzero,
    not_equal,
    signbit,
    where,
)
from tapejit.numpy.matrices import (
    cross,
    diag,
    diagflat,
    diagonal,
    kron,
    meshgrid,
    trace,
    tri,
    tril,
    triu,
)
from tapejit.numpy.nanfunctions import (
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
)
from tapejit.numpy.numerics import (
    apply_along_axis,
    apply_over_axes,
    fromfunction,
    lexsort,
    row_stack,
)
from tapejit.numpy.order_statistics import (
    median,
    nanmedian,
    nanpercentile,
    nanquantile,
    percentile,
    quantile,
)
from tapejit.numpy.padding import pad
from tapejit.numpy.polynomial import (
    polyadd,
    polyder,
    polyint,
    polymul,
    polysub,
    polyval,
    vander,
)
from tapejit.numpy.realparts import (
    angle,
    conj,
    conjugate,
    imag,
    iscomplex,
    iscomplexobj,
    isreal,
    isrealobj,
    real,
    real_if_close,
)
from tapejit.numpy.rearranging import flip, fliplr, flipud, roll, rot90
from tapejit.numpy.reductions import (
    all,
    amax,
    amin,
    any,
    average,
    count_nonzero,
    max,
    mean,
    min,
    prod,
    ptp,
    std,
    sum,
    var,
)
from tapejit.numpy.rounding import (
    around,
    ceil,
    divmod,
    fix,
    floor,
    floor_divide,
    fmod,
    mod,
    remainder,
    rint,
    round,
    trunc,
)
from tapejit.numpy.scans import cumprod, cumsum, diff, ediff1d
from tapejit.numpy.selecting import (
    argpartition,
    choose,
    compress,
    delete,
    extract,
    insert,
    partition,
    piecewise,
    select,
)
from tapejit.numpy.set_routines import intersect1d, setdiff1d, setxor1d, union1d
from tapejit.numpy.setops import (
    bincount,
    unique,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)
from tapejit.numpy.shaping import (
    astype,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_arrays,
    broadcast_shapes,
    broadcast_to,
    copy,
    expand_dims,
    moveaxis,
    ndim,
    permute_dims,
    ravel,
    reshape,
    rollaxis,
    shape,
    size,
    squeeze,
    swapaxes,
    transpose,
)
from tapejit.numpy.signal import (
    convolve,
    correlate,
    frexp,
    heaviside,
    interp,
    ldexp,
    modf,
    nextafter,
    spacing,
)
from tapejit.numpy.sorting import argsort, sort
from tapejit.numpy.statistics import (
    corrcoef,
    cov,
    digitize,
    searchsorted,
    trapezoid,
)
from tapejit.numpy.transcendental import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    cbrt,
    cosh,
    deg2rad,
    degrees,
    exp2,
    hypot,
    log2,
    log10,
    rad2deg,
    radians,
    sinc,
    sinh,
)
from tapejit.numpy.ufuncs import (
    abs,
    absolute,
    add,
    arctan2,
    cos,
    divide,
    exp,
    expm1,
    log,
    log1p,
    logaddexp,
    logaddexp2,
    maximum,
    minimum,
    multiply,
    negative,
    pow,
    power,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
)
from tapejit.numpy.windows import bartlett, blackman, hamming, hanning, i0, kaiser

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
bool_, float16, float32, float64 = _np.bool_, _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
atan2 = arctan2
euler_gamma = _np.euler_gamma
intp, uintp = _np.intp, _np.uintp
bool = _np.bool_  # noqa: A001 (NumPy 2's name)
dtype, finfo, iinfo, promote_types = _np.dtype, _np.finfo, _np.iinfo, _np.promote_types

__all__ = [name for name in dir() if not name.startswith("_")]
