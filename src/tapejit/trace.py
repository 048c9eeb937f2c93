"""The one recording mechanism: `bind` runs a primitive eagerly or emits it into a trace,
and tells every recording tape about it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tapejit.config import config
from tapejit.errors import (
    LeakedTracerError,
    TapejitError,
    TracerArrayError,
    TracerBoolError,
    TypeRuleError,
    VerifyError,
    op_error,
)
from tapejit.ir import Eqn, Lit, Program, TensorType, Var, type_of, walk
from tapejit.site import numpy_hint, user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor


class Tracer(Tensor):
    """A value inside a trace: it has a type but no data until the program runs."""

    __slots__ = ("_trace", "_var")

    def __init__(self, trace: Trace, var: Var) -> None:
        self._value = None
        self._trace = trace
        self._var = var

    @property
    def shape(self) -> tuple[int, ...]:
        return self._var.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self._var.type.dtype

    @property
    def type(self) -> TensorType:
        return self._var.type

    def _concrete_error(self, what: str, kind=TracerBoolError):
        if not self._trace.active:
            return leaked_tracer_error(what)
        return op_error(
            kind, what,
            f"this {self._var.type} value is traced: it has no data until the compiled "
            f"function runs",
            "use tj.where(cond, a, b) for a value-dependent choice, or pass the argument in "
            "static_argnums so Python sees its value",
            user_site(),
        )

    def __bool__(self) -> bool:
        raise self._concrete_error("bool() of a traced value (an `if`/`while` on it?)")

    def __float__(self) -> float:
        raise self._concrete_error("float() of a traced value")

    def __int__(self) -> int:
        raise self._concrete_error("int() of a traced value")

    def __index__(self) -> int:
        raise self._concrete_error("using a traced value as an index")

    def concrete(self, what: str = "NumPy conversion of a traced value"):
        if not self._trace.active:
            raise leaked_tracer_error(what)
        site = user_site()
        raise op_error(TracerArrayError, what,
                       f"NumPy needs data but this {self._var.type} value is traced",
                       numpy_hint(site) + " inside jit", site)

    def __array__(self, dtype=None, copy=None):
        return self.concrete()

    def numpy(self):
        return self.concrete()

    def __repr__(self) -> str:
        return f"<tj.Tracer: shape={self.shape}, dtype={self.dtype.name}>"

    __str__ = __repr__


class Trace:
    """Builds a Program from the ops applied to its tracers."""

    def __init__(self) -> None:
        self.inputs: list[Var] = []
        self.eqns: list[Eqn] = []
        self.consts: dict[int, tuple[Var, object]] = {}
        self.level = -1

    def __enter__(self) -> Trace:
        self.level = len(STATE.traces)
        STATE.traces.append(self)
        return self

    def __exit__(self, *exc) -> None:
        popped = STATE.traces.pop()
        assert popped is self, "trace stack out of order"
        self.level = -1

    @property
    def active(self) -> bool:
        return self.level >= 0

    def new_input(self, type_: TensorType) -> Tracer:
        var = Var(type_)
        self.inputs.append(var)
        return Tracer(self, var)

    def tracer(self, var: Var) -> Tracer:
        return Tracer(self, var)

    def to_atom(self, value):
        """A var or literal of this trace for any operand; outside values become consts."""
        if isinstance(value, Tracer):
            if value._trace is self:
                return value._var
            if not value._trace.active:
                raise leaked_tracer_error("using a traced value")
            return self._const(value)
        if isinstance(value, Tensor) and any(tape.watches(value) for tape in STATE.tapes):
            return self._const(value)  # a literal would cut it from the tape that watches it
        array = value._value if isinstance(value, Tensor) else value
        if isinstance(array, np.generic) or (isinstance(array, np.ndarray) and array.ndim == 0):
            return Lit(array[()] if isinstance(array, np.ndarray) else array)
        return self._const(value)

    def _const(self, value) -> Var:
        key = id(value)
        if key not in self.consts:
            array = value._value if isinstance(value, Tensor) and not isinstance(
                value, Tracer) else value
            var = Var(value.type if isinstance(value, Tracer) else type_of(array))
            self.consts[key] = (var, value)
        return self.consts[key][0]

    def emit(self, prim, args, params):
        """Append `prim[params](args)`; a Tracer, or a tuple of them when the primitive's rule
        gives several outputs (the higher-order primitives)."""
        atoms = tuple(self.to_atom(a) for a in args)
        site = user_site()
        try:
            out_type = prim.type_rule(*(a.type for a in atoms), **params)
        except TypeRuleError as e:
            raise e.for_op(prim.name, site) from None
        several = prim.multiple_results
        outs = tuple(Var(t) for t in out_type) if several else (Var(out_type),)
        eqn = Eqn(prim, atoms, outs, params, site)
        self.eqns.append(eqn)
        self._on_eqn(eqn)
        if several:
            return tuple(Tracer(self, v) for v in outs)
        return Tracer(self, eqn.out)

    def _on_eqn(self, eqn: Eqn) -> None:
        """Hook for subclasses that tag what they record."""

    def read_variable(self, var) -> Tensor | None:
        """The value `var` has inside this trace, or None if this trace does not stage
        Variables (a jit trace does)."""
        return None

    def assign_variable(self, var, value) -> bool:
        """Take over an assign to `var` (True), or leave it to an outer trace or to eager
        execution (False)."""
        return False

    def note_backward(self, program: Program, seconds: float) -> None:
        """A tape derived `program` as the backward pass of values of this trace."""

    def to_program(self, outputs) -> tuple[Program, list]:
        """The program (explicit inputs, then consts) and the const values to pass."""
        outs = tuple(self.to_atom(o) for o in outputs)
        const_vars = [var for var, _ in self.consts.values()]
        const_values = [value for _, value in self.consts.values()]
        program = Program(tuple(self.inputs) + tuple(const_vars), tuple(self.eqns), outs)
        return program, const_values


def top_trace(values) -> Trace | None:
    """The innermost trace any of `values` belongs to, or None if all are concrete."""
    top = None
    for a in values:
        if isinstance(a, Tracer) and (top is None or a._trace.level > top.level):
            top = a._trace
    return top


def leaked_tracer_error(what: str) -> LeakedTracerError:
    return op_error(LeakedTracerError, what,
                    "a traced value escaped the function being traced (stored in a global, a "
                    "closure or an attribute?) and was used after its trace ended",
                    "return the value from the jitted function instead of storing it",
                    user_site())


def _explain_failure(prim, values, params, error: Exception) -> TapejitError:
    site = user_site()
    try:
        prim.type_rule(*(type_of(np.asarray(v)) for v in values), **params)
    except TypeRuleError as e:
        return e.for_op(prim.name, site)
    types = ", ".join(str(type_of(np.asarray(v))) for v in values)
    return op_error(TapejitError, prim.name, f"failed on ({types}): {error}",
                    "this looks like a tapejit bug; please report it", site)


def bind(prim, *args, **params):
    """Apply `prim` to operands (Tensors, Tracers or NumPy values): run it, or trace it.
    Eagerly, one and two operands are spelled out: this is the eager tape's per-op cost."""
    if len(args) == 1:
        a = args[0]
        kind = type(a)
        if kind is Tracer:
            return _traced(prim, args, params)
        values = (a._value if kind is Tensor else a,)
    elif len(args) == 2:
        a, b = args
        kind_a, kind_b = type(a), type(b)
        if kind_a is Tracer or kind_b is Tracer:
            return _traced(prim, args, params)
        values = (a._value if kind_a is Tensor else a, b._value if kind_b is Tensor else b)
    elif Tracer in map(type, args):
        return _traced(prim, args, params)
    else:
        values = [a._value if type(a) is Tensor else a for a in args]
    tapes = STATE.tapes
    if tapes and values and (type(values[0]) is np.ndarray or type(values[-1]) is np.ndarray):
        for tape in tapes:
            tape.before_op()
    try:
        result = prim.impl(*values, **params)
    except TapejitError:
        raise
    except Exception as e:
        raise _explain_failure(prim, values, params, e) from None
    out = Tensor(result) if type(result) is not tuple else _wrap(result)
    if config.checks or config.debug_nans:
        for check in EAGER_CHECKS:
            check(prim, args, params, out)
    if tapes:
        for tape in tapes:
            tape.on_op(prim, args, params, out)
    return out


