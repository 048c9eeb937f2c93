"""Primitives that call a sub-program with derivatives of the user's choosing, or none kept:
custom_jvp_call, custom_vjp_call (with custom_vjp_lin, its linear part), checkpoint (with
linear_call, a linear sub-program whose transpose recomputes what it needs).

Operands are the values the body captured, then the arguments. The rules are Python
callables (`Rule`) run when the equation is differentiated, as JAX runs its custom rules:
`rule.jvp(consts, args, tangents)` gives the output tangents; `rule.forward(consts, args)`
the outputs then residuals, `rule.backward(residuals, cts)` one cotangent per argument.
Differentiating a captured value through a custom rule is an error, as in JAX (the rule
covers only the arguments); TF's custom_gradient gives captured tensors no gradient, as TF
does. A checkpoint's captured values (weights closed over) are differentiated like its
arguments.
"""

from __future__ import annotations

from tapejit.autodiff.linearize import LinearizeTrace
from tapejit.control.batching import call_batch
from tapejit.control.batching_custom import custom_batch
from tapejit.control.bodies import jvp_body, transpose_body
from tapejit.control.rules import Rule
from tapejit.errors import TypeRuleError, op_error
from tapejit.ir import Primitive, Program, TensorType, interpret
from tapejit.passes.dce import dce
from tapejit.primitives.base import is_undefined
from tapejit.primitives.broadcast import full
from tapejit.site import user_site
from tapejit.trace import Tracer, bind, eval_program, top_trace


def _run(program: Program, args) -> tuple:
    outs = interpret(program, args)
    return tuple(outs)


def _outputs(program: Program) -> tuple[TensorType, ...]:
    return tuple(a.type for a in program.outputs)


def _check_inputs(who: str, program: Program, types) -> None:
    declared = tuple(v.type for v in program.inputs)
    if tuple(types) != declared:
        raise TypeRuleError(f"{who} takes ({', '.join(map(str, declared))}), the operands are "
                            f"({', '.join(map(str, types))})",
                            "operands are the captured values, then the arguments")


def _zeros_for(values, tangents) -> list:
    return [t if t is not None else full(v.shape, 0, v.dtype) for v, t in zip(values, tangents)]


# --- custom_jvp_call -----------------------------------------------------------------------

def _custom_jvp_type(*in_types, body: Program, rule: Rule, num_consts: int):
    _check_inputs("custom_jvp_call's body", body, in_types)
    return _outputs(body)


def _custom_jvp_impl(*args, body: Program, rule: Rule, num_consts: int):
    return _run(body, args)


def _refuse_closed_over(kind: str, rule: Rule, consts, tangents) -> None:
    """JAX's rule: a custom derivative says nothing about the values its function closes
    over, so differentiating one of them through it is an error, not a zero."""
    if rule.covers_closed_over:
        return
    for value, tangent in zip(consts, tangents):
        if tangent is not None and value.dtype.kind in "fc":
            raise op_error(TypeError, kind,
                           f"differentiating with respect to a value the function closes "
                           f"over ({value.dtype}{list(value.shape)}), but its rule "
                           f"'{str(rule).rsplit('.', 1)[-1]}' covers only its explicit "
                           f"arguments",
                           "pass that value to the function as an argument and extend the "
                           "rule to it, or wrap it in tj.stop_gradient where the function "
                           "reads it", user_site())


def _custom_jvp_jvp(primals, tangents, outs, *, body: Program, rule: Rule, num_consts: int):
    _refuse_closed_over("custom_jvp", rule, primals[:num_consts], tangents[:num_consts])
    args = primals[num_consts:]
    return tuple(rule.jvp(primals[:num_consts], args, _zeros_for(args, tangents[num_consts:])))


custom_jvp_call_p = Primitive(name="custom_jvp_call", type_rule=_custom_jvp_type,
                              impl=_custom_jvp_impl, jvp=_custom_jvp_jvp, kind="other",
                              batch=custom_batch, multiple_results=True)


# --- custom_vjp_call -----------------------------------------------------------------------

def _custom_vjp_type(*in_types, body: Program, rule: Rule, num_consts: int):
    _check_inputs("custom_vjp_call's body", body, in_types)
    return _outputs(body)


def _custom_vjp_impl(*args, body: Program, rule: Rule, num_consts: int):
    return _run(body, args)


def _linearizing(tangents) -> bool:
    return isinstance(top_trace([t for t in tangents if isinstance(t, Tracer)]), LinearizeTrace)


def _no_forward_mode() -> Exception:
    return op_error(TypeError, "custom_vjp",
                    "can't apply forward-mode autodiff (jvp) to a custom_vjp function.",
                    "differentiate it in reverse mode (tj.grad, a tape), or define its "
                    "derivative with tj.custom_jvp", user_site())


