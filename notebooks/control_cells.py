"""The cells of 04_control_flow_and_vmap.ipynb (built by make_notebooks.py): loops and
branches staged as one equation, their derivatives, custom derivatives, checkpointing,
rerolled Python loops, vmap, per-example gradients and flat hessians."""

CONTROL = [
    ("md", """# 04 · Control flow, custom derivatives and vmap

Eagerly, `tj.lax.scan`, `fori_loop`, `while_loop`, `cond` and `switch` run as Python control
flow, so a tape records each step. Under `tj.jit` (or any trace) they stage **one** equation
whose body is a sub-program: a loop is traced once, whatever its trip count, and becomes a
loop in the Numba kernel."""),
    ("code", """import matplotlib.pyplot as plt
import numpy as np

import tapejit as tj"""),
    ("md", """## A scan and its derivative
A small recurrent cell: the carry `h` goes through `tanh(h * w + x)` for every row of `xs`.
`tj.make_ir` shows the one `scan` equation and its body."""),
    ("code", """def rnn_loss(w, xs):
    def step(h, x):
        h = tj.math.tanh(h * w + x)
        return h, tj.reduce_sum(h * h)
    h, per_step = tj.lax.scan(step, tj.zeros_like(w), xs)
    return tj.reduce_sum(h) + tj.reduce_sum(per_step)

w = np.array([0.5, -0.2, 0.8])
xs = np.linspace(-1, 1, 30).reshape(10, 3)
print(tj.make_ir(rnn_loss)(w, xs))"""),
    ("md", """Reverse mode splits the body's derivative: a *known* scan recomputes the carries and
stacks what the backward pass needs, and a *linear* scan runs backward over it. The optimizer
then merges the known scan with the forward one, so the compiled gradient runs the loop once
forward and once backward."""),
    ("code", """grad = tj.jit(tj.grad(rnn_loss))
print(grad(w, xs))
eager = tj.grad(rnn_loss)(tj.constant(w), tj.constant(xs))   # Python loop on a tape
print(np.max(np.abs(grad(w, xs).numpy() - eager.numpy())))
print([e.prim.name for e in grad.lower(w, xs).fused.eqns])"""),
    ("md", """## Compile time does not grow with the trip count
`fori_loop` with Python-int bounds is a scan; the kernel's source is the same for 10 or
10 000 steps (the trip count is a runtime size)."""),
    ("code", """def integrate(k, y0, steps):
    f = lambda i, y: y + 0.01 * tj.stack([y[1], -k * y[0] - 0.1 * y[1]])
    return tj.reduce_sum(tj.lax.fori_loop(0, steps, f, y0) ** 2)

g = tj.jit(tj.grad(integrate), static_argnums=(2,))
y0 = np.array([1.0, 0.0])
same = g.lower(2.0, y0, 10).source == g.lower(2.0, y0, 10_000).source
print("same kernel source for 10 and 10 000 steps:", same)
for steps in (10, 100, 10_000):
    print(steps, float(g(2.0, y0, steps)))"""),
    ("md", """## Python loops are rolled back
A Python `for` loop under jit is unrolled by tracing; tapejit finds the repeated block (and
the repeated block of its backward pass) and rolls it back into a scan, with bitwise the same
results (`TAPEJIT_REROLL=0` turns it off)."""),
    ("code", """def integrate_python(k, y0):
    y = y0
    for _ in range(200):
        y = y + 0.01 * tj.stack([y[1], -k * y[0] - 0.1 * y[1]])
    return tj.reduce_sum(y * y)

lowered = tj.jit(tj.grad(integrate_python)).lower(2.0, np.array([1.0, 0.0]))
print(len(lowered.traced.eqns), "traced equations ->",
      [e.prim.name for e in lowered.optimized.eqns].count("scan"), "scans after rerolling")"""),
    ("md", """## Branches
`tj.lax.cond` / `switch` (JAX) and `tj.cond` (TensorFlow). Eagerly only the chosen branch
runs; under jit both are traced and the kernel branches."""),
    ("code", """def piecewise(x):
    return tj.lax.cond(tj.reduce_sum(x) > 0,
                       lambda a: tj.reduce_sum(a * a),
                       lambda a: tj.reduce_sum(tj.math.exp(a)), x)

for x in (np.array([0.5, 0.2]), np.array([-0.5, -0.2])):
    print(float(tj.jit(piecewise)(x)), tj.jit(tj.grad(piecewise))(x))"""),
    ("md", """## While loops
`tj.lax.while_loop` differentiates in both modes, though its trip count is known only when it
runs (JAX refuses reverse mode here): the backward pass keeps 128 snapshots of the carry and
recomputes each step's carry from the one before it (linear up to 128 iterations, quadratic
beyond). TensorFlow's `tj.while_loop` with `maximum_iterations` becomes a bounded scan under
jit, which stacks every step: linear time."""),
    ("code", """def grow(x):
    body = lambda v: v * 1.1 + 0.1                     # runs until |v|^2 passes 10
    return tj.reduce_sum(tj.lax.while_loop(lambda v: tj.reduce_sum(v * v) < 10.0, body, x))

print(tj.jit(tj.grad(grow))(np.array([0.5, 1.0])))"""),
    ("code", """def halvings(x):
    return tj.while_loop(lambda i, v: tj.reduce_max(tj.math.abs(v)) > 0.1,
                         lambda i, v: (i + 1, v * 0.5), [tj.constant(0), x],
                         maximum_iterations=20)

i, v = tj.jit(halvings)(np.array([3.0, -1.0]))
print(int(i), v)
print(tj.jit(tj.grad(lambda x: tj.reduce_sum(halvings(x)[1])))(np.array([3.0, -1.0])))"""),
    ("md", """## Custom derivatives and checkpointing
`tj.custom_jvp` / `tj.custom_vjp` (JAX) and `@tj.custom_gradient` (TensorFlow) replace a
function's derivative; `tj.checkpoint` (TF: `tj.recompute_grad`) stores only a block's
inputs and recomputes the rest in the backward pass."""),
    ("code", """@tj.custom_gradient
def log1pexp(x):
    e = tj.math.exp(x)
    return tj.math.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))

print(tj.grad(log1pexp)(tj.constant(100.0, tj.float64)))   # the plain formula gives NaN here

def chain(x, w):
    for _ in range(100):
        x = tj.math.tanh(x * w)
    return x

w = tj.constant(np.full(64, 0.9))
x = tj.constant(np.linspace(-1, 1, 64))
for name, fn in (("plain", chain), ("checkpoint", tj.checkpoint(chain))):
    with tj.GradientTape(persistent=True) as tape:
        tape.watch(w)
        out = tj.reduce_sum(fn(x, w))
    print(f"{name:10s} keeps {tape.residuals().nbytes:7d} bytes for the backward pass")"""),
    ("md", """## vmap and per-example gradients
`tj.vmap` traces a function on one example and batches its program with each primitive's
batching rule (loops and branches included). Per-example gradients are `vmap(grad(loss))`
with the weights shared (`in_axes=None`)."""),
    ("code", """rng = np.random.default_rng(0)
W = rng.standard_normal((3, 2))
X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
loss = lambda w, x, y: tj.reduce_sum((tj.matmul(x[None, :], w)[0] - y) ** 2)
per_example = tj.jit(tj.vmap(tj.grad(loss), in_axes=(None, 0, 0)))(W, X, Y)
print(per_example.shape)
print(np.allclose(per_example.numpy().sum(0),
                  tj.grad(lambda w: sum(loss(w, X[i], Y[i]) for i in range(5)))(W).numpy()))"""),
    ("md", """## Hessians stay the same size
`tj.hessian` is a batched (vmap) backward pass over one-hot directions, so its program does
not grow with the input size."""),
    ("code", """def rosenbrock(x):
    return tj.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

sizes, lengths = [4, 16, 64], []
for n in sizes:
    lengths.append(len(tj.make_ir(tj.hessian(rosenbrock))(np.full(n, 0.5)).eqns))
print(dict(zip(sizes, lengths)))
H = tj.jit(tj.hessian(rosenbrock))(np.full(16, 0.5)).numpy()
plt.imshow(H, cmap="RdBu")
plt.title("hessian of the 16-D Rosenbrock function")
plt.colorbar();"""),
]
