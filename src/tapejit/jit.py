"""tj.jit: trace once per signature, optimize, fuse, compile to one Numba kernel, and run.

Signatures are the argument tree structure, each leaf's dtype and shape (Variables by
identity) and the static arguments. A new signature retraces (cheap Python); the kernel
source only depends on ranks, dtypes and broadcast patterns, so a new batch size reuses the
compiled kernel from the kernel cache.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tapejit import tree
from tapejit.backend.compile import Executable, build, first_call
from tapejit.config import config
from tapejit.dtypes import canonical, python_scalar_dtype
from tapejit.errors import op_error
from tapejit.ir import Program, verify
from tapejit.passes.fuse import fuse
from tapejit.passes.pipeline import optimize
from tapejit.site import user_site
from tapejit.staging import Staged, stage
from tapejit.state import STATE
from tapejit.tensor import Tensor, Variable


@dataclass(frozen=True)
class CacheInfo:
    """Trace-cache statistics of a jitted function; `last_miss` says why it last retraced."""

    hits: int
    misses: int
    size: int
    last_miss: str


@dataclass(frozen=True)
class Lowered:
    """Every stage of one signature, as text: print it, or read a field."""

    traced: Program
    backward: tuple[Program, ...]
    optimized: Program
    fused: Program
    source: str

    def __str__(self) -> str:
        parts = [("traced program", str(self.traced))]
        parts += [(f"backward program {i}", str(p)) for i, p in enumerate(self.backward)]
        parts += [("optimized", str(self.optimized)), ("fused", str(self.fused)),
                  ("kernel source", self.source)]
        return "\n\n".join(f"== {title} ==\n{text}" for title, text in parts)


def _leaf_signature(leaf):
    if isinstance(leaf, Variable):
        return ("var", id(leaf), leaf.dtype, tuple(leaf.shape))
    if isinstance(leaf, Tensor):
        return (leaf.dtype, tuple(leaf.shape))
    if isinstance(leaf, (np.ndarray, np.generic)):
        return (canonical(leaf.dtype, "jit argument"), leaf.shape)
    if type(leaf) in (float, int, bool):
        return (python_scalar_dtype(leaf), ())
    raise op_error(TypeError, "jit", f"an argument leaf of type {type(leaf).__name__} is not a "
                   "tensor", "pass arrays, Tensors, Variables or numbers, or mark the argument "
                   "static with static_argnums", user_site())


_FAST_SCALARS = {float: python_scalar_dtype(1.0), bool: python_scalar_dtype(True)}


def _fast_key(args) -> tuple | None:
    """A signature for calls whose arguments are all arrays, Tensors or numbers; None if any
    argument needs the general path (pytrees, Variables, big ints)."""
    key = []
    for a in args:
        kind = type(a)
        if kind is np.ndarray or kind is Tensor:
            value = a._value if kind is Tensor else a
            key.append((value.dtype, value.shape))
        elif kind in _FAST_SCALARS:
            key.append(kind)
        elif isinstance(a, np.generic):
            key.append((a.dtype, ()))
        else:
            return None
    return tuple(key)


def _all_finite(value) -> bool:
    array = np.asarray(value)
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


def _same(x):
    return x


def _scalar_arg(a):
    """Rank-0 arguments go in as Python scalars, whatever form they came in (Python float,
    NumPy scalar, 0-d array, Tensor), so the kernel has one Numba signature; it casts them
    to their exact dtype (exactly: float64 and int64 hold every narrower value)."""
    if type(a) is Tensor:
        a = a._value
    if type(a) is np.ndarray:
        a = a[()]
    return a.item() if isinstance(a, np.generic) else a


def _array_arg(a):
    return a._value if type(a) is Tensor else a


def _to_kernel_arg(leaf, dtype: np.dtype):
    value = leaf._value if isinstance(leaf, Tensor) else leaf
    if isinstance(value, np.ndarray) and value.ndim:
        return value
    return _scalar_arg(dtype.type(value))


class _Compiled:
    """One signature's staged program and executable."""

    def __init__(self, staged: Staged, executable: Executable, lowered: Lowered,
                 check: bool = False) -> None:
        self.check = check
        self.staged = staged
        self.executable = executable
        self.lowered = lowered
        self.in_dtypes = [v.type.dtype for v in staged.program.inputs]
        self.const_args = [_to_kernel_arg(c, d) for c, d in zip(
            staged.consts, self.in_dtypes[len(self.in_dtypes) - len(staged.consts):])]
        self.called = False
        self.fast_runner = None
        self.pending = None      # (fused, timings) while a background compile is due
        self.compiler = None     # the background thread

    def _start_background_compile(self, arrays: list) -> None:
        """Build and compile the kernel in a thread; calls meanwhile run the interpreter."""
        fused, timings = self.pending
        self.pending = None
        arrays = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]

        def work():
            executable = build(self.lowered.optimized, fused, timings)
            start = time.perf_counter()
            first_call(executable, arrays)
            self.executable = executable
            self.lowered = dataclasses.replace(self.lowered, source=executable.source.text
                                               if executable.source else self.lowered.source)
            self._note_first_call(time.perf_counter() - start)

        self.compiler = threading.Thread(target=work, name="tapejit-compile", daemon=True)
        self.compiler.start()

    def wait(self) -> None:
        """Block until a background compile (if any) has finished."""
        if self.compiler is not None:
            self.compiler.join()

    def _make_fast_runner(self):
        """A lean path for calls whose arguments are all plain leaves (no pytrees, no
        Variables): convert, call the kernel, wrap. Built after the first successful call."""
        staged, executable = self.staged, self.executable
        if (self.check or staged.variables or staged.assigned or executable.source is None
                or staged.out_tree.kind is not None or len(self.in_dtypes) != len(
                    staged.program.inputs)):
            return None
        kernel, sizes, consts = executable.kernel, executable.source.sizes, executable.source.consts
        n_args = len(self.in_dtypes) - len(self.const_args)
        convert = [_scalar_arg if v.type.ndim == 0 else _array_arg
                   for v in staged.program.inputs[:n_args]]
        extra = tuple(self.const_args)
        out_type = staged.program.outputs[0].type
        wrap = out_type.dtype.type if out_type.ndim == 0 else _same

        if n_args == 1:
            (only,) = convert

            def run(args):
                return Tensor(wrap(kernel(sizes, consts, only(args[0]), *extra)[0]))
        else:
            def run(args):
                arrays = [c(a) for c, a in zip(convert, args)]
                return Tensor(wrap(kernel(sizes, consts, *arrays, *extra)[0]))

        return run

    def _note_first_call(self, seconds: float) -> None:
        """Record the first call (Numba compile, or load from Numba's disk cache)."""
        if not self.called:
            self.called = True
            self.timings["first_call_s"] = seconds
            stats = getattr(self.executable.kernel, "stats", None)
            self.timings["kernel_from_disk"] = bool(stats and stats.cache_hits)
            if config.debug >= 1 and self.executable.source is not None:
                how = "loaded from disk" if self.timings["kernel_from_disk"] else "compiled"
                print(f"tapejit: kernel {how} in {seconds * 1e3:.1f} ms")

    def kernel_args(self, leaves: list) -> list:
        args = [x for x in leaves if not isinstance(x, Variable)]
        args += [v._tensor for v in self.staged.variables]
        return [_to_kernel_arg(x, d) for x, d in zip(args, self.in_dtypes)] + self.const_args

    def __call__(self, leaves: list):
        arrays = self.kernel_args(leaves)
        if self.pending is not None or (self.compiler is not None and not self.called):
            from tapejit.backend.compile import _interpret

            outs = _interpret(self.lowered.optimized, arrays)
            if self.pending is not None:  # after this result: no contention for the GIL
                self._start_background_compile(arrays)
            return self._finish(outs)
        if self.called and not config.disable_jit:
            outs = self.executable(arrays)
        else:
            start = time.perf_counter()
            outs = first_call(self.executable, arrays)
            self._note_first_call(time.perf_counter() - start)
        if self.check or config.check_jit:
            from tapejit.checking import check_outputs

            check_outputs(self.lowered.optimized, arrays, outs)
        if config.debug_nans and not all(_all_finite(o) for o in outs):
            from tapejit.checking import hunt_nonfinite

            hunt_nonfinite(self.lowered.optimized, arrays)
        elif self.fast_runner is None:
            self.fast_runner = self._make_fast_runner()
        return self._finish(outs)

    def _finish(self, outs):
        types = [a.type for a in self.staged.program.outputs]
        values = [o if isinstance(o, np.ndarray) else t.dtype.type(o) for o, t in zip(outs, types)]
        n = self.staged.num_outputs
        for var, value in zip(self.staged.assigned, values[n:]):
            var._tensor = Tensor(value)
        return tree.unflatten(self.staged.out_tree, [Tensor(v) for v in values[:n]])