def _custom_vjp_jvp(primals, tangents, outs, *, body: Program, rule: Rule, num_consts: int):
    if not _linearizing(tangents):
        raise _no_forward_mode()
    _refuse_closed_over("custom_vjp", rule, primals[:num_consts], tangents[:num_consts])
    args = primals[num_consts:]
    residuals = list(rule.forward(primals[:num_consts], args)[len(body.outputs):])
    return bind(custom_vjp_lin_p, *residuals, *_zeros_for(args, tangents[num_consts:]),
                rule=rule, num_residuals=len(residuals), out_types=_outputs(body))


custom_vjp_call_p = Primitive(name="custom_vjp_call", type_rule=_custom_vjp_type,
                              impl=_custom_vjp_impl, jvp=_custom_vjp_jvp, kind="other",
                              batch=custom_batch, multiple_results=True)


def _lin_type(*in_types, rule: Rule, num_residuals: int, out_types):
    return tuple(out_types)


def _lin_impl(*args, rule: Rule, num_residuals: int, out_types):
    raise _no_forward_mode()


def _lin_jvp(primals, tangents, outs, *, rule: Rule, num_residuals: int, out_types):
    """Linear in its tangent operands: the map itself applied to their tangents (a second
    derivative through the residuals would need the rule's own derivative: refused)."""
    if any(t is not None for t in tangents[:num_residuals]):
        raise _no_forward_mode()
    moving = _zeros_for(primals[num_residuals:], tangents[num_residuals:])
    return bind(custom_vjp_lin_p, *primals[:num_residuals], *moving, rule=rule,
                num_residuals=num_residuals, out_types=out_types)


def _lin_transpose(cts, *args, rule: Rule, num_residuals: int, out_types):
    cts = [c if c is not None else full(t.shape, 0, t.dtype) for c, t in zip(cts, out_types)]
    grads = rule.backward(list(args[:num_residuals]), cts)
    return [None] * num_residuals + [g if is_undefined(a) else None
                                     for g, a in zip(grads, args[num_residuals:])]


custom_vjp_lin_p = Primitive(name="custom_vjp_lin", type_rule=_lin_type, impl=_lin_impl,
                             jvp=_lin_jvp, transpose=_lin_transpose, kind="other",
                             multiple_results=True)


# --- checkpoint ----------------------------------------------------------------------------

def _checkpoint_type(*in_types, body: Program):
    _check_inputs("checkpoint's body", body, in_types)
    return _outputs(body)


def _checkpoint_impl(*args, body: Program):
    return _run(body, args)


def _checkpoint_jvp(primals, tangents, outs, *, body: Program):
    """A linear_call of the body's JVP program: reverse mode keeps only the operands and
    recomputes the body inside the transpose."""
    return _jvp_as_linear_call(primals, tangents, body)


def _jvp_as_linear_call(primals, tangents, body: Program) -> tuple:
    """The tangents of `body` at `primals`, as one linear_call of its JVP program (linear
    in the tangents, the primals fixed)."""
    mask = [t is not None and v.type.dtype.kind == "f" for t, v in zip(tangents, body.inputs)]
    closed, out_mask = jvp_body(body, mask, [False] * len(body.outputs))
    n_out = len(body.outputs)
    program = closed.program
    tangent_program = dce(Program(program.inputs, program.eqns, program.outputs[n_out:]))
    given = [t for t, m in zip(tangents, mask) if m]
    found = iter(bind(linear_call_p, *closed.captured, *primals, *given,
                      body=tangent_program, num_fixed=len(closed.captured) + len(primals)))
    return tuple(next(found) if m else None for m in out_mask)


checkpoint_p = Primitive(name="checkpoint", type_rule=_checkpoint_type, impl=_checkpoint_impl,
                         jvp=_checkpoint_jvp, kind="other", batch=call_batch,
                         multiple_results=True)


def _linear_call_type(*in_types, body: Program, num_fixed: int):
    _check_inputs("linear_call's body", body, in_types)
    return _outputs(body)


def _linear_call_impl(*args, body: Program, num_fixed: int):
    return _run(body, args)


def _linear_call_jvp(primals, tangents, outs, *, body: Program, num_fixed: int):
    """Linear in the arguments after the first num_fixed, but any function of the fixed ones
    (a second derivative moves them too): the JVP of the whole body."""
    return _jvp_as_linear_call(primals, tangents, body)


def _linear_call_transpose(cts, *args, body: Program, num_fixed: int):
    linear = [i >= num_fixed and is_undefined(a) for i, a in enumerate(args)]
    transposed = transpose_body(body, linear)
    fixed = [a for a, lin in zip(args, linear) if not lin]
    cts = [c if c is not None else full(a.type.shape, 0, a.type.dtype)
           for c, a in zip(cts, body.outputs)]
    grads = iter(eval_program(transposed.program, list(transposed.captured) + fixed + cts))
    return [next(grads) if lin else None for lin in linear]


linear_call_p = Primitive(name="linear_call", type_rule=_linear_call_type,
                          impl=_linear_call_impl, jvp=_linear_call_jvp,
                          transpose=_linear_call_transpose, kind="other", batch=call_batch,
                          multiple_results=True)
