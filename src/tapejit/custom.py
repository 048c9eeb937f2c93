"""Derivatives of the user's choosing, and derivatives that recompute instead of storing:
JAX's tj.custom_jvp, tj.custom_vjp and tj.checkpoint; TensorFlow's tj.custom_gradient and
tj.recompute_grad.

With nothing recording (no tape, no trace) they just call the function. Under a tape or a
trace they bind one higher-order equation (control/custom.py) holding the traced function and
its rules, so tapes, jit and both autodiff modes use the rule.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

from tapejit import tree
from tapejit.control.bodies import BodyTrace, closed_trace, trace_function
from tapejit.control.custom import checkpoint_p, custom_jvp_call_p, custom_vjp_call_p
from tapejit.control.rules import Rule
from tapejit.errors import op_error
from tapejit.ir import Program
from tapejit.lax import flat_tensors, match_leaves, type_of
from tapejit.leaves import as_tensor
from tapejit.passes.dce import dce
from tapejit.primitives.broadcast import full
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.trace import bind, eval_program


def _recording() -> bool:
    return bool(STATE.traces or STATE.tapes)


def _positional(fun: Callable, args, kwargs) -> tuple:
    if not kwargs:
        return tuple(args)
    bound = inspect.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.args)


class _Split:
    """A call's arguments: the static ones (nondiff_argnums) kept, the others as leaves."""

    def __init__(self, args: tuple, static: Sequence[int], who: str) -> None:
        self.args, self.static = args, tuple(static)
        dynamic = [a for i, a in enumerate(args) if i not in self.static]
        self.leaves, self.treedef = flat_tensors(dynamic, who)
        self.arg_defs = [tree.flatten(a)[1] for a in dynamic]
        self.types = [type_of(x) for x in self.leaves]

    def rebuild(self, leaves) -> list:
        dynamic = iter(tree.unflatten(self.treedef, list(leaves)))
        return [a if i in self.static else next(dynamic) for i, a in enumerate(self.args)]

    def static_values(self) -> list:
        return [self.args[i] for i in self.static]

    def dynamic_trees(self, leaves) -> list:
        return list(tree.unflatten(self.treedef, list(leaves)))


def _trace_outputs(fun: Callable, split: _Split, who: str):
    def body(*leaves):
        out_leaves, out_def = flat_tensors(fun(*split.rebuild(leaves)), who)
        return out_leaves, (out_def, [type_of(x) for x in out_leaves])
    return trace_function(body, split.types)


def _name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


class _JVPRule(Rule):
    """A custom_jvp rule, called on the arguments' pytrees when the equation is
    differentiated."""

    def __init__(self, fn: Callable, split: _Split, out_def, out_types) -> None:
        super().__init__(_name(fn))
        self.fn, self.split, self.out_def, self.out_types = fn, split, out_def, out_types

    def jvp(self, consts, args, tangents) -> list:
        split = self.split
        out, tangent = self.fn(*split.static_values(), tuple(split.dynamic_trees(args)),
                               tuple(split.dynamic_trees(tangents)))
        match_leaves("custom_jvp", "the JVP rule's primal output", out, self.out_def,
                     self.out_types)
        return match_leaves("custom_jvp", "the JVP rule's tangent output", tangent,
                            self.out_def, self.out_types)


