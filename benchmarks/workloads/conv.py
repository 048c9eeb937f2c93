"""LeNet-sized CNN step: value_and_grad of conv3x3(6)-relu-maxpool2-conv3x3(16)-relu-maxpool2-
dense(10) with mean softmax cross-entropy, with respect to all six weights, float32, batch 64,
on 8x8 and 28x28 single-channel inputs. 'same' padding, channels last (torch: NCHW)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import peers
from benchmarks.subject import Case, Subject

NAME = "conv"
TITLE = "LeNet-sized CNN value_and_grad (conv-pool-conv-pool-dense, float32, batch 64)"
BASELINE = "torch"
LIBRARIES = ("torch", "tapejit", "tapejit-serial", "jax", "numpy")
BATCH = 64
CLASSES = 10


def cases(options) -> list[Case]:
    return [Case(f"{n}x{n} batch={BATCH}", {"size": n, "batch": BATCH}) for n in (8, 28)]


def make_params(size: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    flat = (size // 4) ** 2 * 16
    return (rng.normal(0, 1 / 3, (3, 3, 1, 6)).astype(np.float32),
            rng.normal(0, 0.1, 6).astype(np.float32),
            rng.normal(0, 1 / np.sqrt(54), (3, 3, 6, 16)).astype(np.float32),
            rng.normal(0, 0.1, 16).astype(np.float32),
            rng.normal(0, flat ** -0.5, (flat, CLASSES)).astype(np.float32),
            rng.normal(0, 0.1, CLASSES).astype(np.float32))


def make_batch(size: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2 + size)
    x = rng.normal(0, 1, (batch, size, size, 1)).astype(np.float32)
    labels = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, batch)]
    return x, labels


def input_bytes(params: dict) -> int:
    return sum(a.nbytes for a in make_params(params["size"])
               + make_batch(params["size"], params["batch"]))


def _patches(x):
    """(N, H, W, C) -> (N, H, W, C, 3, 3): each position's 3x3 'same' neighbourhood."""
    return sliding_window_view(np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))), (3, 3), (1, 2))


def _conv_back(dy, patches, w, shape):
    dw = np.einsum("nhwcij,nhwf->ijcf", patches, dy)
    dx = np.zeros((shape[0], shape[1] + 2, shape[2] + 2, shape[3]), dy.dtype)
    for i in range(3):
        for j in range(3):
            dx[:, i:i + shape[1], j:j + shape[2]] += dy @ w[i, j].T
    return dx[:, 1:-1, 1:-1], dw, dy.sum((0, 1, 2))


