"""MLP step: value_and_grad of a 784-512-10 relu network's mean softmax cross-entropy with
respect to both weight matrices and both biases, float32."""

from __future__ import annotations

import numpy as np

from benchmarks import peers
from benchmarks.first_tier import first_tier_step
from benchmarks.subject import Case, Subject

NAME = "mlp"
TITLE = "MLP 784-512-10 value_and_grad (relu, softmax cross-entropy, float32)"
BASELINE = "numpy"
PROCESS_REPEATS = 3  # fresh processes per library, in rounds (task.timed_tasks)
LIBRARIES = ("tapejit", "tapejit-first-tier", "numpy", "jax", "torch", "tensorflow",
             "autograd")
SIZES = (784, 512, 10)
BATCH = 256


def cases(options) -> list[Case]:
    step = Case(f"batch={options.batch}", {"batch": options.batch})
    if options.smoke:
        return [step]
    return [step, Case(f"batch={options.batch}, then a NumPy product",
                       {"batch": options.batch, "numpy_product": True})]


def make_params() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    d_in, hidden, d_out = SIZES
    return (rng.normal(0, d_in**-0.5, (d_in, hidden)).astype(np.float32),
            rng.normal(0, 0.1, hidden).astype(np.float32),
            rng.normal(0, hidden**-0.5, (hidden, d_out)).astype(np.float32),
            rng.normal(0, 0.1, d_out).astype(np.float32))


def make_batch(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2 + batch)
    x = rng.normal(0, 1, (batch, SIZES[0])).astype(np.float32)
    labels = np.eye(SIZES[2], dtype=np.float32)[rng.integers(0, SIZES[2], batch)]
    return x, labels


def input_bytes(params: dict) -> int:
    return sum(a.nbytes for a in make_params() + make_batch(params["batch"]))


def numpy_step(w1, b1, w2, b2, x, y):
    """Loss and gradients (w1, b1, w2, b2), backpropagated by hand."""
    h = x @ w1 + b1
    a = np.maximum(h, 0)
    z = a @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -(y * log_p).sum() / len(x)
    dz = (np.exp(log_p) - y) / len(x)
    dh = (dz @ w2.T) * (h > 0)
    return loss, (x.T @ dh, dh.sum(0), a.T @ dz, dz.sum(0))


def reference(params: dict):
    return numpy_step(*make_params(), *make_batch(params["batch"]))


LEARNING_RATE, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-7


def build(library: str, params: dict) -> Subject:
    if params.get("adam"):
        return _adam_subject(library, params["batch"])
    make_step = _STEPS[library]
    step, convert, note = make_step()
    weights = convert(make_params(), True)
    subject = _subject(step, weights, convert, params["batch"], note, library == "tapejit")
    return _then_numpy_product(subject, params["batch"]) if params.get("numpy_product") \
        else subject


def _then_numpy_product(subject: Subject, batch: int) -> Subject:
    """Each step followed by x @ w1 in NumPy, as a loop that also evaluates in NumPy does: a
    library whose products run on another BLAS than NumPy's has two thread pools taking
    turns on the cores."""
    x, w1 = make_batch(batch)[0], make_params()[0]

    def run():
        result = subject.run()
        x @ w1
        return result
    return Subject(run, jitted=subject.jitted, args=subject.args,
                   note="; ".join(filter(None, (subject.note, "then x @ w1 in NumPy"))))


def _subject(step, weights, convert, batch: int, note: str, jitted: bool) -> Subject:
    args = tuple(weights) + tuple(convert(make_batch(batch), False))
    return Subject(lambda: step(*args), jitted=step if jitted else None, args=args,
                   rebatch=lambda b: _subject(step, weights, convert, b, note, jitted),
                   note=note)


def _same(arrays, trainable: bool):
    return arrays


def _tj_value_and_grad(tj):
    def loss(w1, b1, w2, b2, x, y):
        logits = tj.nn.relu(x @ w1 + b1) @ w2 + b2
        return tj.reduce_mean(tj.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return tj.value_and_grad(loss, argnums=(0, 1, 2, 3))


def _tapejit():
    import tapejit as tj  # each library loads only in the process that measures it

    return tj.jit(_tj_value_and_grad(tj)), _same, ""


def _tapejit_first_tier():
    import tapejit as tj

    return (first_tier_step(_tj_value_and_grad(tj)), _same,
            "every call on the first tier: shared kernels, equation by equation")


def _numpy():
    return numpy_step, _same, "forward and backward written by hand"


def _jax_loss(jax):
    jnp = jax.numpy

    def loss(w1, b1, w2, b2, x, y):
        logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))
    return loss