class custom_jvp:  # noqa: N801  (JAX's name)
    """A function with a JVP rule of its own, JAX's `jax.custom_jvp`: set it with
    `f.defjvp(rule)`, rule(primals, tangents) -> (primal_out, tangent_out). Reverse mode
    transposes the rule's tangent computation."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun, updated=())
        self.fun, self.nondiff_argnums, self.jvp = fun, tuple(nondiff_argnums), None

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """One rule per argument, jvp_i(tangent_i, primal_out, *primals); their sum."""
        def rule(primals, tangents):
            out = self.fun(*primals)
            terms = [fn(t, out, *primals) for fn, t in zip(jvps, tangents) if fn is not None]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            return out, total
        self.jvp = rule

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function "
                                 f"{getattr(self.fun, '__name__', 'f')} using defjvp.")
        args = _positional(self.fun, args, kwargs)
        if not _recording():
            return self.fun(*args)
        split = _Split(args, self.nondiff_argnums, "custom_jvp")
        body, (out_def, out_types) = _trace_outputs(self.fun, split, "custom_jvp")
        rule = _JVPRule(self.jvp, split, out_def, out_types)
        outs = bind(custom_jvp_call_p, *body.captured, *split.leaves, body=body.program,
                    rule=rule, num_consts=body.num_captured)
        return tree.unflatten(out_def, list(outs))


class _VJPRule(Rule):
    """A custom_vjp's fwd and bwd, called on pytrees when the equation is differentiated."""

    def __init__(self, fwd: Callable, bwd: Callable, split: _Split, out_def, out_types) -> None:
        super().__init__(_name(bwd))
        self.fwd, self.bwd, self.split = fwd, bwd, split
        self.out_def, self.out_types, self.res_def = out_def, out_types, None

    def forward(self, consts, args) -> list:
        result = self.fwd(*self.split.rebuild(args))
        if not isinstance(result, tuple) or len(result) != 2:
            raise op_error(TypeError, "custom_vjp", "the fwd rule must return a pair "
                           "(output, residuals)", "return (out, res) from fwd", user_site())
        outs = match_leaves("custom_vjp", "the fwd rule's output", result[0], self.out_def,
                            self.out_types)
        res_leaves, self.res_def = flat_tensors(result[1], "custom_vjp")
        return outs + res_leaves

    def backward(self, residuals, cts) -> list:
        split = self.split
        n_dynamic = len(split.args) - len(split.static)
        grads = self.bwd(*split.static_values(), tree.unflatten(self.res_def, residuals),
                         tree.unflatten(self.out_def, cts))
        if not isinstance(grads, (tuple, list)) or len(grads) != n_dynamic:
            raise op_error(TypeError, "custom_vjp", f"the bwd rule must return a tuple with "
                           f"one entry per differentiated argument ({n_dynamic})",
                           "return (ct_x, ct_y, ...); None stands for zero", user_site())
        return _grad_leaves(split, list(grads))


