"""Functional transforms over the tape and the tracer: grad, value_and_grad, vjp, jvp,
jacobian, hessian, make_ir. They compose with each other and with jit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps

import numpy as np

from tapejit import tree
from tapejit.autodiff.backward import UnconnectedGradients
from tapejit.autodiff.forward import jvp_eval
from tapejit.dtypes import is_float
from tapejit.errors import op_error
from tapejit.jacobians import forward_jacobian
from tapejit.jit import require_callable
from tapejit.leaves import as_tensor
from tapejit.ops import zeros_like_type
from tapejit.site import user_site
from tapejit.staging import stage
from tapejit.tape import GradientTape
from tapejit.tensor import Tensor


def _diff_args(args, argnums, who: str):
    """Replace the differentiated arguments' leaves by tensors; return them as pytrees."""
    args = list(args)
    picked = []
    for i in argnums:
        if i >= len(args):
            raise op_error(TypeError, who, f"argnums {i} but only {len(args)} arguments",
                           "pass argnums within the function's arguments", user_site())
        leaves, treedef = tree.flatten(args[i])
        tensors = [as_tensor(x, who) for x in leaves]
        for t in tensors:
            if not is_float(t.dtype):
                raise op_error(TypeError, who, f"argument {i} has a {t.dtype.name} leaf; "
                               f"gradients need floating-point inputs",
                               "pass floats (e.g. 1.0, not 1) or cast", user_site())
        args[i] = tree.unflatten(treedef, tensors)
        picked.append(args[i])
    return args, picked


def _normalize_argnums(argnums) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    return tuple(argnums), False


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """A function returning (fn(*args), d fn / d args[argnums]) (fn must return a scalar).

    With has_aux, fn returns (value, aux) and the result is ((value, aux), grads).
    """
    require_callable(fn, "value_and_grad")
    nums, single = _normalize_argnums(argnums)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        with GradientTape(watch_accessed_variables=False) as tape:
            args, picked = _diff_args(args, nums, "grad")
            tape.watch(picked)
            out = fn(*args, **kwargs)
            value, aux = out if has_aux else (out, None)
            value = _scalar_output(value)
        grads = tape.gradient(value, picked, unconnected_gradients=UnconnectedGradients.ZERO)
        grads = grads[0] if single else tuple(grads)
        return ((value, aux) if has_aux else value), grads

    return wrapped


def _scalar_output(value):
    """The function's value as a 0-d tensor (a number it returns is a constant one)."""
    tensor = as_tensor(value, "grad") if isinstance(value, (int, float, np.generic)) else value
    if not isinstance(tensor, Tensor) or tensor.shape != ():
        shape = getattr(value, "shape", type(value).__name__)
        raise op_error(TypeError, "grad", f"the function must return a scalar, got "
                       f"{type(value).__name__} of shape {shape}",
                       "reduce it first (e.g. tj.reduce_sum) or use tj.vjp / tj.jacobian",
                       user_site())
    return tensor


def grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """The gradient of a scalar function with respect to args[argnums]."""
    require_callable(fn, "grad")
    vg = value_and_grad(fn, argnums, has_aux)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        out, grads = vg(*args, **kwargs)
        return (grads, out[1]) if has_aux else grads

    return wrapped


def vjp(fn: Callable, *primals, has_aux: bool = False):
    """(fn(*primals), vjp_fn) where vjp_fn(cotangent) gives one cotangent per primal."""
    require_callable(fn, "vjp")
    with GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        args, picked = _diff_args(primals, range(len(primals)), "vjp")
        tape.watch(picked)
        out = fn(*args)
        out, aux = out if has_aux else (out, None)
        out = tree.unflatten(*reversed(_tensor_leaves(out, "vjp")))

    def vjp_fn(cotangent):
        grads = tape.gradient(out, picked, output_gradients=cotangent,
                              unconnected_gradients=UnconnectedGradients.ZERO)
        return tuple(grads)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _tensor_leaves(value, who: str) -> tuple[list, tree.TreeDef]:
    leaves, treedef = tree.flatten(value)
    return [as_tensor(x, who) for x in leaves], treedef