class JitFunction:
    """A function compiled per input signature; call it like the original."""

    def __init__(self, fn: Callable, static_argnums: Sequence[int] = (), check: bool = False,
                 static_argnames: Sequence[str] = ()):
        self.fn = fn
        self.static_argnums = tuple(sorted({int(i) for i in (
            (static_argnums,) if isinstance(static_argnums, int) else static_argnums)}))
        self.static_argnames = frozenset(
            (static_argnames,) if isinstance(static_argnames, str) else static_argnames)
        self._keyword_variants: dict = {}
        self.check = check
        self._cache: dict = {}
        self._hits = self._misses = 0
        self._last_miss = ""
        self._lock = threading.Lock()
        self._fast: dict = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        mode = config.disable_jit
        if mode is True or STATE.traces or STATE.tapes:
            return self.fn(*args, **kwargs)
        if kwargs:
            names = tuple(sorted(kwargs))
            return self._keyword_variant(len(args), names)(*args, *(kwargs[k] for k in names))
        key = _fast_key(args) if not (mode or config.debug_nans) else None
        if key is not None:
            run = self._fast.get(key)
            if run is not None:
                self._hits += 1
                return run(args)
        return self._call(args, key)

    def _keyword_variant(self, n_positional: int, names: tuple) -> JitFunction:
        """Keyword arguments, in name order, become trailing positional ones of a variant."""
        key = (n_positional, names)
        if key not in self._keyword_variants:
            fn = self.fn

            def positional(*values):
                return fn(*values[:n_positional], **dict(zip(names, values[n_positional:])))

            static = self.static_argnums + tuple(
                n_positional + i for i, name in enumerate(names) if name in self.static_argnames)
            positional.__qualname__ = getattr(fn, "__qualname__", "function")
            self._keyword_variants[key] = JitFunction(positional, static, self.check)
        return self._keyword_variants[key]

    def _call(self, args, fast_key):
        key, leaves = self._signature(args)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(key, args)
        else:
            self._hits += 1
        result = entry(leaves)
        if (fast_key is not None and not self.static_argnums and entry.fast_runner is not None
                and not config.disable_jit):
            self._fast[fast_key] = entry.fast_runner
        return result

    def __get__(self, instance, owner):
        return self if instance is None else functools.partial(self, instance)

    def _signature(self, args) -> tuple[tuple, list]:
        parts, leaves = [], []
        for i, arg in enumerate(args):
            if i in self.static_argnums:
                parts.append(("static", _hashable_static(arg, i)))
                continue
            arg_leaves, treedef = tree.flatten(arg)
            parts.append((treedef, tuple(_leaf_signature(x) for x in arg_leaves)))
            leaves.extend(arg_leaves)
        return tuple(parts), leaves

    def _compile(self, key: tuple, args) -> _Compiled:
        with self._lock:  # threads racing on a new signature trace and compile it once
            entry = self._cache.get(key)
            if entry is not None:
                self._hits += 1
                return entry
            return self._compile_locked(key, args)

    def _compile_locked(self, key: tuple, args) -> _Compiled:
        self._misses += 1
        self._last_miss = _miss_reason(key, list(self._cache))
        if config.debug >= 1:
            print(f"tapejit: tracing {getattr(self.fn, '__qualname__', self.fn)}: "
                  f"{self._last_miss}")
        entry = compile_function(self.fn, args, self.static_argnums, self.check)
        self._cache[key] = entry
        return entry

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, len(self._cache), self._last_miss)

    def wait(self) -> None:
        """Block until every background compile this function started has finished."""
        for entry in list(self._cache.values()):
            entry.wait()

    def compile_stats(self, *args) -> dict:
        """Seconds spent per phase when this signature was compiled: trace_s, autodiff_s,
        passes_s, fusion_s, codegen_s, load_s, first_call_s, and kernel_from_disk."""
        key, leaves = self._signature(args)
        entry = self._cache.get(key)
        if entry is None:
            self._call(args, None)
            entry = self._cache[key]
        return dict(entry.timings)

    def kernel_call(self, *args) -> Callable[[], object]:
        """A no-argument function calling only the compiled kernel on these arguments (the
        floor under this function's dispatch cost)."""
        key, leaves = self._signature(args)
        if key not in self._cache:
            self._call(args, None)
        entry = self._cache[key]
        arrays, executable = entry.kernel_args(leaves), entry.executable
        return lambda: executable(arrays)

    def lower(self, *args) -> Lowered:
        """The traced, backward, optimized and fused programs and the kernel source."""
        key, _ = self._signature(args)
        entry = self._cache.get(key) or compile_function(self.fn, args, self.static_argnums)
        return entry.lowered


