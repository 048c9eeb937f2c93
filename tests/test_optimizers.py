"""tj.optimizers against hand-written NumPy updates with Keras 3's formulas (three float64
steps), schedules against their formulas, jit against eager, functional form against classes."""

import math

import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.split import PartsKernel
from tapejit.optimizers import functional, schedules

RNG = np.random.default_rng(7)
W0 = [RNG.normal(size=3), RNG.normal(size=(2, 2))]
GRADS = [[RNG.normal(size=3) * 2, RNG.normal(size=(2, 2))] for _ in range(3)]


def _clip(grads, hp):
    if "clipnorm" in hp:
        c = hp["clipnorm"]
        return [g * c / max(np.sqrt(np.sum(g * g)), c) for g in grads]
    if "global_clipnorm" in hp:
        c = hp["global_clipnorm"]
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        return [g * (c * min(1 / norm, 1 / c)) for g in grads]
    if "clipvalue" in hp:
        return [np.clip(g, -hp["clipvalue"], hp["clipvalue"]) for g in grads]
    return grads


def _sgd(g, s, lr, t, momentum=0.0, nesterov=False, **_):
    if not momentum:
        return -lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return momentum * s["m"] - lr * g if nesterov else s["m"]


def _adam(g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **_):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    v = s["vhat"] = np.maximum(s.get("vhat", 0.0), s["v"]) if amsgrad else s["v"]
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return -alpha * s["m"] / (np.sqrt(v) + epsilon)


def _rmsprop(g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **_):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    step = lr * g / np.sqrt(denominator)
    if momentum:
        s["m"] = momentum * s.get("m", 0.0) + step
        return -s["m"]
    return -step


def _adagrad(g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7, **_):
    s["acc"] = s.get("acc", initial_accumulator_value) + g * g
    return -lr * g / np.sqrt(s["acc"] + epsilon)


RULES = {"SGD": (_sgd, 0.01), "Adam": (_adam, 0.001), "AdamW": (_adam, 0.001),
         "RMSprop": (_rmsprop, 0.001), "Adagrad": (_adagrad, 0.001)}


def _reference(name, hp, steps=3):
    rule, default_lr = RULES[name]
    lr = hp.get("learning_rate", default_lr)
    decay = hp.get("weight_decay", 0.004 if name == "AdamW" else None)
    ws, states = [w.copy() for w in W0], [{} for _ in W0]
    for t in range(1, steps + 1):
        grads = _clip(GRADS[t - 1], hp)
        for i, g in enumerate(grads):
            if decay:
                ws[i] = ws[i] - ws[i] * decay * lr
            ws[i] = ws[i] + rule(g, states[i], lr, t, **hp)
    return ws


CASES = [
    ("SGD", {}), ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("Adam", {}), ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "beta_1": 0.5, "epsilon": 1e-3, "global_clipnorm": 1.0}),
    ("AdamW", {}), ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.2, "clipvalue": 0.3}),
    ("RMSprop", {}), ("RMSprop", {"learning_rate": 0.1, "centered": True}),
    ("RMSprop", {"learning_rate": 0.1, "momentum": 0.5, "centered": True, "rho": 0.7}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.5, "initial_accumulator_value": 1.0, "epsilon": 1e-2}),
]
IDS = [f"{name}-{'-'.join(hp) or 'defaults'}" for name, hp in CASES]


def _variables():
    return [tj.Variable(W0[0].copy(), name="dense/bias"),
            tj.Variable(W0[1].copy(), name="dense/kernel")]


@pytest.mark.parametrize(("name", "hp"), CASES, ids=IDS)
def test_three_steps_match_numpy(name, hp):
    opt = getattr(tj.optimizers, name)(**hp)
    variables = _variables()
    for grads in GRADS:
        assert opt.apply_gradients(zip(grads, variables)) is opt.iterations
    for var, expected in zip(variables, _reference(name, hp)):
        np.testing.assert_allclose(var.numpy(), expected, rtol=1e-13, atol=1e-15)
    assert int(opt.iterations.numpy()) == 3