def jvp(fn: Callable, primals: Sequence, tangents: Sequence):
    """(fn(*primals), the directional derivative along `tangents`), by forward mode."""
    require_callable(fn, "jvp")
    staged = stage(fn, primals)
    flat_p = [leaf for p in primals for leaf in tree.leaves(p)]
    flat_t = [leaf for t in tangents for leaf in tree.leaves(t)]
    if len(flat_p) != len(flat_t):
        raise op_error(ValueError, "jvp", f"{len(flat_t)} tangent leaves for {len(flat_p)} "
                       f"primal leaves", "give tangents in the primals' structure", user_site())
    n_var = len(staged.variables)
    args = ([as_tensor(x, "jvp") for x in flat_p]
            + [v.read() for v in staged.variables] + list(staged.consts))
    tans = [as_tensor(t, "jvp") for t in flat_t] + [None] * (n_var + len(staged.consts))
    outs, out_tans = jvp_eval(staged.program, args, tans)
    n = staged.num_outputs
    _write_back(staged, outs[n:])
    out_tans = [zeros_like_type(o) if t is None else t for o, t in zip(outs[:n], out_tans[:n])]
    return tree.unflatten(staged.out_tree, outs[:n]), tree.unflatten(staged.out_tree, out_tans)


def _write_back(staged, values) -> None:
    for var, value in zip(staged.assigned, values):
        var.assign(value)


def jacobian(fn: Callable, argnums: int | Sequence[int] = 0, mode: str = "rev"):
    """d fn(*args)[i] / d args[argnums][j], shaped out.shape + arg.shape.

    mode="rev" runs one backward pass per output element, "fwd" one forward pass per input
    element (cheaper when inputs are fewer than outputs).
    """
    require_callable(fn, "jacobian")
    nums, single = _normalize_argnums(argnums)
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian mode must be 'rev' or 'fwd', not {mode!r}")

    @wraps(fn)
    def wrapped(*args):
        if mode == "fwd":
            jac = forward_jacobian(fn, args, nums)
        else:
            with GradientTape(persistent=True, watch_accessed_variables=False) as tape:
                args, picked = _diff_args(args, nums, "jacobian")
                tape.watch(picked)
                out = fn(*args)
            jac = tape.jacobian(out, picked, unconnected_gradients=UnconnectedGradients.ZERO)
        return jac[0] if single else tuple(jac)

    return wrapped


def jacrev(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """JAX's `jacrev`: the jacobian by reverse mode (a backward pass batched over the
    outputs); with has_aux, fn returns (out, aux) and the result is (jacobian, aux)."""
    return _with_aux(fn, argnums, has_aux, "rev", "jacrev")


def jacfwd(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """JAX's `jacfwd`: the jacobian by forward mode (a JVP batched over the inputs)."""
    return _with_aux(fn, argnums, has_aux, "fwd", "jacfwd")


def _with_aux(fn, argnums, has_aux: bool, mode: str, who: str):
    require_callable(fn, who)
    if not has_aux:
        return jacobian(fn, argnums, mode)

    @wraps(fn)
    def wrapped(*args):
        jac = jacobian(lambda *a: fn(*a)[0], argnums, mode)(*args)
        return jac, fn(*args)[1]

    return wrapped


def hessian(fn: Callable, argnums: int | Sequence[int] = 0):
    """Second derivatives: the jacobian of the gradient."""
    require_callable(fn, "hessian")
    return jacobian(grad(fn, argnums), argnums)


def make_ir(fn: Callable, static_argnums: Sequence[int] = ()):
    """A function returning the Program `fn` traces to for given arguments (printable)."""
    require_callable(fn, "make_ir")
    @wraps(fn)
    def wrapped(*args):
        return stage(fn, args, tuple(static_argnums)).program

    return wrapped