def _hashable_static(arg, index: int):
    try:
        hash(arg)
    except TypeError:
        raise op_error(TypeError, "jit", f"static argument {index} ({type(arg).__name__}) is not "
                       "hashable", "pass a hashable value (tuple, not list) as a static "
                       "argument", user_site()) from None
    return arg


def _miss_reason(key: tuple, known: list[tuple]) -> str:
    """Why `key` missed, described against the most similar signature seen before."""
    if not known:
        return "first call"
    previous = min(known, key=lambda old: _distance(key, old))
    if len(previous) != len(key):
        return f"{len(key)} arguments instead of {len(previous)}"
    changes = [_arg_change(i, new, old) for i, (new, old) in enumerate(zip(key, previous))
               if new != old]
    return "; ".join(changes) or "new signature"


def _distance(a: tuple, b: tuple) -> int:
    if len(a) != len(b):
        return 1 << 20
    return sum(x != y for x, y in zip(a, b))


def _arg_change(i: int, new: tuple, old: tuple) -> str:
    if new[0] == "static" or old[0] == "static":
        return f"argument {i}: new static value {new[1]!r} (was {old[1]!r})"
    if new[0] != old[0]:
        return f"argument {i}: new tree structure {new[0]} (was {old[0]})"
    for j, (a, b) in enumerate(zip(new[1], old[1])):
        if a != b:
            what = [w for w, x, y in (("dtype", a[-2], b[-2]), ("shape", a[-1], b[-1]))
                    if x != y] or ["Variable"]
            return (f"argument {i}, leaf {j}: new {' and '.join(what)} {_describe(a)} "
                    f"(was {_describe(b)})")
    return f"argument {i}: new leaves"