def _jax():
    jax = peers.load("jax")
    f = jax.jit(jax.value_and_grad(_jax_loss(jax), argnums=(0, 1, 2, 3)))
    return (lambda *a: jax.block_until_ready(f(*a)), _jax_arrays,
            "jax.jit(jax.value_and_grad), blocked")


def _jax_arrays(arrays, trainable: bool):
    jnp = peers.load("jax").numpy
    return [jnp.asarray(a) for a in arrays]


def _torch():
    torch = peers.load("torch")
    functional = torch.nn.functional

    def step(w1, b1, w2, b2, x, y):
        logits = functional.relu(x @ w1 + b1) @ w2 + b2
        loss = -(y * functional.log_softmax(logits, dim=1)).sum(1).mean()
        return loss, torch.autograd.grad(loss, (w1, b1, w2, b2))

    def convert(arrays, trainable: bool):
        return [torch.from_numpy(a).requires_grad_(trainable) for a in arrays]
    return step, convert, "eager autograd.grad"


def _tensorflow():
    tf = peers.load("tensorflow")

    @tf.function
    def step(w1, b1, w2, b2, x, y):
        with tf.GradientTape() as tape:
            tape.watch([w1, b1, w2, b2])
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits))
        return loss, tape.gradient(loss, [w1, b1, w2, b2])
    return step, lambda arrays, _: [tf.constant(a) for a in arrays], "tf.function + GradientTape"


def _autograd():
    peers.load("autograd")
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    def loss(weights, x, y):
        w1, b1, w2, b2 = weights
        logits = anp.maximum(x @ w1 + b1, 0) @ w2 + b2
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(anp.sum(y * log_p, axis=1))
    f = autograd.value_and_grad(loss)
    return lambda w1, b1, w2, b2, x, y: f((w1, b1, w2, b2), x, y), _same, ""


def adam_update(grads, weights, moments, sqrt):
    """One Adam step from zero moments (Keras's defaults, the step count 1): the new weights,
    first moments and second moments, in the array library whose `sqrt` is given."""
    firsts = [BETA1 * m + (1 - BETA1) * g for m, g in zip(moments[:4], grads)]
    seconds = [BETA2 * v + (1 - BETA2) * g * g for v, g in zip(moments[4:], grads)]
    new = [w - LEARNING_RATE * (m / (1 - BETA1)) / (sqrt(v / (1 - BETA2)) + EPSILON)
           for w, m, v in zip(weights, firsts, seconds)]
    return (*new, *firsts, *seconds)


def adam_step(value_and_grad, sqrt):
    """The MLP step with Adam: (w1, b1, w2, b2, eight moments, x, y) -> (loss, new weights,
    new moments), written once for every library."""
    def step(*args):
        weights, moments, (x, y) = args[:4], args[4:12], args[12:]
        loss, grads = value_and_grad(*weights, x, y)
        return (loss, *adam_update(grads, weights, moments, sqrt))
    return step


def numpy_adam_step(*args):
    loss, grads = numpy_step(*args[:4], *args[12:])
    return (loss, *adam_update(grads, args[:4], args[4:12], np.sqrt))


def _adam_subject(library: str, batch: int) -> Subject:
    """The Adam step on the weights and zero moments; a new batch size reuses the step."""
    if library not in _ADAM_STEPS:
        raise ValueError(f"no Adam step for {library}; the adam case runs {tuple(_ADAM_STEPS)}")
    step, convert, note = _ADAM_STEPS[library]()
    weights = make_params()
    state = convert(weights + tuple(np.zeros_like(w) for w in weights) * 2, True)
    return _subject(step, state, convert, batch, note, library == "tapejit")


def _tapejit_adam():
    import tapejit as tj

    return (tj.jit(adam_step(_tj_value_and_grad(tj), tj.math.sqrt)), _same,
            "tj.jit of value_and_grad and Adam")


def _jax_adam():
    jax = peers.load("jax")
    f = jax.jit(adam_step(jax.value_and_grad(_jax_loss(jax), argnums=(0, 1, 2, 3)),
                          jax.numpy.sqrt))
    return (lambda *a: jax.block_until_ready(f(*a)), _jax_arrays,
            "jax.jit of value_and_grad and Adam, blocked")


_STEPS = {"tapejit": _tapejit, "tapejit-first-tier": _tapejit_first_tier, "numpy": _numpy,
          "jax": _jax, "torch": _torch, "tensorflow": _tensorflow, "autograd": _autograd}
_ADAM_STEPS = {"tapejit": _tapejit_adam, "jax": _jax_adam}
ADAM_LIBRARIES = tuple(_ADAM_STEPS)
"""Libraries with an Adam step (the compile workload's `adam` case)."""