@pytest.mark.parametrize(("name", "hp"), CASES, ids=IDS)
def test_functional_form_matches_the_class(name, hp):
    transform = getattr(functional, name.lower())(**hp)
    params = {"bias": W0[0].copy(), "kernel": W0[1].copy()}
    state = transform.init(params)
    for grads in GRADS:
        updates, state = transform.update({"bias": grads[0], "kernel": grads[1]}, state, params)
        params = functional.apply_updates(params, updates)
    expected = _reference(name, hp)
    np.testing.assert_allclose(params["bias"].numpy(), expected[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(params["kernel"].numpy(), expected[1], rtol=1e-13, atol=1e-15)
    assert int(state.count.numpy()) == 3


def test_keras_defaults():
    assert (tj.optimizers.SGD().momentum, tj.optimizers.SGD().nesterov) == (0.0, False)
    adam = tj.optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert tj.optimizers.AdamW().weight_decay == 0.004
    rms = tj.optimizers.RMSprop()
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)
    assert tj.optimizers.Adagrad().initial_accumulator_value == 0.1
    lrs = {name: float(getattr(tj.optimizers, name)().learning_rate.numpy()) for name in RULES}
    assert lrs == {"SGD": 0.01, "Adam": 0.001, "AdamW": 0.001, "RMSprop": 0.001,
                   "Adagrad": 0.001}


def test_slot_variables_are_named_after_their_variable_as_in_keras_3():
    layer = tj.layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    opt = tj.optimizers.Adam(amsgrad=True)
    opt.minimize(lambda: tj.reduce_sum(layer(np.ones((1, 3), np.float32))),
                 layer.trainable_variables)
    names = [v.name for v in opt.variables]
    assert names == ["iteration:0", "learning_rate:0", "dense_kernel_momentum:0",
                     "dense_kernel_velocity:0", "dense_kernel_velocity_hat:0",
                     "dense_bias_momentum:0", "dense_bias_velocity:0",
                     "dense_bias_velocity_hat:0"]
    assert all(v.dtype == np.float32 for v in opt.variables[2:])
    acc = tj.optimizers.Adagrad()
    var = tj.Variable(np.zeros(2), name="w")
    acc.apply_gradients([(np.ones(2), var)])
    np.testing.assert_array_equal(acc.variables[-1].numpy(), [1.1, 1.1])


def test_minimize_steps_on_the_loss():
    var = tj.Variable(10.0)
    tj.optimizers.RMSprop(learning_rate=0.1).minimize(lambda: var ** 2 / 2.0, [var])
    expected = 10.0 - 0.1 * 10.0 / math.sqrt(0.1 * 100.0 + 1e-7)
    np.testing.assert_allclose(float(var.numpy()), expected, rtol=1e-6)


def test_none_gradients_are_skipped_but_not_all_of_them():
    a, b = tj.Variable(np.ones(2)), tj.Variable(np.ones(2))
    opt = tj.optimizers.SGD(0.5)
    opt.apply_gradients([(None, a), (np.ones(2), b)])
    np.testing.assert_array_equal(a.numpy(), [1, 1])
    np.testing.assert_array_equal(b.numpy(), [0.5, 0.5])
    with pytest.raises(ValueError, match="no gradient was given"):
        opt.apply_gradients([(None, a)])


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5,
                                          staircase=staircase)
    for step in range(8):
        exponent = step // 3 if staircase else step / 3
        np.testing.assert_allclose(float(schedule(step)), 0.1 * 0.5 ** exponent, rtol=1e-15)


def _cosine(step, peak, decay_steps, alpha):
    step = min(step, decay_steps)
    return peak * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)


def test_cosine_decay_with_and_without_warmup():
    plain = schedules.CosineDecay(0.2, decay_steps=5, alpha=0.1)
    for step in range(9):
        np.testing.assert_allclose(float(plain(step)), _cosine(step, 0.2, 5, 0.1), rtol=1e-14)
    warm = schedules.CosineDecay(0.0, decay_steps=4, alpha=0.25, warmup_target=1.0,
                                 warmup_steps=3)
    for step in range(10):
        expected = step / 3 if step < 3 else _cosine(step - 3, 1.0, 4, 0.25)
        np.testing.assert_allclose(float(warm(step)), expected, rtol=1e-14, atol=1e-16)


def test_an_optimizer_evaluates_its_schedule_at_iterations():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt, var = tj.optimizers.SGD(schedule), tj.Variable(np.zeros(2))
    for _ in range(3):
        opt.apply_gradients([(np.ones(2), var)])
    np.testing.assert_allclose(var.numpy(), -(0.1 + 0.05 + 0.025) * np.ones(2), rtol=1e-15)
    np.testing.assert_allclose(float(opt.learning_rate), 0.0125, rtol=1e-15)


def test_a_plain_callable_learning_rate_takes_no_arguments_as_in_keras_3():
    rates = iter([0.5, 0.25])
    opt, var = tj.optimizers.SGD(lambda: next(rates)), tj.Variable(np.zeros(1))
    opt.apply_gradients([(np.ones(1), var)])
    opt.apply_gradients([(np.ones(1), var)])
    np.testing.assert_array_equal(var.numpy(), [-0.75])


def test_the_functional_form_takes_a_schedule_on_the_count_and_any_pytree():
    transform = functional.sgd(schedules.ExponentialDecay(1.0, 1, 0.5), momentum=0.5)
    params = [np.zeros(2), (np.zeros(()),)]
    state = transform.init(params)
    for _ in range(2):
        updates, state = transform.update([np.ones(2), (np.ones(()),)], state)
        params = functional.apply_updates(params, updates)
    assert isinstance(params, list) and isinstance(params[1], tuple)
    np.testing.assert_array_equal(params[0].numpy(), [-2.0, -2.0])
    assert float(params[1][0].numpy()) == -2.0


