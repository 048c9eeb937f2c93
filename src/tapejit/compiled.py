"""One signature of a jitted function at run time: its staged program, how arguments become
kernel arguments, and the state it runs in.

States: FirstTier (a new signature: the first tier answers while the kernel starts compiling),
Compiling (the first tier answers while the kernel compiles in a thread) and Compiled (the
kernel runs; its first call compiles or loads it). The first tier's results are the kernel's
bit for bit (backend/numba_cpu/first_tier.py), so the switch changes no result. With
TAPEJIT_SYNC_COMPILE, checks, or a program the first tier cannot run, a signature starts
Compiled. A kernel that runs a large convolution or pooling serially is upgraded: once it
has run, the threaded variant compiles in the background and takes over (the same bits).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import numpy as np

from tapejit import tree
from tapejit.backend.executable import (
    Executable,
    build,
    first_tier,
    start_compile_worker,
    start_in_background,
    threaded_variant,
)
from tapejit.checking import check_outputs, hunt_nonfinite
from tapejit.config import config
from tapejit.debug import debug
from tapejit.lowering import Lowered, lower_programs
from tapejit.staging import Staged
from tapejit.tensor import Tensor, Variable


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


def _all_finite(value) -> bool:
    array = np.asarray(value)
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


class Compiled:
    """The executable runs; its first call compiles the kernel or loads it from disk."""

    def __init__(self, executable: Executable, called: bool = False) -> None:
        self.executable = executable
        self.called = called

    def run(self, call: SignatureCall, arrays: list) -> tuple:
        if self.called and not config.disable_jit:
            outs = self.executable(arrays)
        else:
            start = time.perf_counter()
            outs = self.executable.first_call(arrays)
            call.note_first_call(self.executable, time.perf_counter() - start)
            self.called = True
            call.start_upgrade(arrays)
        if call.check or config.check_jit:
            check_outputs(call.lowered.optimized, arrays, outs)
        if config.debug_nans and not all(_all_finite(o) for o in outs):
            hunt_nonfinite(call.lowered.optimized, arrays)
        return outs

    def wait(self) -> None:
        return None


class Compiling:
    """The first tier answers while the kernel compiles (or loads) in a thread; the thread
    switches the signature to Compiled when its kernel has run once."""

    def __init__(self, executable: Executable, compiler: threading.Thread) -> None:
        self.executable = executable
        self.compiler = compiler

    def run(self, call: SignatureCall, arrays: list) -> tuple:
        return self.executable(arrays)

    def wait(self) -> None:
        self.compiler.join()


class FirstTier:
    """A new signature whose kernel is not on disk: the first tier answers its first call
    (loading or compiling the shared kernels it needs) while the kernel compiles. A compile
    worker process starts on the kernel at once, on the other core; a compile in this
    process waits until the first tier has answered, so that the two do not contend for
    the GIL. If the first tier fails, the call waits for the kernel."""

    def __init__(self, tier: Executable, kernel: Executable) -> None:
        self.executable = tier
        self.kernel = kernel

    def run(self, call: SignatureCall, arrays: list) -> tuple:
        start = time.perf_counter()
        in_worker = config.compile_workers >= 1
        if in_worker:
            call.compile_in_background(self.executable, self.kernel, arrays)
        try:
            outs = self.executable(arrays)
            call.timings["first_tier_s"] = time.perf_counter() - start
        except Exception as e:  # noqa: BLE001 - the specialized kernel still answers
            debug(1, f"first tier failed ({type(e).__name__}: {e}); waiting for the kernel")
            call.wait()
            if not isinstance(call.state, Compiled):
                call.state = Compiled(self.kernel)
            return call.state.run(call, arrays)
        if not in_worker:
            call.compile_in_background(self.executable, self.kernel, arrays)
        return outs

    def wait(self) -> None:
        return None


class SignatureCall:
    """A staged signature: converts leaves to kernel arguments, runs its state, and wraps
    the results (writing assigned Variables back)."""

    def __init__(self, staged: Staged, lowered: Lowered, timings: dict, check: bool,
                 state: Compiled | Compiling | FirstTier) -> None:
        self.staged = staged
        self.lowered = lowered
        self.timings = timings
        self.check = check
        self.state = state
        self.upgrade: Executable | None = None  # the threaded variant, until it takes over
        self.upgrading: threading.Thread | None = None
        self._upgrade_lock = threading.Lock()
        self.in_dtypes = [v.type.dtype for v in staged.program.inputs]
        n_consts = len(staged.consts)
        self.const_args = [_to_kernel_arg(c, d) for c, d in zip(
            staged.consts, self.in_dtypes[len(self.in_dtypes) - n_consts:])]

    @property
    def executable(self) -> Executable:
        return self.state.executable

    def __call__(self, leaves: list):
        arrays = self.kernel_args(leaves)
        return self.finish(self.state.run(self, arrays))

    def kernel_args(self, leaves: list) -> list:
        args = [x for x in leaves if not isinstance(x, Variable)]
        args += [v._tensor for v in self.staged.variables]
        return [_to_kernel_arg(x, d) for x, d in zip(args, self.in_dtypes)] + self.const_args

    def finish(self, outs):
        types = [a.type for a in self.staged.program.outputs]
        values = [o if isinstance(o, np.ndarray) else t.dtype.type(o) for o, t in zip(outs, types)]
        n = self.staged.num_outputs
        for var, value in zip(self.staged.assigned, values[n:]):
            var._tensor = Tensor(value)
        return tree.unflatten(self.staged.out_tree, [Tensor(v) for v in values[:n]])

    def note_first_call(self, executable: Executable, seconds: float) -> None:
        """Record the first call (Numba compile, or load from Numba's disk cache)."""
        self.timings["first_call_s"] = seconds
        from_disk = bool(getattr(executable.kernel, "loaded_from_disk", False))
        self.timings["kernel_from_disk"] = from_disk
        if executable.compiled:
            debug(1, f"kernel {'loaded from disk' if from_disk else 'compiled'} in "
                     f"{seconds * 1e3:.1f} ms")

    def build(self, threaded_convolutions: bool) -> Executable:
        """The specialized kernel (or the interpreter, when it cannot be compiled)."""
        executable = build(self.lowered.fused, self.timings,
                           threaded_convolutions=threaded_convolutions)
        self._show(executable)
        return executable

    def _show(self, executable: Executable) -> None:
        """The source `lower()` reports: the kernel's that runs (or will run) the calls."""
        source = executable.source if executable.compiled else (
            f"# runs in the NumPy interpreter: {executable.why_interpreted}\n"
            f"{executable.source}")
        self.lowered = dataclasses.replace(self.lowered, source=source)

    def plan_upgrade(self, kernel: Executable) -> Executable:
        """With config.parallel_convolutions at its default: the kernel to start with, the
        threaded variant when that is on disk already; else the serial one, and the variant
        (if any) kept as `upgrade`."""
        variant = threaded_variant(self.lowered.fused, kernel)
        if variant is not None and variant.on_disk:
            self._show(variant)
            return variant
        self.upgrade = variant
        return kernel

    def start_upgrade(self, arrays: list) -> None:
        """Compile (or load) the threaded variant in a thread, once the serial kernel has run;
        it takes over after its own first call. A failure leaves the serial kernel."""
        with self._upgrade_lock:
            upgrade = self.upgrade
            if upgrade is None or self.upgrading is not None:
                return
            if not self.executable.compiled:
                self.upgrade = None
                return
            arrays = _private(arrays)

            def work():
                start = time.perf_counter()
                try:
                    upgrade.first_call(arrays, [], fall_back=False)
                except Exception as e:  # noqa: BLE001 - the serial kernel keeps answering
                    debug(1, f"threaded convolutions failed ({type(e).__name__}: {e}); the "
                             f"serial kernel stays")
                else:
                    seconds = time.perf_counter() - start
                    self.timings["threaded_kernel_s"] = seconds
                    debug(1, f"threaded convolution kernel took over after {seconds:.1f} s")
                    self._show(upgrade)
                    self.state = Compiled(upgrade, called=True)
                finally:
                    self.upgrade = None

            self.upgrading = threading.Thread(target=work, name="tapejit-compile-threaded",
                                              daemon=True)
            self.upgrading.start()

    def compile_in_background(self, tier: Executable, kernel: Executable, arrays: list) -> None:
        """Compile (or load) the kernel in a thread; calls meanwhile run the first tier."""
        arrays = _private(arrays)

        def work():
            start, answers = time.perf_counter(), []
            kernel.first_call(arrays, answers)
            self._note_worker(answers)
            self.note_first_call(kernel, time.perf_counter() - start)
            self.state = Compiled(kernel, called=True)
            self.start_upgrade(arrays)

        compiler = threading.Thread(target=work, name="tapejit-compile", daemon=True)
        self.state = Compiling(tier, compiler)
        compiler.start()

    def _note_worker(self, answers: list[dict]) -> None:
        compiled = [a["seconds"] for a in answers if a["ok"]]
        if compiled:
            self.timings["worker_compile_s"] = sum(compiled)
        errors = [a["error"] for a in answers if not a["ok"]]
        if errors:
            self.timings["worker_error"] = errors[0]

    def wait(self) -> None:
        """Block until background compiles (if any, the threaded variant's too) have
        finished."""
        self.state.wait()
        if self.upgrading is not None:
            self.upgrading.join()

    def fast_runner(self, as_is: list[bool]) -> Callable | None:
        """A lean path for calls whose arguments are all plain leaves (no pytrees, no
        Variables): convert (not the arguments marked `as_is`), call the kernel, wrap. Only
        once the kernel has run, and not while a threaded variant is to take over."""
        state, staged = self.state, self.staged
        if (not isinstance(state, Compiled) or not state.called or self.check
                or self.upgrade is not None or not state.executable.compiled
                or staged.variables or staged.assigned):
            return None
        entry = state.executable.kernel.entry
        n_args = len(self.in_dtypes) - len(self.const_args)
        convert = [_same if plain else _scalar_arg if v.type.ndim == 0 else _array_arg
                   for v, plain in zip(staged.program.inputs[:n_args], as_is)]
        extra = tuple(self.const_args)
        if staged.out_tree.kind is not None:
            return _structured_runner(entry, convert, extra, staged)
        wrap = _wrapper(staged.program.outputs[0].type)
        if n_args == 1 and convert[0] is _same and not extra:
            def run(args):
                return Tensor(wrap(entry(args[0])[0]))
        elif n_args == 1:
            (only,) = convert

            def run(args):
                return Tensor(wrap(entry(only(args[0]), *extra)[0]))
        else:
            def run(args):
                return Tensor(wrap(entry(*[c(a) for c, a in zip(convert, args)], *extra)[0]))
        return run


def _private(arrays: list) -> list:
    """Copies of the arrays a background first call runs on (the caller may change its own)."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]


def _same(x):
    return x


def _wrapper(out_type) -> Callable:
    """How a kernel's output becomes a Tensor's value: a rank-0 one as a NumPy scalar."""
    return out_type.dtype.type if out_type.ndim == 0 else _same


def _structured_runner(entry: Callable, convert: list, extra: tuple, staged: Staged
                       ) -> Callable:
    """The lean path of a function returning a pytree (value_and_grad's pair, a tuple of
    gradients): each output wrapped, then the structure rebuilt."""
    wraps = [_wrapper(v.type) for v in staged.program.outputs]
    out_tree = staged.out_tree

    def run(args):
        outs = entry(*[c(a) for c, a in zip(convert, args)], *extra)
        return tree.unflatten(out_tree, [Tensor(w(o)) for w, o in zip(wraps, outs)])
    return run


def compile_signature(fn: Callable, args, static_argnums=(), check: bool = False
                      ) -> SignatureCall:
    """Lower `fn` for these arguments and choose how the signature starts running: on the
    first tier while its kernel compiles, unless the kernel is on disk already (or the
    settings ask to wait, or the first tier cannot run the program)."""
    timings: dict = {}
    staged, backward, optimized, fused = lower_programs(fn, args, static_argnums, timings)
    call = SignatureCall(staged, Lowered(staged.program, backward, optimized, fused, ""),
                         timings, check, None)
    waits = (config.sync_compile or check or config.check_jit or config.debug_nans
             or config.disable_jit)
    threads = config.parallel_convolutions
    kernel = call.build(threaded_convolutions=bool(threads) or (
        threads is None and config.sync_compile))
    if threads is None and not waits and config.compile_workers >= 1:
        kernel = call.plan_upgrade(kernel)  # not in this process: seconds of the caller's GIL
    tier = None
    if not waits and kernel.compiled and not kernel.on_disk:
        tier = first_tier(fused)
    if tier is None:
        call.state = Compiled(kernel)
    else:
        start_in_background()
        start_compile_worker()
        call.state = FirstTier(tier, kernel)
    return call


def first_tier_runner(fn: Callable, args) -> Callable | None:
    """`fn` lowered for plain array arguments like `args`, as a function of such arguments
    that always runs on the first tier (never its own kernel); None when the first tier
    cannot run it. For precompiling and for timing the first tier against the kernel."""
    staged, _, _, fused = lower_programs(fn, args)
    tier = first_tier(fused)
    if tier is None:
        return None
    lowered = Lowered(staged.program, (), fused, fused, "")
    call = SignatureCall(staged, lowered, {}, False, Compiled(tier))
    return lambda *arrays: call(tree.leaves(list(arrays)))


def run_first_tier(fn: Callable, args) -> bool:
    """Run `fn` once on the first tier alone, which compiles or loads the shared kernels it
    needs and no kernel of its own (`python -m tapejit precompile`). False when the first
    tier cannot run it."""
    runner = first_tier_runner(fn, args)
    if runner is None:
        return False
    runner(*args)
    return True
