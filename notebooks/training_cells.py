"""The cells of 03_training.ipynb (built by make_notebooks.py): the digits model of
`python -m tapejit`, trained eagerly and under tj.jit, with its curves and timings."""

TRAINING = [
    ("md", """# 03 · Training: the digits model, eager and jitted

`python -m tapejit` trains a small network on scikit-learn's 8×8 handwritten digits with a jitted
training step. Its code is in `tapejit.examples.digits`; this notebook runs the same pieces
step by step: the same step eagerly (a `GradientTape` over NumPy) and compiled by `tj.jit`,
their losses side by side, the time per step, the curves, and what the compiled step is made
of. (It trains for fewer epochs than the main job, to stay quick.)"""),
    ("code", """import inspect
import time

import matplotlib.pyplot as plt
import numpy as np

from tapejit.examples import digits, report

digits.one_blas_thread()    # small matrices: one BLAS thread is faster (see its docstring)
data = digits.load_digits()
print("training", data.x_train.shape, "held out", data.x_test.shape)
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for digit, axis in enumerate(axes):
    axis.imshow(data.x_train[data.y_train == digit][0, :, :, 0], cmap="gray_r")
    axis.set_title(str(digit))
    axis.axis("off")"""),
    ("md", """## The model
One function says what the network is: a small CNN over the `(8, 8, 1)` images, channels
last (Keras's layout), two 3×3 convolutions with max pooling, BatchNormalization and
Dropout, then one dense layer."""),
    ("code", """print(inspect.getsource(digits.build_model))"""),
    ("md", """## The training step
`Trainer` wraps one step: the forward pass in training mode (Dropout draws a mask,
BatchNormalization uses the batch's statistics and updates its moving ones), the gradient
from the tape, and Adam's update. With `jit=True` the whole step, Variable updates included,
becomes one compiled kernel."""),
    ("code", """print(inspect.getsource(digits.Trainer._train_step))"""),
    ("md", """## Eager and jitted, side by side
Two trainers with the same seed: the same initial weights, the same shuffles, the same
dropout masks (they come from counter-based keys, identical eagerly and under jit). Their
per-step losses agree to float32 rounding. (The held-out accuracy is still low after one
epoch: it is measured in inference mode, with BatchNormalization's moving statistics, which
at momentum 0.99 have moved only part of the way from their initial 0 and 1.)"""),
    ("code", """EPOCHS = 1
decay = 30 * digits.steps_per_epoch(data)

def run(jit):
    trainer = digits.make_trainer(decay, jit=jit, seed=0)
    losses = []
    start = time.perf_counter()
    history = digits.train(trainer, data, EPOCHS, seed=0,
                           on_batch=lambda e, i, c, loss, s: losses.append(loss))
    return trainer, history, np.array(losses), time.perf_counter() - start

eager, eager_history, eager_losses, eager_seconds = run(jit=False)
jitted, history, jit_losses, jit_seconds = run(jit=True)
print(f"eager: {eager_seconds:.1f} s for {EPOCHS} epoch{'s' * (EPOCHS > 1)}; "
      f"jit: {jit_seconds:.1f} s (tracing the step, then compiling it or loading it from disk)")
print("largest relative difference of the running losses:",
      f"{np.max(np.abs(jit_losses - eager_losses) / eager_losses):.1e}")
print("held-out accuracy, eager vs jit:", eager_history.test_accuracy, history.test_accuracy)
print("traces of the jitted step:", jitted.step.cache_info().misses,
      "for", len(jit_losses), "calls")"""),
    ("code", """plt.figure(figsize=(6, 3))
plt.plot(eager_losses, label="eager (tape)", linewidth=3, alpha=0.5)
plt.plot(jit_losses, "--", label="tj.jit")
plt.xlabel("step")
plt.ylabel("running mean loss of the epoch")
plt.legend();"""),
    ("md", """## Time per step
The median of many calls on one batch of 64, after a warm-up call."""),
    ("code", """eager_step = report.seconds_per_step(eager, data, steps=10)
jit_step = report.seconds_per_step(jitted, data, steps=200)
print(f"eager {eager_step * 1e3:.2f} ms, jit {jit_step * 1e3:.3f} ms per step: "
      f"{eager_step / jit_step:.0f}x faster")
plt.figure(figsize=(5, 2))
plt.barh(["tj.jit", "eager tape"], [jit_step * 1e3, eager_step * 1e3], color=["C1", "C0"])
plt.xscale("log")
plt.xlabel("ms per training step (log scale)");"""),
    ("md", """## Training on
The jitted trainer goes on from where it stopped, for 29 more epochs (the main job trains 60);
the step is not traced again."""),
    ("code", """more = digits.train(jitted, data, 29, seed=1)
for field in ("loss", "train_accuracy", "test_accuracy", "seconds"):
    getattr(history, field).extend(getattr(more, field))
print(f"held-out accuracy after {len(history.loss)} epochs: {history.test_accuracy[-1]:.2%}; "
      f"the last 29 epochs took {sum(more.seconds):.2f} s")
print("traces:", jitted.step.cache_info().misses)
report.curves_figure(history, plt.figure(figsize=(10, 4)));"""),
    ("md", """## The state the step updated
Besides the trainable weights, the compiled step advanced Dropout's step counter (which
selects the next mask), BatchNormalization's moving statistics (used when `training` is
False, as by the held-out evaluation above) and Adam's slots and iteration count."""),
    ("code", """by_kind = {type(layer).__name__: layer for layer in jitted.model.layers}
bn, dropout = by_kind["BatchNormalization"], by_kind["Dropout"]
print([v.name for v in jitted.model.non_trainable_variables])
print("dropout step:", int(dropout.step.numpy()), " optimizer iterations:",
      int(jitted.optimizer.iterations.numpy()))
print("moving mean (first 5):", bn.moving_mean.numpy()[:5].round(3))"""),
    ("md", """## What the compiled step is made of
The traced program includes the backward equations the tape derived; the optimized program is
fused into loops, matrix products and the Threefry random-bit kernels of the dropout mask."""),
    ("code", """print(report.step_summary(jitted, data))"""),
    ("code", """lowered = jitted.step.lower(data.x_train[:64], data.y_train[:64])
print("\\n".join(str(lowered.fused).splitlines()[:25]))"""),
]
