"""`python -m tapejit demo`: a short tour — record a tape, show its forward and backward IR and
the gradient, check it against finite differences, show why an unwatched source gets None, then
jit-compile the same gradient into a fused kernel."""

from __future__ import annotations

import time

import numpy as np

import tapejit as tj


def _banner(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def main() -> None:
    w = tj.Variable(np.array([[0.5, -0.3], [0.8, 0.1], [-0.2, 0.4]], np.float32), name="w")
    b = tj.Variable(np.zeros(2, np.float32), name="b")
    x = tj.constant([[1.0, 2.0, 3.0]])
    frozen = tj.Variable(1.0, name="frozen", trainable=False)

    with tj.GradientTape(persistent=True) as tape:
        y = tj.nn.softplus(x @ w + b) * frozen
        loss = tj.reduce_mean(y**2)

    _banner("loss")
    print(repr(loss))
    ir = tape.lower(loss, [w, b])
    _banner("forward IR (recorded by the tape)")
    print(ir.forward)
    _banner("backward IR (linearize + transpose)")
    print(ir.backward)

    dw, db, dfrozen = tape.gradient(loss, [w, b, frozen])
    _banner("gradients")
    print(f"d loss/d {w.name} =\n{dw.numpy()}")
    print(f"d loss/d {b.name} = {db.numpy()}")
    print(f"d loss/d {frozen.name} = {dfrozen}")
    print("why:", tape.explain(frozen, loss))

    _banner("check against central finite differences (float64)")
    f = lambda w64: tj.reduce_mean(tj.nn.softplus(np.float64(x.numpy()) @ w64) ** 2)
    error = tj.testing.check_grads(f, (w.numpy().astype(np.float64),), order=2)
    print(f"first and second derivatives match; largest relative error {error:.2e}")
    print(f"the tape holds {tape.residuals().count} values ({tape.residuals().nbytes} bytes)")

    _banner("the same gradient, jit-compiled into one fused Numba kernel")
    step = tj.jit(tj.value_and_grad(lambda w: tj.reduce_mean(tj.nn.softplus(x @ w + b) ** 2)))
    start = time.perf_counter()
    value, grad = step(w.numpy())
    print(f"first call (trace, fuse, compile or load from disk): "
          f"{(time.perf_counter() - start) * 1e3:.0f} ms")
    lowered = step.lower(w.numpy())
    print(lowered.fused)
    print("\n".join(lowered.source.splitlines()[-12:]))
    np.testing.assert_allclose(grad.numpy(), dw.numpy(), rtol=1e-5)
    calls = 2000
    start = time.perf_counter()
    for _ in range(calls):
        step(w.numpy())
    per_call = (time.perf_counter() - start) / calls
    print(f"jitted value and gradient: {per_call * 1e6:.1f} us per call; matches the tape")


if __name__ == "__main__":
    main()