class custom_vjp:  # noqa: N801  (JAX's name)
    """A function with a VJP rule of its own, JAX's `jax.custom_vjp`: set it with
    `f.defvjp(fwd, bwd)`; fwd(*args) -> (out, residuals), bwd(residuals, g) -> a tuple with
    one cotangent (or None) per argument. Reverse mode only, as in JAX."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun, updated=())
        self.fun, self.nondiff_argnums = fun, tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function "
                                 f"{getattr(self.fun, '__name__', 'f')} using defvjp.")
        args = _positional(self.fun, args, kwargs)
        if not _recording():
            return self.fun(*args)
        split = _Split(args, self.nondiff_argnums, "custom_vjp")
        body, (out_def, out_types) = _trace_outputs(self.fun, split, "custom_vjp")
        rule = _VJPRule(self.fwd, self.bwd, split, out_def, out_types)
        outs = bind(custom_vjp_call_p, *body.captured, *split.leaves, body=body.program,
                    rule=rule, num_consts=body.num_captured)
        return tree.unflatten(out_def, list(outs))


def _grad_leaves(split: _Split, grads: list) -> list:
    """Cotangent leaves per argument leaf (zeros where the rule gave None)."""
    out = []
    for grad, arg_def in zip(grads, split.arg_defs):
        out.extend([None] * arg_def.num_leaves if grad is None
                   else tree.flatten_up_to(arg_def, grad))
    return [full(t.shape, 0, t.dtype) if g is None else as_tensor(g, "custom_vjp")
            for g, t in zip(out, split.types)]


def checkpoint(fun: Callable, prevent_cse: bool = True, policy=None,
               static_argnums: Sequence[int] = ()) -> Callable:
    """fun, whose reverse mode stores only its arguments and recomputes the rest (JAX's
    `jax.checkpoint`, TF's `tf.recompute_grad`): memory for time."""
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        args = _positional(fun, args, kwargs)
        if not _recording():
            return fun(*args)
        split = _Split(args, static_argnums, "checkpoint")
        body, (out_def, _) = _trace_outputs(fun, split, "checkpoint")
        outs = bind(checkpoint_p, *body.captured, *split.leaves, body=body.program)
        return tree.unflatten(out_def, list(outs))
    return wrapped


remat = checkpoint


def recompute_grad(f: Callable) -> Callable:
    """TF's name for checkpoint."""
    return checkpoint(f)


class _ForwardTrace(BodyTrace):
    """A custom_gradient function's trace: it notes the Variables the function reads."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: list = []

    def read_variable(self, var):
        if not any(v is var for v in self.variables):
            self.variables.append(var)
        return None


def custom_gradient(f: Callable | None = None):
    """TensorFlow's `tf.custom_gradient`: f(*x) returns (y, grad_fn) and grad_fn(*upstream)
    the gradients of the inputs (with `variables=`: (input grads, variable grads))."""
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapped(*args):
        if not _recording():
            return f(*args)[0]
        return _custom_gradient_call(f, args)
    return wrapped


class _ProgramVJP(Rule):
    """custom_gradient's rule: its forward and backward traced as programs (the gradient
    function closes over forward values, which become the residuals). Tensors the function
    closes over get no gradient through it, as in TensorFlow."""

    covers_closed_over = True

    def __init__(self, name: str, forward: Program, backward: Program) -> None:
        super().__init__(name)
        self.forward_program, self.backward_program = forward, backward

    def forward(self, consts, args) -> list:
        return eval_program(self.forward_program, list(consts) + list(args))

    def backward(self, residuals, cts) -> list:
        return eval_program(self.backward_program, list(residuals) + list(cts))


def _custom_gradient_call(f: Callable, args: tuple):
    split = _Split(args, (), "custom_gradient")
    with _ForwardTrace() as fwd_trace:
        inputs = [fwd_trace.new_input(t) for t in split.types]
        y, grad_fn = f(*split.rebuild(inputs))
        y_leaves, y_def = flat_tensors(y, "custom_gradient")
        captured_ids = {id(value) for _, value in fwd_trace.consts.values()}
        variables = [v for v in fwd_trace.variables if id(v.read()) in captured_ids]
        var_tensors = [v.read() for v in variables]
        with BodyTrace() as bwd_trace:
            cts = [bwd_trace.new_input(type_of(x)) for x in y_leaves]
            grads = _call_grad_fn(grad_fn, cts, y_def, variables)
            arg_grads = _grad_leaves(split, grads[:len(split.args)])
            var_grads = [full(t.shape, 0, t.dtype) if g is None else g
                         for g, t in zip(grads[len(split.args):], var_tensors)]
            backward = closed_trace(bwd_trace, arg_grads + var_grads)
        forward = closed_trace(fwd_trace, y_leaves + list(backward.captured))
    program = _variables_as_arguments(forward, var_tensors)
    body = dce(Program(program.inputs, program.eqns, program.outputs[:len(y_leaves)]))
    captured = [c for c in forward.captured if not any(c is t for t in var_tensors)]
    rule = _ProgramVJP(_name(f), program, backward.program)
    outs = bind(custom_vjp_call_p, *captured, *split.leaves, *var_tensors, body=body,
                rule=rule, num_consts=len(captured))
    return tree.unflatten(y_def, list(outs))


def _call_grad_fn(grad_fn: Callable, cts: list, y_def, variables: list) -> list:
    upstream = tree.unflatten(y_def, cts)
    upstream = list(upstream) if isinstance(upstream, (list, tuple)) else [upstream]
    takes_variables = "variables" in inspect.signature(grad_fn).parameters
    if variables and not takes_variables:
        raise op_error(TypeError, "custom_gradient", "If using @custom_gradient with a "
                       "function that uses variables, then grad_fn must accept a keyword "
                       "argument 'variables'.",
                       "def grad_fn(*upstream, variables=None): return input_grads, var_grads",
                       user_site())
    if takes_variables:
        input_grads, var_grads = grad_fn(*upstream, variables=variables)
    else:
        input_grads, var_grads = grad_fn(*upstream), []
    if not isinstance(input_grads, (list, tuple)):
        input_grads = [input_grads]
    return list(input_grads) + list(var_grads or [None] * len(variables))


def _variables_as_arguments(forward, var_tensors) -> Program:
    """The forward program with the Variables' values moved from its captured inputs to its
    arguments (after the declared ones), so that they get gradients."""
    program, n_cap = forward.program, forward.num_captured
    is_var = [any(c is t for t in var_tensors) for c in forward.captured]
    position = {id(c): i for i, c in enumerate(forward.captured)}
    kept = [v for v, flag in zip(program.inputs[:n_cap], is_var) if not flag]
    moved = [program.inputs[position[id(t)]] for t in var_tensors]
    return Program(tuple(kept) + program.inputs[n_cap:] + tuple(moved), program.eqns,
                   program.outputs)
