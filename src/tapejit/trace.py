"""The one recording mechanism: `bind` runs a primitive eagerly or emits it into a trace,
and tells every recording tape about it."""

from __future__ import annotations

import numpy as np

from tapejit.config import config
from tapejit.errors import (
    LeakedTracerError,
    TapejitError,
    TracerArrayError,
    TracerBoolError,
    TypeRuleError,
    op_error,
)
from tapejit.ir import Eqn, Lit, Program, TensorType, Var, type_of
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable


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

    def __array__(self, dtype=None, copy=None):
        raise op_error(TracerArrayError, "NumPy conversion of a traced value",
                       f"NumPy needs data but this {self._var.type} value is traced",
                       "use tapejit.numpy (tnp) functions instead of numpy inside jit",
                       user_site())

    def numpy(self):
        return self.__array__()

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
                raise LeakedTracerError(
                    "a traced value escaped the function being traced (stored in a global, "
                    "a closure or an attribute?) and was used after its trace ended; return it "
                    "from the function instead")
            return self._const(value)
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

    def emit(self, prim, args, params) -> Tracer:
        atoms = tuple(self.to_atom(a) for a in args)
        site = user_site()
        try:
            out_type = prim.type_rule(*(a.type for a in atoms), **params)
        except TypeRuleError as e:
            raise e.for_op(prim.name, site) from None
        eqn = Eqn(prim, atoms, (Var(out_type),), params, site)
        self.eqns.append(eqn)
        self._on_eqn(eqn)
        return Tracer(self, eqn.out)

    def _on_eqn(self, eqn: Eqn) -> None:
        """Hook for subclasses that tag what they record."""

    def to_program(self, outputs) -> tuple[Program, list]:
        """The program (explicit inputs, then consts) and the const values to pass."""
        outs = tuple(self.to_atom(o) for o in outputs)
        const_vars = [var for var, _ in self.consts.values()]
        const_values = [value for _, value in self.consts.values()]
        program = Program(tuple(self.inputs) + tuple(const_vars), tuple(self.eqns), outs)
        return program, const_values


def _top_trace(args) -> Trace | None:
    top = None
    for a in args:
        if isinstance(a, Tracer) and (top is None or a._trace.level > top.level):
            top = a._trace
    return top


def _eager(prim, args, params):
    values = [a._value if isinstance(a, Tensor) else a for a in args]
    try:
        return prim.impl(*values, **params)
    except TapejitError:
        raise
    except Exception as e:
        raise _explain_failure(prim, values, params, e) from None


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
    """Apply `prim` to operands (Tensors, Tracers or NumPy values): run it, or trace it."""
    trace = None
    for a in args:
        if type(a) is Tracer:
            trace = _top_trace(args)
            break
    if trace is None:
        try:
            out = Tensor(prim.impl(*[a._value if type(a) is Tensor else a for a in args],
                                   **params))
        except TapejitError:
            raise
        except Exception as e:
            values = [a._value if isinstance(a, Tensor) else a for a in args]
            raise _explain_failure(prim, values, params, e) from None
    else:
        out = trace.emit(prim, args, params)
    if trace is None and (config.checks or config.debug_nans):
        _check_eager(prim, args, params, out)
    for tape in STATE.tapes:
        tape._record(prim, args, params, out)
    return out


def _check_eager(prim, args, params, out) -> None:
    """TAPEJIT_CHECKS: the NumPy result has exactly the type the primitive's rule gives;
    TAPEJIT_DEBUG_NANS: it is finite if its inputs are."""
    from tapejit.errors import VerifyError

    if config.debug_nans:
        from tapejit.checking import check_eager_finite

        check_eager_finite(prim, args, out)
    if not config.checks:
        return

    types = [TensorType(a.dtype, tuple(a.shape)) for a in args]
    try:
        expected = prim.type_rule(*types, **params)
    except TypeRuleError as e:
        raise e.for_op(prim.name, user_site()) from None
    actual = TensorType(out.dtype, tuple(out.shape))
    if actual != expected:
        raise VerifyError(f"{prim.name}: its NumPy impl gave {actual}, its type rule {expected} "
                          f"for inputs {', '.join(map(str, types))}")


def _jit_trace():
    for trace in reversed(STATE.traces):
        if hasattr(trace, "read_variable"):
            return trace
    return None


def read_variable(var: Variable):
    """The value of `var` as ops see it now; recording tapes may start watching it."""
    trace = _jit_trace() if STATE.traces else None
    tensor = var._tensor if trace is None else trace.read_variable(var)
    for tape in STATE.tapes:
        tape._on_read(var, tensor)
    return tensor


def assign_variable(var: Variable, value, how: str) -> None:
    """Replace `var`'s state: eagerly now, or (under jit) when the compiled call returns."""
    from tapejit import ops

    new = ops.as_operand(value, "Variable." + how)
    if new.shape != var.shape:
        raise op_error(TapejitError, f"Variable.{how}",
                       f"'{var.name}' has shape {var.shape}, the new value {new.shape}",
                       "assign a value of the variable's shape", user_site())
    new = ops.cast(new, var.dtype)
    for tape in STATE.tapes:
        tape._note_assign(var, new)
    trace = _jit_trace() if STATE.traces else None
    if trace is not None:
        trace.assign_variable(var, new)
    else:
        fresh = np.array(new._value if isinstance(new, Tensor) else new)
        var._tensor = Tensor(fresh[()] if fresh.ndim == 0 else fresh)
