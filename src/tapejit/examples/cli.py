"""`python -m tapejit`: train the digits classifier with a jitted step and report on it;
`python -m tapejit demo`: the tape walkthrough; `python -m tapejit precompile`: compile the
first tier's shared kernels once for this machine."""

from __future__ import annotations

import argparse
import importlib.util
import time

EXTRAS = {"sklearn": "scikit-learn", "matplotlib": "matplotlib", "threadpoolctl": "threadpoolctl"}


def missing_extras() -> list[str]:
    """The pip names of the examples extra's packages that are not installed."""
    return [pip for module, pip in EXTRAS.items() if importlib.util.find_spec(module) is None]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tapejit",
        description="Train a small network on scikit-learn's handwritten digits with a "
                    "jitted training step (default), walk through one gradient tape (demo), or "
                    "compile the kernels a new program's first calls run on (precompile).")
    parser.add_argument("command", nargs="?", default="train",
                        choices=["train", "demo", "precompile"])
    parser.add_argument("--background", action="store_true",
                        help="precompile quietly at low priority (what a first use starts)")
    parser.add_argument("--epochs", type=int, default=None, help="default: 60")
    parser.add_argument("--plot", default="digits_training.png",
                        help="where to save the loss/accuracy curves (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _banner(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def run_digits(epochs: int, plot: str, seed: int = 0) -> float:
    """Train, evaluate, time and summarize; returns the held-out accuracy."""
    from tapejit.examples import digits, report

    started = time.perf_counter()
    data = digits.load_digits(seed=seed)
    print(f"scikit-learn digits: {len(data.x_train)} training and {len(data.x_test)} held-out "
          f"images of shape {data.x_train.shape[1:]}")
    trainer = digits.make_trainer(epochs * digits.steps_per_epoch(data), seed=seed)
    _banner(f"training {epochs} epochs with a jitted step (Adam, cosine decay)")
    history = digits.train(trainer, data, epochs, seed=seed,
                           on_batch=report.ProgressBar(epochs))
    accuracy = history.test_accuracy[-1]
    correct = round(accuracy * len(data.y_test))
    print(f"held-out accuracy {accuracy:.2%} ({correct}/{len(data.y_test)}); "
          f"training took {sum(history.seconds):.1f} s")
    _banner("time per training step (batch of 64, median, one BLAS thread)")
    report.wait_for_kernel(trainer.step)
    jitted = report.seconds_per_step(trainer, data, steps=200)
    eager = report.seconds_per_step(digits.make_trainer(1, jit=False, seed=seed), data,
                                    steps=10)
    print(f"eager (tape, NumPy): {eager * 1e3:.2f} ms   jit (one kernel): {jitted * 1e3:.3f} ms"
          f"   speed-up {eager / jitted:.0f}x")
    _banner("the compiled training step")
    print(report.step_summary(trainer, data))
    print(f"\nloss and accuracy curves: {report.save_curves(history, plot)}")
    print(f"held-out accuracy {accuracy:.2%}; wall time {time.perf_counter() - started:.1f} s")
    return accuracy


def _missing_message(missing: list[str]) -> str:
    verb = "is" if len(missing) == 1 else "are"
    return (f"python -m tapejit trains on scikit-learn's digits and plots with matplotlib, "
            f"but {' and '.join(missing)} {verb} not installed.\n"
            f"Install the examples extra: pip install \"tapejit[examples]\" (from a checkout: "
            f"pip install \".[examples]\"), or run the tape walkthrough, which needs none of "
            f"them: python -m tapejit demo")


def _precompile(background: bool) -> int:
    from tapejit.backend.numba_cpu.warmup import yield_to_foreground
    from tapejit.precompile import precompile

    if background:
        yield_to_foreground()
    return 1 if precompile(quiet=background) else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from tapejit.examples import tape_demo

        tape_demo.main()
        return 0
    if args.command == "precompile":
        return _precompile(args.background)
    missing = missing_extras()
    if missing:
        print(_missing_message(missing))
        return 1
    from tapejit.examples.digits import EPOCHS, one_blas_thread

    with one_blas_thread():
        run_digits(args.epochs or EPOCHS, args.plot, args.seed)
    return 0
