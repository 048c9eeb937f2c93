"""What the digits run shows: a progress bar, eager-vs-jit time per step, a summary of the
compiled step's IR and kernel, and the loss/accuracy curves as a PNG."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import Counter

import numpy as np

from tapejit.examples.digits import BATCH_SIZE, Digits, History, Trainer


def _is_terminal(stream) -> bool:
    """Whether a line can be redrawn in place (not a log file or a notebook)."""
    return bool(getattr(stream, "isatty", lambda: False)())


class ProgressBar:
    """A line redrawn after each step (the epoch's bar, its mean loss so far, samples/s),
    kept every `every` epochs and at the last; where the output is not a terminal (a log, a
    notebook), only the kept lines are written."""

    def __init__(self, epochs: int, batch_size: int = BATCH_SIZE, every: int = 10,
                 width: int = 24, stream=None) -> None:
        self.epochs, self.batch_size, self.every, self.width = epochs, batch_size, every, width
        self.stream = stream or sys.stdout
        self._terminal = _is_terminal(self.stream)

    def __call__(self, epoch: int, index: int, count: int, loss: float, seconds: float):
        filled = self.width * index // max(count, 1)
        speed = index * self.batch_size / max(seconds, 1e-9)
        line = (f"\repoch {epoch + 1:>3}/{self.epochs} [{'#' * filled:<{self.width}}] "
                f"{index:>3}/{count} loss {loss:.4f} {speed:>9,.0f} samples/s")
        keep = index == count and ((epoch + 1) % self.every == 0 or epoch + 1 == self.epochs)
        if self._terminal:
            self.stream.write(line + ("\n" if keep else ""))
        elif keep:
            self.stream.write(line[1:] + "\n")
        self.stream.flush()


def wait_for_kernel(step, stream=None, quiet_for: float = 0.5) -> float:
    """Wait for the background compiles of a jitted `step` (its kernel, compiled by a worker
    process while the calls ran on the first tier), saying so with the seconds waited when
    that takes longer than `quiet_for`; returns the seconds waited (0 for a plain function)."""
    if not hasattr(step, "wait"):
        return 0.0
    stream = stream or sys.stdout
    terminal = _is_terminal(stream)
    start, done = time.perf_counter(), threading.Event()
    threading.Thread(target=lambda: (step.wait(), done.set()), daemon=True).start()
    if done.wait(quiet_for):
        return time.perf_counter() - start
    stream.write("waiting for the step's own kernel, which a worker process compiles (the "
                 "training ran on the first tier meanwhile)\n")
    stream.flush()
    while not done.wait(1.0):
        if terminal:
            stream.write(f"\r{time.perf_counter() - start:.0f} s")
            stream.flush()
    seconds = time.perf_counter() - start
    back = "\r" if terminal else ""
    stream.write(f"{back}the kernel is ready after {seconds:.1f} s of waiting\n")
    stream.flush()
    return seconds


def seconds_per_step(trainer: Trainer, data: Digits, steps: int,
                     batch_size: int = BATCH_SIZE) -> float:
    """The median wall time of `steps` training steps on one batch (after one warm-up step,
    which for a jitted step compiles it, or loads it from disk)."""
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    trainer.step(x, y)
    if hasattr(trainer.step, "wait"):
        trainer.step.wait()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        trainer.step(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def step_summary(trainer: Trainer, data: Digits, batch_size: int = BATCH_SIZE) -> str:
    """A few lines on the compiled training step: equations at each stage, what the fused
    program is made of, the kernel, and the seconds each compile phase took."""
    step = trainer.step
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    lowered = step.lower(x, y)
    backward = sum(len(p.eqns) for p in lowered.backward)
    kinds = Counter(e.prim.name for e in lowered.fused.eqns)
    fused_ops = sum(len(e.params["body"].eqns) for e in lowered.fused.eqns
                    if e.prim.name == "fused")
    made_of = ", ".join(f"{n} {name}" for name, n in kinds.most_common())
    stats = step.compile_stats(x, y)
    phases = ", ".join(f"{k[:-2]} {stats[k] * 1e3:.0f} ms" for k in
                       ("trace_s", "autodiff_s", "passes_s", "fusion_s", "codegen_s")
                       if k in stats)
    kernel = _kernel_line(lowered.source, stats)
    return "\n".join([
        f"traced: {len(lowered.traced.eqns)} equations ({backward} of them derived by the "
        f"tape's backward pass), {len(lowered.traced.inputs)} inputs (the batch and every "
        f"Variable), {len(lowered.traced.outputs)} outputs (loss, correct, updated Variables)",
        f"optimized: {len(lowered.optimized.eqns)} equations",
        f"fused: {len(lowered.fused.eqns)} steps: {made_of} "
        f"(the fused loops hold {fused_ops} elementwise and reduction ops)",
        f"kernel: {kernel}",
        f"compile phases: {phases}",
        f"retraces: {step.cache_info().misses} trace for "
        f"{step.cache_info().hits + step.cache_info().misses} calls"])


def _kernel_line(source: str, stats: dict) -> str:
    """How the fused program runs: Numba kernels (how many, their source size, compiled or
    loaded from disk) or the NumPy interpreter and why."""
    if source.startswith("# runs in the NumPy interpreter"):
        return source.splitlines()[0][2:]
    kernels = max(1, len(re.findall(r"^# ---- kernel \d+ of", source, flags=re.M)))
    origin = ("loaded from the disk cache" if stats.get("kernel_from_disk")
              else "compiled by Numba")
    first = stats.get("first_call_s")
    took = f", first call {first:.1f} s" if first is not None else ""
    return (f"{kernels} Numba kernel{'s' if kernels > 1 else ''} ({len(source.splitlines())} "
            f"lines of generated Python), {origin}{took}")


def curves_figure(history: History, figure=None):
    """Training loss, and training and held-out accuracy, per epoch, side by side, drawn on
    `figure` (default: a new matplotlib Figure, no pyplot state touched)."""
    if figure is None:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    epochs = np.arange(1, len(history.loss) + 1)
    left.plot(epochs, history.loss, color="tab:blue")
    left.set(xlabel="epoch", ylabel="mean training loss", yscale="log",
             title="Loss (sparse categorical cross-entropy)")
    right.plot(epochs, history.train_accuracy, label="training batches (shifted, dropout on)")
    right.plot(epochs, history.test_accuracy, label="held out")
    right.set(xlabel="epoch", ylabel="accuracy", ylim=(0.8, 1.0), title="Accuracy")
    right.legend(loc="lower right")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def save_curves(history: History, path: str) -> str:
    """curves_figure as a PNG at `path`."""
    curves_figure(history).savefig(path, dpi=100)
    return path
