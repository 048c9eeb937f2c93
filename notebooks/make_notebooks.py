"""Writes and executes the notebooks from the cells below (`python notebooks/make_notebooks.py`),
so their committed outputs are the ones this version of tapejit prints. tests/test_notebooks.py
re-executes the committed files on a real Jupyter kernel."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from benchmark_cells import BENCHMARKS
from control_cells import CONTROL
from nbclient import NotebookClient
from training_cells import TRAINING

HERE = Path(__file__).resolve().parent

GRADIENT_TAPE = [
    ("md", """# 01 · The gradient tape

A `tj.GradientTape` records the operations run inside its `with` block; `tape.gradient(target,
sources)` then walks that record backwards. This notebook goes through everything the tape
does (and the places where a gradient comes back `None`), the way a TensorFlow user knows it,
with tapejit's names."""),
    ("code", """import numpy as np
import tapejit as tj"""),
    ("md", """## A first derivative
Trainable variables are watched automatically. For $y = x^3$ at $x = 2$, $dy/dx = 3x^2 = 12$."""),
    ("code", """x = tj.Variable(2.0)
with tj.GradientTape() as tape:
    y = x ** 3
tape.gradient(y, x)"""),
    ("md", """## Many sources at once
Sources can be a list, a dict or any nest of them; each gradient has the shape of its source.
Here a small affine model $\\hat y = xW + b$ and a squared-error loss."""),
    ("code", """rng = np.random.default_rng(0)
W = tj.Variable(rng.standard_normal((3, 2)).astype(np.float32), name="W")
b = tj.Variable(np.zeros(2, np.float32), name="b")
x = tj.constant([[1.0, -1.0, 0.5]])
with tj.GradientTape() as tape:
    loss = tj.reduce_mean((x @ W + b - 1.0) ** 2)
grads = tape.gradient(loss, {"W": W, "b": b})
{name: g.shape for name, g in grads.items()}"""),
    ("md", """## Layers collect their variables
A layer (any `tj.Module`) lists what it trains in `trainable_variables`, so the gradient of a
model is one call."""),
    ("code", """layer = tj.layers.Dense(4, activation="tanh")
with tj.GradientTape() as tape:
    out = tj.reduce_sum(layer(x) ** 2)
for var, g in zip(layer.trainable_variables, tape.gradient(out, layer.trainable_variables)):
    print(var.name, g.shape)"""),
    ("md", """## What the tape watches
Trainable variables: yes. A non-trainable variable, a constant, or the *tensor* you get from
`variable + 1`: no, unless you call `tape.watch`. `watched_variables()` lists what was seen."""),
    ("code", """a = tj.Variable(1.5, name="a")
frozen = tj.Variable(1.5, name="frozen", trainable=False)
shifted = tj.Variable(1.5, name="shifted") + 1.0      # a Tensor now, not a Variable
c = tj.constant(1.5)
with tj.GradientTape() as tape:
    tape.watch(c)
    y = a * a + frozen * frozen + shifted * shifted + c * c
print(tape.gradient(y, [a, frozen, shifted, c]))
print([v.name for v in tape.watched_variables()])"""),
    ("md", """To decide yourself, turn the automatic watching off:"""),
    ("code", """p, q = tj.Variable(0.0), tj.Variable(4.0)
with tj.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(q)
    y = tj.math.sin(p) + tj.nn.softplus(q)
tape.gradient(y, {"p": p, "q": q})"""),
    ("md", """## A persistent tape, intermediate values, higher orders
A tape is released after one `gradient` call unless it is persistent. A persistent tape also
records the gradients computed while it is open, so it can differentiate them again."""),
    ("code", """x = tj.constant(3.0)
with tj.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y                     # z = x^4
    dz_dx = tape.gradient(z, x)   # 4x^3, recorded on the same tape
print(tape.gradient(z, y), dz_dx, tape.gradient(dz_dx, x))   # 2y, 108, 12x^2
del tape                          # frees what it held"""),
    ("md", """## Non-scalar targets
The gradient of a vector (or of several targets) is the gradient of their sum; for an
elementwise function that gives the derivative at every point in one pass."""),
    ("code", """x = tj.constant(np.linspace(-4, 4, 9))
with tj.GradientTape() as tape:
    tape.watch(x)
    y = tj.nn.sigmoid(x)
np.round(tape.gradient(y, x).numpy(), 4)"""),
    ("md", """## Python control flow
Branches and loops are ordinary Python: the tape records the path actually taken."""),
    ("code", """def clipped_square(v, limit=2.0):
    return v * v if abs(float(v)) < limit else limit * v

for value in (1.0, 3.0):
    v = tj.constant(value)
    with tj.GradientTape() as tape:
        tape.watch(v)
        out = clipped_square(v)
    print(value, float(tape.gradient(out, v)))"""),
    ("md", """## When the gradient is `None`, and why
`tape.explain(source, target)` names the reason and the line where the path broke. The usual
four: a variable replaced by a tensor, a detour through NumPy, an integer, and a stateful
update."""),
    ("code", """w = tj.Variable(2.0)
for step in range(2):
    with tj.GradientTape() as tape:
        y = w * w
    g = tape.gradient(y, w)
    print(step, type(w).__name__, g)
    if g is not None:
        w = w - 0.1 * g              # should be w.assign_sub(0.1 * g): w is a Tensor now
print(tape.explain(w, y))"""),
    ("code", """v = tj.Variable([[1.0, 2.0]])
with tj.GradientTape() as tape:
    as_numpy = np.asarray(v) * 2     # NumPy computes this: the tape never sees it
    y = tj.reduce_sum(tj.constant(as_numpy))
print(tape.gradient(y, v))
print(tape.explain(v, y))"""),
    ("code", """count = tj.constant(3)              # int32: integers have no gradient
with tj.GradientTape() as tape:
    tape.watch(count)
    y = count * count
print(tape.gradient(y, count))"""),
    ("code", """x0 = tj.Variable(3.0)
x1 = tj.Variable(0.0)
with tj.GradientTape() as tape:
    x1.assign_add(x0)                # a stateful update: the tape does not follow it
    y = x1 * x1
print(tape.gradient(y, x0))"""),
    ("md", """Unconnected sources can give zeros instead of `None`:"""),
    ("code", """a, b = tj.Variable(1.0), tj.Variable(2.0)
with tj.GradientTape() as tape:
    y = a * 3.0
tape.gradient(y, [a, b], unconnected_gradients=tj.UnconnectedGradients.ZERO)"""),
    ("md", """## The same code, compiled
Wrap the step in `tj.jit`: the tape inside is traced once, its backward pass derived as IR,
fused and compiled to one native kernel (notebook 02 looks inside)."""),
    ("code", """W = tj.Variable(np.ones((3, 2), np.float32))

@tj.jit
def grad_step(x):
    with tj.GradientTape() as tape:
        loss = tj.reduce_sum(tj.math.tanh(x @ W) ** 2)
    return loss, tape.gradient(loss, W)

loss, g = grad_step(np.array([[1.0, 2.0, 3.0]], np.float32))
with tj.GradientTape() as tape:
    eager_loss = tj.reduce_sum(tj.math.tanh(tj.constant([[1.0, 2.0, 3.0]]) @ W) ** 2)
print(float(loss), float(eager_loss))
print(np.abs(g.numpy() - tape.gradient(eager_loss, W).numpy()).max())"""),
]

