"""JAX-style structured control flow: tj.lax.cond, switch, while_loop, fori_loop, scan, map.

With no trace active they run as Python control flow, so a recording tape sees every step
(as the seed's `if` and `for` under a tape). Under jit, grad or any other trace they stage
one higher-order equation whose params hold the traced functions as sub-programs, so a loop
is traced once whatever its trip count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tapejit import tree
from tapejit.control.bodies import Closed, offsets, over_inputs, trace_function
from tapejit.control.cond import cond_bind
from tapejit.control.scan import scan_bind
from tapejit.control.while_loop import while_bind
from tapejit.errors import op_error
from tapejit.ir import Program, TensorType
from tapejit.leaves import as_tensor
from tapejit.ops import cast, stack
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor


def staging() -> bool:
    """Whether control flow stages an equation (a trace is active) or runs as Python."""
    return bool(STATE.traces)


def flat_tensors(value, who: str) -> tuple[list, tree.TreeDef]:
    leaves, treedef = tree.flatten(value)
    return [as_tensor(x, who) for x in leaves], treedef


def type_of(x) -> TensorType:
    return TensorType(np.dtype(x.dtype), tuple(x.shape))


def _describe(types: Sequence[TensorType]) -> str:
    return "(" + ", ".join(str(t) for t in types) + ")"


def match_leaves(who: str, what: str, got, want_def: tree.TreeDef,
                 want_types: Sequence[TensorType]) -> list:
    """The leaves of `got`, which must have `want_def`'s structure and `want_types` (Python
    numbers take the expected dtype, as JAX's weak types do)."""
    leaves, got_def = tree.flatten(got)
    if got_def != want_def:
        raise op_error(TypeError, who, f"{what} must have the same structure as its input: "
                       f"got {got_def}, expected {want_def}",
                       "return a value with the structure it was given", user_site())
    out = []
    for k, (leaf, want) in enumerate(zip(leaves, want_types)):
        if isinstance(leaf, (bool, int, float)) and not isinstance(leaf, Tensor):
            leaf = Tensor(np.asarray(leaf, want.dtype))
        tensor = as_tensor(leaf, who)
        if type_of(tensor) != want:
            raise op_error(TypeError, who,
                           f"{what} and its input must have equal types: component {k} has "
                           f"type {type_of(tensor)} but the corresponding input component "
                           f"has type {want}",
                           "cast the returned value (tj.cast) or start the loop with a value "
                           "of the type the body returns", user_site())
        out.append(tensor)
    return out


# --- scan -----------------------------------------------------------------------------------

def _scan_length(who: str, xs_leaves, length) -> int:
    sizes = sorted({int(x.shape[0]) if x.ndim else -1 for x in xs_leaves})
    if -1 in sizes:
        raise op_error(ValueError, who, "scan got a value with no leading axis to scan over",
                       "give every x a leading axis (the one to loop over)", user_site())
    if len(sizes) > 1:
        raise op_error(ValueError, who, f"scan got values with different leading axis sizes: "
                       f"{', '.join(str(s) for s in sizes)}",
                       "give every x the same leading axis size", user_site())
    if length is not None and sizes and sizes[0] != int(length):
        raise op_error(ValueError, who, f"scan got `length` argument of {int(length)} which "
                       f"disagrees with leading axis sizes {sizes}",
                       "drop `length` or make it match the xs", user_site())
    if length is None and not sizes:
        raise op_error(ValueError, who, "scan got no values to scan over and `length` not "
                       "provided", "pass xs or length=", user_site())
    return int(length) if length is not None else sizes[0]


