"""tj.jit: trace once per signature, optimize, fuse, compile to one Numba kernel, and run.

Signatures are the argument tree structure, each leaf's dtype and shape (Variables by
identity) and the static arguments. A new signature retraces (cheap Python); the kernel
source only depends on ranks, dtypes and broadcast patterns, so a new batch size reuses the
compiled kernel from the kernel cache.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tapejit import tree
from tapejit.backend.executable import first_tier_counts, warm_up_in_background
from tapejit.compiled import SignatureCall, compile_signature
from tapejit.config import config
from tapejit.control.call import call_p
from tapejit.debug import debug
from tapejit.errors import op_error
from tapejit.leaves import as_tensor, plain_signature, signature
from tapejit.lowering import Lowered
from tapejit.lru import LRU
from tapejit.site import user_site
from tapejit.staging import stage
from tapejit.state import STATE
from tapejit.tensor import Variable
from tapejit.trace import Tracer, bind


@dataclass(frozen=True)
class CacheInfo:
    """Trace-cache statistics of a jitted function; `last_miss` says why it last retraced."""

    hits: int
    misses: int
    size: int
    last_miss: str
    maxsize: int = 0
    evictions: int = 0
    shared_kernel_hits: int = 0
    """The first tier's shared kernels found (in memory or on disk), this process."""
    shared_kernel_misses: int = 0
    """... and those compiled because no program on this machine had needed them yet."""


def _fast_key(args) -> tuple[tuple, Sequence] | None:
    """The signature of a call whose arguments are plain leaves (arrays, Tensors or numbers)
    or lists, tuples and dicts of them, with the leaves to pass in tree.flatten's order; None
    if any argument needs the general path (Variables, other objects). A Python float or
    bool stands for itself: its type decides its signature, and the kernel takes it as it is.
    A structured argument's part of the key is its treedef and its leaves' parts."""
    key, leaves = [], None
    for a in args:
        part = _leaf_part(a)
        if part is not None:
            key.append(part)
            if leaves is not None:
                leaves.append(a)
            continue
        if not isinstance(a, (list, tuple, dict)):
            return None
        flat, treedef = tree.flatten(a)
        parts = tuple(_leaf_part(leaf) for leaf in flat)
        if any(p is None for p in parts):
            return None
        leaves = list(args[:len(key)]) if leaves is None else leaves
        key.append((treedef, parts))
        leaves.extend(flat)
    return tuple(key), (args if leaves is None else leaves)


def _leaf_part(leaf):
    kind = type(leaf)
    return kind if kind is float or kind is bool else plain_signature(leaf)


def _passed_as_is(key: tuple) -> list[bool]:
    """Per leaf, in order: whether the key says it is a Python float or bool."""
    kinds = []
    for part in key:
        structured = type(part) is tuple and part and type(part[0]) is tree.TreeDef
        kinds.extend(part[1] if structured else (part,))
    return [k is float or k is bool for k in kinds]


def require_callable(fn, who: str) -> None:
    """A transform applied to something that is not a function fails where it is applied."""
    if not callable(fn):
        raise op_error(TypeError, who, f"Expected a callable value, got {fn!r}",
                       f"pass the function itself, e.g. tj.{who}(f)", user_site())