def _describe(sig: tuple) -> str:
    dtype, shape = sig[-2], sig[-1]
    return f"{dtype}{list(shape)}"


def _log(stage_name: str, program: Program) -> None:
    if config.debug >= 3:
        print(f"tapejit: after {stage_name}:\n{program}")


def lower_programs(fn: Callable, args, static_argnums=(), timings: dict | None = None) -> tuple:
    """Trace (tapes inside emit their backward into the trace), optimize and fuse.

    Returns (staged, backward programs, optimized program, fused program).
    """
    from tapejit.staging import collect_backward

    timings = {} if timings is None else timings
    start = time.perf_counter()
    with collect_backward() as backward:
        staged = stage(fn, args, static_argnums)
    autodiff = sum(seconds for _, seconds in backward)
    timings["trace_s"] = time.perf_counter() - start - autodiff
    timings["autodiff_s"] = autodiff
    programs = tuple(program for program, _ in backward)
    if config.debug >= 2:
        print(f"tapejit: traced program\n{staged.program}")
        for program in programs:
            print(f"tapejit: backward program\n{program}")
    start = time.perf_counter()
    optimized = optimize(staged.program, _log)
    timings["passes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    fused = verify(fuse(optimized))
    timings["fusion_s"] = time.perf_counter() - start
    _log("fusion", fused)
    return staged, programs, optimized, fused


def compile_function(fn: Callable, args, static_argnums=(), check: bool = False) -> _Compiled:
    """Lower `fn` for these arguments and build its executable."""
    timings: dict = {}
    staged, backward, optimized, fused = lower_programs(fn, args, static_argnums, timings)
    if config.background_compile and not (check or config.check_jit or config.debug_nans):
        executable = Executable(optimized, None, None, "compiling in the background")
        lowered = Lowered(staged.program, backward, optimized, fused,
                          "# compiling in the background; call .wait() and lower() again")
        compiled = _Compiled(staged, executable, lowered, check)
        compiled.timings, compiled.pending = timings, (fused, timings)
        return compiled
    executable = build(optimized, fused, timings)
    source = executable.source.text if executable.source else (
        f"# runs in the NumPy interpreter: {executable.why_interpreted}")
    lowered = Lowered(staged.program, backward, optimized, fused, source)
    compiled = _Compiled(staged, executable, lowered, check)
    compiled.timings = timings
    return compiled


def jit(fn: Callable | None = None, *, static_argnums: Sequence[int] = (),
        static_argnames: Sequence[str] = (), check: bool = False):
    """Compile `fn` per input signature into one fused Numba kernel.

    Usable as `tj.jit(f)`, `@tj.jit` or `@tj.jit(static_argnums=(1,))`.

    Args:
        fn: the function; its arguments are pytrees of arrays, Tensors, Variables, numbers.
        static_argnums: arguments passed to Python as values (hashable); a new value retraces.
        static_argnames: the same for keyword arguments, by name.
        check: also run eagerly and compare (see TAPEJIT_CHECK_JIT).
    Returns:
        A JitFunction with .cache_info() and .lower(*args).
    """
    if fn is None:
        return lambda f: JitFunction(f, static_argnums, check, static_argnames)
    return JitFunction(fn, static_argnums, check, static_argnames)
