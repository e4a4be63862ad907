import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.callbacks import diagnose_fit
from kerasnn.recipes import _common
from kerasnn.recipes import mnist
from kerasnn.recipes._common import run_main

# End-to-end runs of the recipe, on a tiny CNN (the tiny_recipes fixture).
# The recipes also run on JAX in test_packaging.py (a child Python pinned to
# JAX), so CI runs this module once, in the TensorFlow pass.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tiny_recipes")]


def _argv(tmp_path, data, *extra, out="out"):
    return ["--data", data, "--out", str(tmp_path / out), "--quiet",
            "--epochs", "1", "--batch-size", "32", "--seed", "0", *extra]


def _metrics(tmp_path, out="out"):
    with open(tmp_path / out / "metrics.json") as f:
        return json.load(f)


class _Stop(keras.callbacks.Callback):
    """Kills training at the end of epoch `at`, before its backup is written."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt("killed")


class _Poison(keras.callbacks.Callback):
    """Makes the weights NaN at the start of epoch `at`."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            kernel = self.model.get_layer("block1_conv1").kernel
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))


def test_run_writes_metrics_model_history_and_plots(tmp_path, write_npz,
                                                     capsys):
    data = write_npz(tmp_path / "data.npz")
    extra = write_npz(tmp_path / "extra.npz", n=40, keys=("x_test", "y_test"))
    assert mnist.main(_argv(tmp_path, data, "--eval-npz", extra)) == 0
    metrics = _metrics(tmp_path)
    assert metrics["status"] == "ok"
    assert metrics["n_train"] == 140 and metrics["n_val"] == 20
    assert metrics["n_test"] == 160 and metrics["n_eval"] == 40
    for key in ("test_accuracy", "eval_accuracy", "train_seconds",
                "learning_rate"):
        assert isinstance(metrics[key], float)
    assert metrics["learning_rate"] == 2e-3
    assert metrics["epochs_run"] == 1
    assert metrics["monitor_status"] == "healthy"
    out = tmp_path / "out"
    # The verdict is the plugin's, on the history the run wrote.
    history = pd.read_csv(out / "history.csv").to_dict("list")
    diagnosis = diagnose_fit(history)
    assert metrics["fit_diagnosis"] == {
        k: diagnosis[k] for k in ("status", "best_epoch", "advice")}
    assert sorted(os.listdir(out)) == [
        "gradient_norms.png", "history.csv", "history.png", "metrics.json",
        "model.keras"]
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert model.output_shape == (None, 10)
    assert "test accuracy" in capsys.readouterr().out