def _positional_count(fn) -> int | None:
    """How many positional arguments `fn` takes, or None if it takes any number."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    return sum(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
               for k in kinds)


def _check_static(fn, argnums: tuple[int, ...], argnames: frozenset) -> None:
    count = _positional_count(fn)
    if count is not None and any(i >= count or i < -count for i in argnums):
        raise op_error(ValueError, "jit", f"static_argnums={argnums}, but the function takes "
                       f"only {count} positional arguments",
                       "give the positions of arguments it has (counting from 0)", user_site())
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(argnames - set(parameters))
    if unknown:
        raise op_error(ValueError, "jit", f"static_argnames {unknown} name no parameter of the "
                       f"function (it has {list(parameters)})", "use its parameter names",
                       user_site())


class JitFunction:
    """A function compiled per input signature; call it like the original."""

    def __init__(self, fn: Callable, static_argnums: Sequence[int] = (), check: bool = False,
                 static_argnames: Sequence[str] = ()):
        require_callable(fn, "jit")
        self.fn = fn
        self.static_argnums = tuple(sorted({int(i) for i in (
            (static_argnums,) if isinstance(static_argnums, int) else static_argnums)}))
        self.static_argnames = frozenset(
            (static_argnames,) if isinstance(static_argnames, str) else static_argnames)
        _check_static(fn, self.static_argnums, self.static_argnames)
        self._keyword_variants: dict = {}
        self.check = check
        self._cache: LRU = LRU(lambda: config.jit_cache_size)
        self._hits = self._misses = 0
        if not config.disable_jit:
            warm_up_in_background()
        self._last_miss = ""
        self._lock = threading.Lock()
        self._fast: dict = {}
        self._staged: LRU = LRU(lambda: config.jit_cache_size)
        functools.update_wrapper(self, fn, updated=())  # never take over a wrapped jit's state

    def __call__(self, *args, **kwargs):
        mode = config.disable_jit
        if mode is True:
            return self.fn(*args, **kwargs)
        if kwargs:
            names = tuple(sorted(kwargs))
            return self._keyword_variant(len(args), names)(*args, *(kwargs[k] for k in names))
        if STATE.traces or STATE.tapes:
            return self._recorded_call(args)
        fast = _fast_key(args) if not (mode or config.debug_nans) else None
        if fast is not None:
            key, leaves = fast
            run = self._fast.get(key)
            if run is not None:
                self._hits += 1
                return run(leaves)
            return self._call(args, key)
        return self._call(args, None)

    def _recorded_call(self, args):
        """Inside another trace, or under a recording tape: one `call` equation holding this
        function's traced program (tapes record it as one op; the optimizer inlines it)."""
        key = self._signature(args)[0]
        staged = self._staged.get(key)
        if staged is None:  # traced once per signature, as the compiled path is
            staged = stage(self.fn, args, self.static_argnums)
            if not any(isinstance(c, Tracer) for c in staged.consts):  # closed over a trace
                self._staged.set(key, staged)
        leaves = [as_tensor(leaf, "jit") for i, a in enumerate(args)
                  if i not in self.static_argnums
                  for leaf in tree.leaves(a) if not isinstance(leaf, Variable)]
        operands = leaves + [v.read() for v in staged.variables] + list(staged.consts)
        outs = bind(call_p, *operands, body=staged.program,
                    name=getattr(self.fn, "__qualname__", "function"))
        n = staged.num_outputs
        for var, value in zip(staged.assigned, outs[n:]):
            var.assign(value)
        return tree.unflatten(staged.out_tree, list(outs[:n]))

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
        if fast_key is not None and not self.static_argnums and not config.disable_jit:
            runner = entry.fast_runner(as_is=_passed_as_is(fast_key))
            if runner is not None:
                if len(self._fast) >= config.jit_cache_size:
                    self._fast.clear()  # rebuilt on demand; keeps evicted kernels collectable
                self._fast[fast_key] = runner
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
            parts.append((treedef, tuple(signature(x) for x in arg_leaves)))
            leaves.extend(arg_leaves)
        return tuple(parts), leaves

    def _compile(self, key: tuple, args) -> SignatureCall:
        with self._lock:  # threads racing on a new signature trace and compile it once
            entry = self._cache.get(key)
            if entry is not None:
                self._hits += 1
                return entry
            self._misses += 1
            self._last_miss = _miss_reason(key, list(self._cache))
            debug(1, f"tracing {getattr(self.fn, '__qualname__', self.fn)}: {self._last_miss}")
            entry = compile_signature(self.fn, args, self.static_argnums, self.check)
            evicted = self._cache.evictions
            self._cache.set(key, entry)
            if self._cache.evictions != evicted:
                self._fast.clear()
            return entry

    def _entry(self, args) -> tuple[SignatureCall, list]:
        """The signature of `args`, compiled (and called once) if it is new."""
        key, leaves = self._signature(args)
        if key not in self._cache:
            self._call(args, None)
        return self._cache[key], leaves

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, len(self._cache), self._last_miss,
                         config.jit_cache_size, self._cache.evictions, *first_tier_counts())

    def wait(self) -> None:
        """Block until every background compile this function started has finished."""
        for entry in list(self._cache.values()):
            entry.wait()

    def compile_stats(self, *args) -> dict:
        """Seconds spent per phase when this signature was compiled: trace_s, autodiff_s,
        passes_s, fusion_s, codegen_s, load_s, first_call_s, and kernel_from_disk; with the
        first tier, first_tier_s and worker_compile_s; threaded_kernel_s when a threaded
        kernel took over (its compile or load and first call)."""
        return dict(self._entry(args)[0].timings)

    def kernel_call(self, *args) -> Callable[[], object]:
        """A no-argument function calling only the compiled kernel on these arguments (the
        floor under this function's dispatch cost)."""
        entry, leaves = self._entry(args)
        arrays, executable = entry.kernel_args(leaves), entry.executable
        return lambda: executable(arrays)

    def lower(self, *args) -> Lowered:
        """The traced, backward, optimized and fused programs and the kernel source."""
        key, _ = self._signature(args)
        entry = self._cache.get(key) or compile_signature(self.fn, args, self.static_argnums)
        return entry.lowered


def _hashable_static(arg, index: int):
    try:
        hash(arg)
    except TypeError:
        raise op_error(TypeError, "jit", f"static argument {index} ({type(arg).__name__}) is not "
                       "hashable", "pass a hashable value (tuple, not list) as a static "
                       "argument", user_site()) from None
    return _static_key(arg)


def _static_key(value):
    """A static value's identity in a signature: its type and, for floats, its bits, so 1
    and 1.0 (or 0.0 and -0.0) trace apart and a NaN finds its trace again."""
    if isinstance(value, (float, np.floating)):
        return (type(value), float(value).hex())
    if type(value) is tuple:
        return (tuple, tuple(_static_key(v) for v in value))
    return (type(value), value)


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
        return f"argument {i}: new static value {_shown(new)} (was {_shown(old)})"
    if new[0] != old[0]:
        return f"argument {i}: new tree structure {new[0]} (was {old[0]})"
    for j, (a, b) in enumerate(zip(new[1], old[1])):
        if a != b:
            what = [w for w, x, y in (("dtype", a[-2], b[-2]), ("shape", a[-1], b[-1]))
                    if x != y] or ["Variable"]
            return (f"argument {i}, leaf {j}: new {' and '.join(what)} {_describe(a)} "
                    f"(was {_describe(b)})")
    return f"argument {i}: new leaves"


def _shown(part: tuple) -> str:
    if part[0] != "static":
        return "a traced value"
    kind, value = part[1]
    shown = float.fromhex(value) if issubclass(kind, (float, np.floating)) else value
    return f"{shown!r} ({kind.__name__})"


def _describe(sig: tuple) -> str:
    dtype, shape = sig[-2], sig[-1]
    return f"{dtype}{list(shape)}"


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