def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False,
         unroll: int | bool = 1):
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`, JAX's `lax.scan`:
    returns (final carry, the ys stacked along a new leading axis). `unroll` is accepted
    for compatibility; kernels always run the body as a loop."""
    return scan_as(staging(), f, init, xs, length, reverse)


def scan_as(stage: bool, f: Callable, init, xs, length, reverse):
    """scan, staged as one equation or (stage=False) run as a Python loop."""
    carry, carry_def = flat_tensors(init, "scan")
    x_leaves, x_def = flat_tensors(xs, "scan")
    n = _scan_length("scan", x_leaves, length)
    carry_types = [type_of(c) for c in carry]
    if not stage and n > 0:
        return _scan_eager(f, carry, carry_def, carry_types, x_leaves, x_def, n, reverse)
    slice_types = [TensorType(np.dtype(x.dtype), tuple(x.shape[1:])) for x in x_leaves]

    def body(*args):
        new, y = _scan_step(f, args, carry_def, carry_types, x_def)
        y_leaves, y_def = flat_tensors(y, "scan")
        return new + y_leaves, y_def

    closed, y_def = trace_function(body, carry_types + slice_types)
    outs = scan_bind(list(closed.captured), carry, x_leaves, body=closed.program, length=n,
                     reverse=reverse)
    k = len(carry)
    return tree.unflatten(carry_def, outs[:k]), tree.unflatten(y_def, outs[k:])


def _scan_step(f, args, carry_def, carry_types, x_def):
    k = len(carry_types)
    result = f(tree.unflatten(carry_def, args[:k]), tree.unflatten(x_def, args[k:]))
    if not isinstance(result, tuple) or len(result) != 2:
        raise op_error(TypeError, "scan", "the scanned function must return a pair "
                       "(carry, y)", "return (new_carry, y); y may be None", user_site())
    new = match_leaves("scan", "the scanned function's carry output", result[0], carry_def,
                       carry_types)
    return new, result[1]


def _scan_eager(f, carry, carry_def, carry_types, x_leaves, x_def, n, reverse):
    ys = []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        carry, y = _scan_step(f, carry + [x[i] for x in x_leaves], carry_def, carry_types,
                              x_def)
        ys.append(flat_tensors(y, "scan"))
    if reverse:
        ys.reverse()
    y_def = ys[0][1]
    stacked = [stack([leaves[j] for leaves, _ in ys]) for j in range(len(ys[0][0]))]
    return tree.unflatten(carry_def, carry), tree.unflatten(y_def, stacked)


def map(f: Callable, xs):  # noqa: A001  (JAX's name: tj.lax.map)
    """f applied to each slice of xs along its leading axis, the results stacked."""
    return scan(lambda carry, x: ((), f(x)), (), xs)[1]


# --- loops over an index ---------------------------------------------------------------------

def static_int(value) -> int | None:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor) and type(value) is Tensor and value.ndim == 0 \
            and value.dtype.kind in "iu":
        return int(value._value)
    return None


def fori_loop(lower, upper, body_fun: Callable, init_val):
    """`for i in range(lower, upper): val = body_fun(i, val)`, JAX's `lax.fori_loop`.

    With Python-int bounds it is a scan (so reverse-mode differentiable); with traced bounds
    a while_loop. `i` is an int32 tensor."""
    lo, hi = static_int(lower), static_int(upper)
    if lo is not None and hi is not None:
        def step(carry, _):
            i, val = carry
            return (i + np.int32(1), body_fun(i, val)), None
        start = Tensor(np.asarray(lo, np.int32))
        return scan(step, (start, init_val), None, length=max(hi - lo, 0))[0][1]

    def cond(carry):
        return carry[0] < carry[1]

    def body(carry):
        i, stop, val = carry
        return i + np.int32(1), stop, body_fun(i, val)

    bounds = [cast(as_tensor(b, "fori_loop"), np.int32) for b in (lower, upper)]
    return while_loop(cond, body, (bounds[0], bounds[1], init_val))[2]


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """`while cond_fun(val): val = body_fun(val)`, JAX's `lax.while_loop`.
    Differentiable in both modes; reverse mode keeps 128 carries and recomputes the others
    (quadratic beyond 128 iterations), so for long loops prefer fori_loop with Python-int
    bounds, scan, or tj.while_loop(..., maximum_iterations=n), which stack every step."""
    return while_as(staging(), cond_fun, body_fun, init_val)


def while_as(stage: bool, cond_fun: Callable, body_fun: Callable, init_val):
    """while_loop, staged as one equation or (stage=False) run as a Python loop."""
    carry, carry_def = flat_tensors(init_val, "while_loop")
    types = [type_of(c) for c in carry]
    if not stage:
        value = tree.unflatten(carry_def, carry)
        while _predicate(cond_fun(value)):
            value = tree.unflatten(carry_def, match_leaves(
                "while_loop", "body_fun's output", body_fun(value), carry_def, types))
        return value

    def predicate(*args):
        out = cond_fun(tree.unflatten(carry_def, list(args)))
        return [_bool_scalar(out)], None

    def body(*args):
        out = body_fun(tree.unflatten(carry_def, list(args)))
        return match_leaves("while_loop", "body_fun's output", out, carry_def, types), None

    pred, _ = trace_function(predicate, types)
    step, _ = trace_function(body, types)
    outs = while_bind(list(pred.captured), list(step.captured), carry,
                      predicate=pred.program, body=step.program)
    return tree.unflatten(carry_def, list(outs))


def _bool_scalar(value):
    tensor = as_tensor(value, "while_loop")
    if tensor.shape != () or tensor.dtype != np.bool_:
        raise op_error(TypeError, "while_loop", f"cond_fun must return a boolean scalar, but "
                       f"got output type(s) [{type_of(tensor)}]",
                       "return a comparison such as `i < n` (reduce arrays with tj.reduce_all)",
                       user_site())
    return tensor


def _predicate(value) -> bool:
    return bool(_bool_scalar(value)._value)


# --- branches --------------------------------------------------------------------------------

def switch(index, branches: Sequence[Callable], *operands):
    """branches[index](*operands), JAX's `lax.switch`: the index is clamped into range."""
    if not branches:
        raise op_error(ValueError, "switch", "Empty branch sequence",
                       "pass at least one branch function", user_site())
    return switch_as(staging(), index, branches, *operands)


def switch_as(stage: bool, index, branches: Sequence[Callable], *operands):
    """switch, staged as one equation or (stage=False) run as Python."""
    index = cast(as_tensor(index, "switch"), np.int32)
    if index.shape != ():
        raise op_error(TypeError, "switch", f"Branch index must be scalar, got {type_of(index)}",
                       "pass a scalar index", user_site())
    if not stage:
        k = min(max(int(index._value), 0), len(branches) - 1)
        return branches[k](*operands)
    leaves, in_def = flat_tensors(list(operands), "switch")
    return _staged_branches(index, list(branches), leaves, in_def)


def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), JAX's `lax.cond`."""
    pred = as_tensor(pred, "cond")
    if pred.shape != ():
        raise op_error(TypeError, "cond", f"Pred must be a scalar, got {pred.dtype.name}"
                       f"{list(pred.shape)}", "reduce the predicate to a scalar first",
                       user_site())
    return switch(cast(pred != 0, np.int32) if pred.dtype != np.bool_ else cast(pred, np.int32),
                  [false_fun, true_fun], *operands)


def _staged_branches(index, branches, leaves, in_def):
    types = [type_of(x) for x in leaves]
    traced: list[tuple[Closed, tree.TreeDef, list]] = []
    for fn in branches:
        def body(*args, fn=fn):
            out = fn(*tree.unflatten(in_def, list(args)))
            out_leaves, out_def = flat_tensors(out, "cond")
            return out_leaves, (out_def, [type_of(x) for x in out_leaves])
        closed, (out_def, out_types) = trace_function(body, types)
        traced.append((closed, out_def, out_types))
    _check_same_outputs(traced)
    programs, captured = _shared_signature([c for c, _, _ in traced], types)
    outs = cond_bind(index, captured + leaves, programs)
    return tree.unflatten(traced[0][1], list(outs))


def _check_same_outputs(traced) -> None:
    _, first_def, first_types = traced[0]
    for k, (_, out_def, out_types) in enumerate(traced[1:], start=1):
        if out_def != first_def or out_types != first_types:
            raise op_error(TypeError, "cond", f"branch 0 and {k} outputs must have the same "
                           f"type structure, got {first_def} {_describe(first_types)} and "
                           f"{out_def} {_describe(out_types)}",
                           "return the same structure, dtypes and shapes from every branch",
                           user_site())


def _shared_signature(closed: list[Closed], types) -> tuple[tuple[Program, ...], list]:
    """Branches over one input list: every branch's captured values, then the operands."""
    cap_types = [[v.type for v in c.program.inputs[:c.num_captured]] for c in closed]
    all_types = [t for ts in cap_types for t in ts] + list(types)
    n_cap = len(all_types) - len(types)
    programs = tuple(over_inputs(c.program, all_types, list(range(at, at + c.num_captured))
                                 + list(range(n_cap, len(all_types))))
                     for c, at in zip(closed, offsets([len(ts) for ts in cap_types])))
    return programs, [v for c in closed for v in c.captured]