def bind_into(spare: Tensor | None, prim, *args):
    """bind(prim, *args), its result written into the array of `spare`, an operand that is a
    temporary nobody else can see (ops.temporaries says which), when the primitive can
    (Primitive.impl_into) and the result has that array's dtype, shape and layout: the
    same bits, one array fewer alive. `spare` then holds a placeholder. TAPEJIT_DEBUG_NANS
    reads every operand's values after the op: with it on, no array is reused."""
    if (spare is None or prim.impl_into is None or config.debug_nans
            or not any(a is spare for a in args)):
        return bind(prim, *args)
    target = spare._value
    values = tuple(a._value if type(a) is Tensor else a for a in args)
    if not all(_fits(v, target) for v in values):
        return bind(prim, *args)
    tapes = STATE.tapes
    for tape in tapes:
        tape.before_op()
    try:
        result = prim.impl_into(target, *values)
    except Exception as e:
        raise _explain_failure(prim, values, {}, e) from None
    finally:  # whatever the array holds now, it is no longer the operand's value
        spare._value = placeholder(target)
        for tape in tapes:
            tape.gave_up(spare)
    out = Tensor(result)
    if config.checks:
        for check in EAGER_CHECKS:
            check(prim, args, {}, out)
    for tape in tapes:
        tape.on_op(prim, args, {}, out)
    return out