def _pool(a):
    n, h, w, c = a.shape
    windows = a.reshape(n, h // 2, 2, w // 2, 2, c)
    out = windows.max((2, 4))
    return out, windows == out[:, :, None, :, None]


def _unpool(d, hits):
    n, h, _, w, _, c = hits.shape
    return (hits * d[:, :, None, :, None]).reshape(n, h * 2, w * 2, c)


def numpy_step(w1, b1, w2, b2, w3, b3, x, y):
    """Loss and the six gradients, backpropagated by hand (float64)."""
    p1 = _patches(x)
    h1 = np.einsum("nhwcij,ijcf->nhwf", p1, w1) + b1
    a1, hits1 = _pool(np.maximum(h1, 0))
    p2 = _patches(a1)
    h2 = np.einsum("nhwcij,ijcf->nhwf", p2, w2) + b2
    a2, hits2 = _pool(np.maximum(h2, 0))
    flat = a2.reshape(len(x), -1)
    z = flat @ w3 + b3
    z = z - z.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    loss = -(y * log_p).sum() / len(x)
    dz = (np.exp(log_p) - y) / len(x)
    da2 = (dz @ w3.T).reshape(a2.shape)
    dh2 = _unpool(da2, hits2) * (h2 > 0)
    da1, dw2, db2 = _conv_back(dh2, p2, w2, a1.shape)
    dh1 = _unpool(da1, hits1) * (h1 > 0)
    _, dw1, db1 = _conv_back(dh1, p1, w1, x.shape)
    return loss, (dw1, db1, dw2, db2, flat.T @ dz, dz.sum(0))


def reference(params: dict):
    arrays = make_params(params["size"]) + make_batch(params["size"], params["batch"])
    return numpy_step(*(a.astype(np.float64) for a in arrays))


def build(library: str, params: dict) -> Subject:
    step, convert, note = _STEPS[library]()
    args = tuple(convert(make_params(params["size"]), True)) + tuple(
        convert(make_batch(params["size"], params["batch"]), False))
    return Subject(lambda: step(*args), jitted=step if library.startswith("tapejit") else None,
                   args=args, note=note)


def _tapejit_serial():
    import tapejit as tj

    tj.config.update("parallel_convolutions", False)
    step, convert, _ = _tapejit()
    return step, convert, "TAPEJIT_PARALLEL_CONVOLUTIONS=0: the serial kernel only"


def _tapejit():
    import tapejit as tj  # each library loads only in the process that measures it

    def loss(w1, b1, w2, b2, w3, b3, x, y):
        a = tj.nn.max_pool2d(tj.nn.relu(tj.nn.conv2d(x, w1, 1, "SAME") + b1), 2, 2, "VALID")
        a = tj.nn.max_pool2d(tj.nn.relu(tj.nn.conv2d(a, w2, 1, "SAME") + b2), 2, 2, "VALID")
        logits = tj.reshape(a, (a.shape[0], -1)) @ w3 + b3
        return tj.reduce_mean(tj.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return (tj.jit(tj.value_and_grad(loss, argnums=(0, 1, 2, 3, 4, 5))),
            lambda arrays, _: arrays, "default: the threaded kernel, once compiled")


def _numpy():
    return numpy_step, lambda arrays, _: arrays, "forward and backward written by hand"


def _jax():
    jax = peers.load("jax")
    jnp, lax = jax.numpy, jax.lax
    dims = ("NHWC", "HWIO", "NHWC")

    def block(a, w, b):
        h = jax.nn.relu(lax.conv_general_dilated(a, w, (1, 1), "SAME",
                                                 dimension_numbers=dims) + b)
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss(w1, b1, w2, b2, w3, b3, x, y):
        a = block(block(x, w1, b1), w2, b2)
        logits = a.reshape(a.shape[0], -1) @ w3 + b3
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))
    f = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2, 3, 4, 5)))
    return (lambda *a: jax.block_until_ready(f(*a)),
            lambda arrays, _: [jnp.asarray(a) for a in arrays],
            "jax.jit(jax.value_and_grad), blocked")


def _torch():
    torch = peers.load("torch")
    functional = torch.nn.functional

    def step(w1, b1, w2, b2, w3, b3, x, y):
        a = functional.max_pool2d(functional.relu(functional.conv2d(x, w1, b1, padding=1)), 2)
        a = functional.max_pool2d(functional.relu(functional.conv2d(a, w2, b2, padding=1)), 2)
        logits = a.permute(0, 2, 3, 1).reshape(a.shape[0], -1) @ w3 + b3
        loss = -(y * functional.log_softmax(logits, dim=1)).sum(1).mean()
        g1, gb1, g2, gb2, g3, gb3 = torch.autograd.grad(loss, (w1, b1, w2, b2, w3, b3))
        return loss, (g1.permute(2, 3, 1, 0), gb1, g2.permute(2, 3, 1, 0), gb2, g3, gb3)

    def convert(arrays, trainable: bool):
        """Kernels HWIO -> OIHW and images NHWC -> NCHW, torch's layouts."""
        out = []
        for a in arrays:
            if a.ndim == 4:
                a = np.ascontiguousarray(a.transpose(3, 2, 0, 1) if trainable
                                         else a.transpose(0, 3, 1, 2))
            out.append(torch.from_numpy(a).requires_grad_(trainable))
        return out
    return step, convert, "eager autograd.grad, NCHW"


_STEPS = {"tapejit": _tapejit, "tapejit-serial": _tapejit_serial, "numpy": _numpy,
          "jax": _jax, "torch": _torch}
