"""The main job (`python -m tapejit`): the digits training run on a few steps, eager and jit
alike and traced once; its augmentation, progress bar, plot and step summary; the message when
the examples extra is missing; `python -m tapejit demo`. scikit-learn and matplotlib are in the
test extra."""

import io
import time

import numpy as np
import pytest

from tapejit.examples import cli, digits, report

pytestmark = pytest.mark.xdist_group("digits_cnn")  # one worker compiles the CNN step once


@pytest.fixture(scope="module")
def data():
    return digits.load_digits()


def test_the_data_are_8x8x1_images_in_0_1_with_a_stratified_held_out_fifth(data):
    assert data.x_train.shape == (1437, 8, 8, 1) and data.x_test.shape == (360, 8, 8, 1)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() < data.x_train.max() == 1
    assert np.bincount(data.y_test).min() >= 35 and set(data.y_train) == set(range(10))


def test_shift_images_moves_each_image_by_at_most_one_pixel_with_zeros_shifted_in():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(50, 8, 8, 1)).astype(np.float32)
    shifted = digits.shift_images(images, np.random.default_rng(1))
    for image, moved in zip(images, shifted):
        matches = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
                matches.append(np.array_equal(moved, padded[1 - dy:9 - dy, 1 - dx:9 - dx]))
        assert sum(matches) == 1
    assert not np.array_equal(shifted, images)


def test_a_short_run_lowers_the_loss_traces_once_and_equals_the_eager_run(data):
    steps = 30
    runs = {}
    for jit in (False, True):
        trainer = digits.make_trainer(steps, jit=jit, seed=3)
        losses = []
        history = digits.train(trainer, data, epochs=2, seed=3, max_steps=steps,
                               on_batch=lambda e, i, c, loss, s, losses=losses:
                               losses.append(loss))
        runs[jit] = trainer, history, losses
    (eager, eager_history, eager_losses), (jitted, history, losses) = runs[False], runs[True]
    assert len(losses) == steps and losses[-1] < 0.7 * losses[0]  # running epoch means
    np.testing.assert_allclose(losses, eager_losses, rtol=2e-4)
    np.testing.assert_allclose(history.test_accuracy, eager_history.test_accuracy, atol=0.01)
    assert jitted.step.cache_info().misses == 1 and jitted.step.cache_info().hits == steps - 1
    assert history.train_accuracy[-1] > max(0.3, history.train_accuracy[0])
    for got, want in zip(jitted.model.get_weights(), eager.model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    names = [v.name for v in jitted.model.variables]
    assert "digits/batch_normalization/moving_mean:0" in names
    assert "digits/dense/kernel:0" in names


def test_the_report_pieces(data, tmp_path):
    trainer = digits.make_trainer(10, seed=0)
    stream = io.StringIO()
    bar = report.ProgressBar(epochs=2, every=1, stream=stream)
    history = digits.train(trainer, data, epochs=2, on_batch=bar)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch   2/2 [####")
    assert "loss" in lines[1] and lines[1].endswith("samples/s")
    assert report.seconds_per_step(trainer, data, steps=3) > 0
    summary = report.step_summary(trainer, data)
    assert "dot_general" in summary and "Numba kernel" in summary
    assert f"retraces: 1 trace for {trainer.step.cache_info().hits + 1} calls" in summary
    path = report.save_curves(history, str(tmp_path / "curves.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_waiting_for_the_kernel_says_so_only_when_it_takes_a_while():
    class Compiling:
        def __init__(self, seconds):
            self.seconds = seconds

        def wait(self):
            time.sleep(self.seconds)

    stream = io.StringIO()
    assert report.wait_for_kernel(lambda x: x, stream) == 0.0
    assert report.wait_for_kernel(Compiling(0.0), stream) < 0.5
    assert stream.getvalue() == ""
    waited = report.wait_for_kernel(Compiling(1.2), stream, quiet_for=0.2)
    lines = stream.getvalue().splitlines()
    assert waited >= 1.2 and len(lines) == 2
    assert lines[0].startswith("waiting for the step's own kernel")
    assert lines[1].startswith("the kernel is ready after 1.")


def test_a_missing_extra_is_a_message_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setitem(cli.EXTRAS, "no_such_module_for_tapejit", "no-such-package")
    assert cli.main([]) == 1
    out = capsys.readouterr().out
    assert "no-such-package is not installed" in out and 'pip install ".[examples]"' in out
    assert "python -m tapejit demo" in out


def test_the_demo_subcommand_runs_the_tape_walkthrough(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "backward IR" in out and "matches the tape" in out