JIT_AND_IR = [
    ("md", """# 02 · jit and the IR

`tj.jit` traces a function into a typed SSA program of primitives, derives the backward program
by linearizing and transposing, optimizes and fuses it, and generates one Numba kernel. Every
stage can be printed."""),
    ("code", """import numpy as np
import tapejit as tj

def loss(w, x):
    return tj.reduce_mean(tj.math.tanh(x @ w) ** 2)

step = tj.jit(tj.value_and_grad(loss))
w = np.full((3, 2), 0.1, np.float32)
x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
value, grad = step(w, x)
float(value), grad.shape"""),
    ("md", """## The traced program
Each line is one primitive with its typed inputs and outputs; the tape inside
`value_and_grad` has already appended the backward equations."""),
    ("code", """lowered = step.lower(w, x)
print(lowered.traced)"""),
    ("md", """## Optimized and fused
The passes remove dead and duplicated work and simplify; fusion then groups the elementwise
and reduction equations of one loop shape into `fused` equations whose body is a program."""),
    ("code", """print(lowered.fused)"""),
    ("md", """## The kernel
The generated source keeps each equation as a comment above its lines. Sizes come from the
table `S`, so a new batch size reuses this kernel."""),
    ("code", """print(lowered.source[:2500])"""),
    ("code", """step(w, np.ones((7, 3), np.float32))          # another batch size: traced again
print(step.cache_info())
print(step.lower(w, np.ones((7, 3), np.float32)).source == lowered.source)"""),
    ("md", """## The forward, linear and transposed programs of one function
`tj.make_ir` shows the IR of a function; `tj.jvp` and `tj.vjp` are the two directions."""),
    ("code", """print(tj.make_ir(lambda a: tj.math.sin(a) * a)(1.0))
print(tj.jvp(lambda a: tj.math.sin(a) * a, (1.0,), (1.0,)))
print(tj.vjp(lambda a: tj.math.sin(a) * a, 1.0)[1](1.0))"""),
    ("md", """## Checking the compiled kernel against eager execution
`check=True` runs both and names the first equation whose values differ."""),
    ("code", """checked = tj.jit(loss, check=True)
print(float(checked(w, x)), float(loss(tj.constant(w), tj.constant(x))))"""),
    ("md", """## Finding where a NaN starts
With `debug_nans` on, the kernel is recompiled to keep every intermediate, and the first
equation that turned finite inputs into NaN or inf is named with its source line."""),
    ("code", """def unstable(a):
    return tj.reduce_sum(tj.math.log(a) * a)

tj.config.update("debug_nans", True)
try:
    tj.jit(tj.grad(unstable))(np.array([1.0, 0.0, 2.0]))
except Exception as error:
    print(type(error).__name__, str(error)[:400])
finally:
    tj.config.update("debug_nans", False)"""),
    ("md", """## Numbers you can trust
Kernels compile without fast-math and sum in NumPy's pairwise order, so a jitted sum equals
NumPy's bit for bit."""),
    ("code", """data = np.random.default_rng(0).standard_normal(100_000)
print(float(tj.jit(lambda a: tj.reduce_sum(a * 1.0))(data)) == float(np.sum(data)))"""),
]

NOTEBOOKS = {"01_gradient_tape.ipynb": GRADIENT_TAPE, "02_jit_and_ir.ipynb": JIT_AND_IR,
             "03_training.ipynb": TRAINING, "04_control_flow_and_vmap.ipynb": CONTROL,
             "05_benchmarks.ipynb": BENCHMARKS}


def build(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(text) if kind == "md"
                else nbformat.v4.new_code_cell(text) for kind, text in cells]
    return nb


def main(names: list[str]) -> None:
    for name, cells in NOTEBOOKS.items():
        if names and name not in names:
            continue
        nb = build(cells)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main(sys.argv[1:])