def _training(jitted):
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    kernel = tj.Variable(W0[1][:1].repeat(3, 0)[:, :2].copy() + np.eye(3, 2), name="k")
    schedule = schedules.CosineDecay(0.01, decay_steps=3, warmup_target=0.1, warmup_steps=2)
    opt = tj.optimizers.Adam(schedule, amsgrad=True, global_clipnorm=1.0)

    def step(x):
        with tj.GradientTape() as tape:
            loss = tj.reduce_sum(tj.matmul(x, kernel) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [kernel]), [kernel]))
        return loss

    step = tj.jit(step) if jitted else step
    losses = [float(step(x)) for _ in range(5)]
    return losses, kernel.numpy(), step, opt


def test_a_jitted_adam_step_with_a_schedule_traces_once_and_equals_eager():
    eager_losses, eager_kernel, _, _ = _training(jitted=False)
    losses, kernel, step, opt = _training(jitted=True)
    assert step.cache_info().misses == 1
    executable = next(iter(step._cache.values())).executable
    assert executable.compiled and not isinstance(executable.kernel, PartsKernel)  # one kernel
    assert int(opt.iterations.numpy()) == 5
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    np.testing.assert_allclose(kernel, eager_kernel, rtol=1e-12)


def test_setting_the_learning_rate_does_not_retrace():
    var, opt = tj.Variable(np.zeros(2)), tj.optimizers.SGD(1.0)

    @tj.jit
    def step(g):
        opt.apply_gradients([(g, var)])
        return var.read()

    step(np.ones(2))
    opt.learning_rate = 0.25
    np.testing.assert_array_equal(step(np.ones(2)).numpy(), [-1.25, -1.25])
    assert step.cache_info().misses == 1


def test_the_functional_form_under_jit_equals_eager():
    transform = functional.adam(0.1, clipnorm=0.5)
    params = {"w": W0[1].copy()}

    def train(params, state, grads):
        updates, state = transform.update(grads, state, params)
        return functional.apply_updates(params, updates), state

    jitted = tj.jit(train)
    eager_p, eager_s, jit_p, jit_s = params, transform.init(params), params, transform.init(params)
    for grads in GRADS:
        eager_p, eager_s = train(eager_p, eager_s, {"w": grads[1]})
        jit_p, jit_s = jitted(jit_p, jit_s, {"w": grads[1]})
    np.testing.assert_allclose(jit_p["w"].numpy(), eager_p["w"].numpy(), rtol=1e-13)
    np.testing.assert_allclose(jit_p["w"].numpy(), _reference("Adam", {
        "learning_rate": 0.1, "clipnorm": 0.5})[1], rtol=1e-13)
    assert jitted.cache_info().misses == 1


def test_clip_by_global_norm_has_tfs_signature():
    a, b = np.array([3.0, 0.0]), np.array([[0.0, 4.0]])
    clipped, norm = tj.clip_by_global_norm([a, None, b], 2.5)
    assert clipped[1] is None and float(norm) == 5.0
    np.testing.assert_allclose(clipped[0].numpy(), a / 2)
    np.testing.assert_allclose(clipped[2].numpy(), b / 2)
    unchanged, _ = tj.clip_by_global_norm([a], 10.0)
    np.testing.assert_array_equal(unchanged[0].numpy(), a)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: tj.optimizers.SGD(-0.1), "learning_rate=-0.1 is invalid"),
    (lambda: tj.optimizers.Adam(lr=0.1), "unknown argument(s) ['lr']"),
    (lambda: tj.optimizers.SGD(momentum=1.5), "momentum=1.5"),
    (lambda: tj.optimizers.Adam(beta_1=1.0), "beta_1=1.0"),
    (lambda: tj.optimizers.RMSprop(clipnorm=1.0, clipvalue=1.0), "only one of clipnorm"),
    (lambda: tj.optimizers.Adagrad(initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda: tj.optimizers.AdamW(weight_decay=None), "AdamW needs weight decay"),
    (lambda: tj.optimizers.SGD(clipnorm=0.0), "clipnorm=0.0"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps=0"),
    (lambda: functional.sgd(0.1, weight_decay=0.1).update([np.ones(1)], functional.sgd(
        0.1).init([np.ones(1)])), "weight decay needs the parameters"),
])
def test_bad_hyper_parameters_raise_clear_errors(make, message):
    with pytest.raises(tj.optimizers.HyperparameterError) as info:
        make()
    assert message in str(info.value) and "fix:" in str(info.value)