def _fits(value, target: np.ndarray) -> bool:
    """Whether an operand leaves the result of an elementwise op in `target`'s dtype, shape
    and (C-contiguous) layout, as a fresh result would be: an array like it, or a scalar of
    its dtype."""
    if type(value) is np.ndarray and value.ndim:
        return (value.shape == target.shape and value.dtype == target.dtype
                and value.flags.c_contiguous)
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype == target.dtype


def placeholder(value: np.ndarray) -> np.ndarray:
    """An array of `value`'s dtype and shape that takes no memory (NaN where it can hold
    one, so a wrong read shows): what a Tensor whose array was given up holds."""
    fill = np.full((), np.nan if value.dtype.kind == "f" else 0, value.dtype)
    return np.broadcast_to(fill, value.shape)


def _traced(prim, args, params):
    out = _emit(top_trace(args), prim, args, params)
    for tape in STATE.tapes:
        tape.on_op(prim, args, params, out)
    return out


def _wrap(result: tuple) -> tuple:
    """The results of a primitive with several outputs, as Tensors."""
    return tuple(Tensor(r) for r in result)


def _emit(trace: Trace, prim, args, params):
    if not trace.active:
        raise leaked_tracer_error(prim.name)
    return trace.emit(prim, args, params)


def eval_program(program: Program, args: Sequence) -> list:
    """Run `program` by binding each equation (`bind_eqn`): eagerly on NumPy values and
    Tensors, or into the enclosing trace, with recording tapes seeing every step."""
    trace = STATE.traces[-1] if STATE.traces else None
    return walk(program, args, lambda eqn, ins: _bind_in(trace, eqn, ins))


def bind_eqn(eqn, ins):
    """`eqn` applied to `ins`: eagerly with no trace active; otherwise emitted into the
    innermost trace, also when every operand is a constant (so a traced program keeps a
    zeros broadcast as an equation instead of capturing the array it makes)."""
    return _bind_in(STATE.traces[-1] if STATE.traces else None, eqn, ins)


def _bind_in(trace: Trace | None, eqn, ins):
    if trace is None or any(type(a) is Tracer for a in ins):
        return bind(eqn.prim, *ins, **eqn.params)
    out = trace.emit(eqn.prim, ins, eqn.params)
    for tape in STATE.tapes:
        tape.on_op(eqn.prim, ins, eqn.params, out)
    return out


EagerCheck = Callable[[object, Sequence, dict, Tensor], None]
EAGER_CHECKS: list[EagerCheck] = []
"""Checks run on every eager result while TAPEJIT_CHECKS or TAPEJIT_DEBUG_NANS is on; each
tests its own setting. Modules that own a check append it here when imported."""


def _check_type(prim, args, params, out) -> None:
    """TAPEJIT_CHECKS: the NumPy result has exactly the type the primitive's rule gives."""
    if not config.checks:
        return
    types = [TensorType(a.dtype, tuple(a.shape)) for a in args]
    try:
        expected = prim.type_rule(*types, **params)
    except TypeRuleError as e:
        raise e.for_op(prim.name, user_site()) from None
    if isinstance(out, tuple):
        actual = tuple(TensorType(o.dtype, tuple(o.shape)) for o in out)
    else:
        actual = TensorType(out.dtype, tuple(out.shape))
    if actual != expected:
        raise VerifyError(f"{prim.name}: its NumPy impl gave {actual}, its type rule {expected} "
                          f"for inputs {', '.join(map(str, types))}")


EAGER_CHECKS.append(_check_type)