def test_the_embedded_data_is_keras_mnist_layout_and_split_stratified():
    x, y = _common.load_npz(_common.MNIST, "--data", ("x_train", "y_train"))
    assert x.shape == (5000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0  # pixels / 255
    x_tr, y_tr, x_val, y_val = _common.stratified_split(x, y, 0.1, seed=0)
    assert np.bincount(y_val).tolist() == [50] * 10
    assert len(y_tr) == 4500 and len(set(y_tr[:100])) == 10  # shuffled


def test_seed_makes_a_run_repeatable(tmp_path, write_npz):
    data = write_npz(tmp_path / "data.npz", n=80)
    for out in ("a", "b"):
        assert mnist.main(_argv(tmp_path, data, out=out)) == 0
        keras.backend.clear_session()
    a, b = _metrics(tmp_path, "a"), _metrics(tmp_path, "b")
    assert a["test_loss"] == b["test_loss"]
    assert a["test_accuracy"] == b["test_accuracy"]


def test_find_lr_trains_the_mlp_at_the_suggestion(tmp_path, write_npz):
    data = write_npz(tmp_path / "data.npz", n=80)
    assert mnist.main(_argv(tmp_path, data, "--find-lr", "--model", "mlp")) == 0
    metrics = _metrics(tmp_path)
    assert metrics["model"] == "mlp"
    assert metrics["learning_rate"] == metrics["lr_finder"]["suggestion"]
    assert (tmp_path / "out" / "lr_finder.png").exists()


def test_a_killed_run_resumes_from_its_last_finished_epoch(tmp_path,
                                                           write_npz):
    data = write_npz(tmp_path / "data.npz")
    argv = _argv(tmp_path, data, "--epochs", "3")
    with pytest.raises(KeyboardInterrupt):
        mnist.main(argv, extra_callbacks=[_Stop(at=1)])
    backup = tmp_path / "out" / "backup"
    with open(backup / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 1
    assert not (tmp_path / "out" / "metrics.json").exists()
    assert mnist.main(argv) == 0
    metrics = _metrics(tmp_path)
    assert metrics["resumed_from_epoch"] == 1
    assert metrics["epochs_run"] == 3
    with open(tmp_path / "out" / "history.csv") as f:
        assert [line.split(",")[0] for line in f.read().split()[1:]] == [
            "0", "1", "2"]
    assert not backup.exists()


def test_nan_stops_training_keeps_the_best_weights_and_exits_1(tmp_path,
                                                               write_npz):
    data = write_npz(tmp_path / "data.npz")
    argv = _argv(tmp_path, data, "--epochs", "3")
    assert mnist.main(argv, extra_callbacks=[_Poison(at=1)]) == 1
    metrics = _metrics(tmp_path)
    assert metrics["status"] == "failed"
    assert metrics["monitor_status"] == "nan"
    assert metrics["monitor"]["advice"]
    assert metrics["epochs_run"] == 2  # stopped in the poisoned epoch
    assert metrics["model_saved"] and metrics["test_loss"] is not None
    model = keras.models.load_model(tmp_path / "out" / "model.keras",
                                    safe_mode=True)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    assert (tmp_path / "out" / "backup").exists()  # kept for a look


@pytest.mark.parametrize("content, message", [
    ("text", "--data must be a NumPy .npz file in Keras's mnist.npz layout "
             "(x_train, y_train, x_test, y_test). Received: "),
    ("no_x_train", "--data must hold the arrays x_train, y_train (Keras's "
                   "mnist.npz layout). Received: "),
    ("bad_labels", "--data x_train/y_train: the labels must be integers 0-9. "
                   "Received: dtype int64, values 0 to 12."),
    ("missing", "--data must be an existing .npz file. Received: "),
])
def test_bad_data_is_a_clear_error_with_exit_status_2(tmp_path, rng, capsys,
                                                      content, message):
    path = tmp_path / "data.npz"
    if content == "text":
        path.write_text("x_train,y_train\n1,2\n")
    elif content == "no_x_train":
        np.savez(path, x_test=np.zeros((4, 28, 28), np.uint8),
                 y_test=np.zeros(4, np.uint8))
    elif content == "bad_labels":
        np.savez(path, x_train=np.zeros((13, 28, 28), np.uint8),
                 y_train=np.arange(13))
    assert run_main(mnist.main, _argv(tmp_path, str(path))) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message)
    if content == "no_x_train":
        assert "without x_train, y_train; it holds x_test, y_test." in err
    assert not (tmp_path / "out").exists()


def test_eval_npz_needs_x_test_and_bad_flags_exit_2(tmp_path, write_npz,
                                                    capsys):
    data = write_npz(tmp_path / "data.npz")
    only_train = write_npz(tmp_path / "t.npz", keys=("x_train", "y_train"))
    assert run_main(mnist.main, _argv(tmp_path, data, "--eval-npz",
                                      only_train)) == 2
    assert ("--eval-npz must hold the arrays x_test, y_test"
            in capsys.readouterr().err)
    with pytest.raises(SystemExit) as info:
        mnist.main(_argv(tmp_path, data, "--epochs", "0"))
    assert info.value.code == 2
    assert "argument --epochs: must be >= 1, got 0" in capsys.readouterr().err


@pytest.mark.tf_only
def test_distribute_mirrored_runs_on_tensorflow(tmp_path, write_npz):
    data = write_npz(tmp_path / "data.npz", n=80)
    assert mnist.main(_argv(tmp_path, data, "--distribute", "mirrored")) == 0
    assert _metrics(tmp_path)["status"] == "ok"


def test_distribute_multiworker_is_refused_with_the_alternatives(
        tmp_path, write_npz, capsys):
    with pytest.raises(SystemExit) as info:
        mnist.main(_argv(tmp_path, write_npz(tmp_path / "d.npz"),
                         "--distribute", "multiworker"))
    assert info.value.code == 2
    stderr = capsys.readouterr().err
    assert "argument --distribute: 'multiworker' was removed" in stderr
    assert "Use 'multiprocess' (JAX backend" in stderr


def test_distribute_multiprocess_refuses_find_lr(tmp_path, write_npz, capsys):
    argv = _argv(tmp_path, write_npz(tmp_path / "d.npz"), "--distribute",
                 "multiprocess", "--find-lr")
    assert run_main(mnist.main, argv) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --find-lr runs on one process. Received: --find-lr with "
        "--distribute multiprocess. Run --find-lr alone first, then pass its "
        "suggestion as --learning-rate.")


def test_distribute_multiprocess_needs_jax(tmp_path, write_npz, capsys,
                                           monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    argv = _argv(tmp_path, write_npz(tmp_path / "d.npz"), "--distribute",
                 "multiprocess")
    assert run_main(mnist.main, argv) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --distribute multiprocess needs the JAX backend. Received: "
        "KERAS_BACKEND=tensorflow. Set KERAS_BACKEND=jax in every process.")


def test_distribute_multiprocess_bad_variable_is_one_line(
        tmp_path, write_npz, capsys, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "127.0.0.1")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
    argv = _argv(tmp_path, write_npz(tmp_path / "d.npz"), "--distribute",
                 "multiprocess")
    assert run_main(mnist.main, argv) == 2
    assert capsys.readouterr().err.strip() == (
        "error: KERAS_DISTRIBUTION_JOB_ADDRESSES must be host:port entries "
        "(port 1-65535), comma-separated, e.g. 10.0.0.1:12345. Received: "
        "KERAS_DISTRIBUTION_JOB_ADDRESSES='127.0.0.1'.")


def test_batches_refuses_a_batch_the_processes_cannot_split():
    import kerasnn

    with pytest.raises(_common.RecipeError) as info:
        _common.batches(np.zeros((8, 2)), np.zeros(8), 7,
                        kerasnn.ProcessInfo(0, 2))
    assert str(info.value) == (
        "--batch-size must be a multiple of the number of processes (2) with "
        "--distribute multiprocess. Received: --batch-size 7.")
