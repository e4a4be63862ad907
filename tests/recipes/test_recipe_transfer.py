import json
import os

import keras
import numpy as np
import pytest

from kerasnn.recipes import transfer
from kerasnn.recipes._common import run_main

# End-to-end runs of the recipe, on a tiny CNN (the tiny_recipes fixture).
# The recipe also runs on JAX in test_packaging.py (a child Python pinned to
# JAX), so CI runs this module once, in the TensorFlow pass.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tiny_recipes")]


def _argv(tmp_path, data, *extra):
    return ["--data", data, "--out", str(tmp_path / "out"), "--quiet",
            "--epochs", "1", "--head-epochs", "2", "--fine-epochs", "1",
            "--shots", "4", "--seed", "0", *extra]


class _Stop(keras.callbacks.Callback):
    """Kills training at the end of the second epoch, before its backup."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("killed")


def test_run_reports_scratch_head_only_and_fine_tuned(tmp_path, write_npz,
                                                       capsys):
    data = write_npz(tmp_path / "data.npz", n=120)
    assert transfer.main(_argv(tmp_path, data)) == 0
    with open(tmp_path / "out" / "metrics.json") as f:
        metrics = json.load(f)
    assert metrics["status"] == "ok" and metrics["shots"] == 4
    assert metrics["base_head"] == "cosine"
    # The default head is cosine, imprinted before training, and scored then.
    for key in ("scratch", "imprinted", "head_only", "fine_tuned"):
        # Scored on the 60 test images of 5-9: a whole number of them.
        correct = metrics[key]["accuracy"] * 60
        assert correct == pytest.approx(round(correct), abs=1e-4)
        assert metrics[key]["seconds"] > 0 or key == "imprinted"
    # The saved model is the fine-tuned one: it scores what metrics say.
    with np.load(data) as arrays:
        x, y = arrays["x_test"], arrays["y_test"]
    new = y >= 5
    saved = keras.models.load_model(tmp_path / "out" / "model.keras",
                                    safe_mode=True)
    pixels = (x[new].astype("float32") / 255.0)[..., None]
    _, accuracy = saved.evaluate(pixels, y[new] - 5, verbose=0)[:2]
    assert accuracy == pytest.approx(metrics["fine_tuned"]["accuracy"],
                                     abs=1e-6)
    assert metrics["n_test"] == 60  # the test images of 5-9
    assert metrics["batch_size"] == 20  # the 20 few images, one batch
    assert metrics["base"]["monitor_status"] == "healthy"
    # The 0-4 model trains on the 60 training and 60 test images of 0-4,
    # less 2 of each digit's 24 for validation, and is scored on those 10.
    assert metrics["base"]["n_train"] == 110
    assert metrics["base"]["learning_rate"] == pytest.approx(2e-3)
    correct = metrics["base"]["val_accuracy"] * 10
    assert correct == pytest.approx(round(correct), abs=1e-4)
    # The margin is the saved (fine-tuned) model's, not the better of (b)
    # and (c), which would choose on the test images.
    assert metrics["margin_over_scratch"] == pytest.approx(round(
        metrics["fine_tuned"]["accuracy"] - metrics["scratch"]["accuracy"], 4))
    assert sorted(os.listdir(tmp_path / "out")) == [
        "base_history.csv", "metrics.json", "model.keras"]
    model = keras.models.load_model(tmp_path / "out" / "model.keras",
                                    safe_mode=True)
    assert model.output_shape == (None, 5)
    assert type(model.layers[-1]).__name__ == "CosineClassifier"
    assert "(b) head only" in capsys.readouterr().out


# The resume logic is backend-neutral; on JAX it is covered by the MNIST
# recipe's resume test, which keeps the JAX test pass short.
@pytest.mark.tf_only
def test_a_killed_run_reuses_the_trained_base_model(tmp_path, write_npz):
    data = write_npz(tmp_path / "data.npz", n=120)
    argv = _argv(tmp_path, data, "--epochs", "3")
    with pytest.raises(KeyboardInterrupt):
        transfer.main(argv, extra_callbacks=[_Stop()])
    assert os.listdir(tmp_path / "out" / "backup" / "base")
    assert transfer.main(argv) == 0
    with open(tmp_path / "out" / "metrics.json") as f:
        base = json.load(f)["base"]
    assert base["resumed_from_epoch"] == 1 and base["epochs_run"] == 3
    assert not (tmp_path / "out" / "backup").exists()


@pytest.mark.parametrize("kind, message", [
    ("no_test", "--data must hold x_test and y_test: the recipe scores the "
                "digits 5-9 on them."),
    ("few", "--data y_train must hold at least 20 image(s) of each digit 5-9 "
            "(--shots 20). Received: counts [12, 12, 12, 12, 12]."),
    ("test_digits", "--data y_test must hold at least 1 image(s) of each digit "
                    "5-9. Received: counts [0, 0, 0, 0, 0]."),
])
def test_bad_data_exits_2_with_a_clear_message(tmp_path, write_npz, capsys,
                                               kind, message):
    path = tmp_path / "data.npz"
    if kind == "no_test":
        np.savez(path, x_train=np.zeros((20, 28, 28), np.uint8),
                 y_train=np.arange(20) % 10)
    else:
        write_npz(path, n=120, test_digits=range(5) if kind == "test_digits"
                  else range(10))
    argv = _argv(tmp_path, str(path))
    if kind == "few":
        argv += ["--shots", "20"]
    assert run_main(transfer.main, argv) == 2
    assert capsys.readouterr().err.startswith("error: " + message)


def test_a_bad_cut_exits_2_before_any_training(tmp_path, write_npz, capsys):
    data = write_npz(tmp_path / "data.npz", n=120)
    assert run_main(transfer.main, _argv(tmp_path, data, "--cut", "flaten")) == 2
    assert capsys.readouterr().err.startswith(
        "error: --cut: `cut` must name a layer of model "
        "'multiclass_cnn_swapped'. "
        "Received: cut='flaten'. Did you mean 'flatten'?")
    assert not (tmp_path / "out").exists()  # no backup, no base model


@pytest.mark.parametrize("base_head, last", [("cosine", "CosineClassifier"),
                                              ("dense", "Dense")])
def test_the_source_model_reads_its_conv_features_with_base_head(base_head,
                                                                  last):
    args = transfer.parse_args(["--out", "unused", "--base-head", base_head])
    model = transfer.source_model(5, args)
    assert model.output_shape == (None, 5)
    assert type(model.layers[-1]).__name__ == last
    # Both heads train at the recipe's rate, or at --learning-rate.
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    args = transfer.parse_args(["--out", "unused", "--base-head", base_head,
                                "--learning-rate", "5e-4"])
    assert float(transfer.source_model(5, args).optimizer.learning_rate) == (
        pytest.approx(5e-4))
    if base_head == "cosine":
        # Baseline++: the head reads the features the swapped model cuts at.
        head = model.layers[-1]
        assert head.input is model.get_layer("swap_dropout").output
        assert model.layers[-3].name == "flatten" and head.scale == 20.0
        assert all(layer.trainable for layer in model.layers)


@pytest.mark.parametrize("choice", ["train", "frozen"])
def test_fine_batchnorm_decides_whether_the_body_statistics_move(choice, rng):
    argv = ["--out", "unused", "--head-epochs", "1", "--fine-epochs", "1"]
    if choice == "frozen":
        argv += ["--fine-batchnorm", "frozen"]
    args = transfer.parse_args(argv)  # "train" is the default
    assert args.fine_batchnorm == choice
    base = transfer.source_model(5, args)
    x = rng.random((10, 28, 28, 1)).astype("float32")
    y = np.arange(10) % 5
    _, model = transfer.few_shot(base, x, y, x, y, args)
    # The few images' statistics (mean 0.5) are not the untrained body's
    # (mean 0): trained BatchNorm layers follow them, frozen ones do not.
    layer, before = model.get_layer("block1_bn1"), base.get_layer("block1_bn1")
    mean = keras.ops.convert_to_numpy(layer.moving_mean)
    old = keras.ops.convert_to_numpy(before.moving_mean)
    assert layer.trainable == (choice == "train")
    assert (np.abs(mean - old).max() > 1e-3) == (choice == "train")


@pytest.mark.parametrize("n, expected", [(100, 25), (33, 17), (64, 32)])
def test_the_few_shot_models_train_in_the_same_even_batches_and_steps(
        n, expected, rng, monkeypatch):
    args = transfer.parse_args(["--out", "unused", "--head-epochs", "1",
                                "--fine-epochs", "1"])  # --batch-size 32
    sizes, epochs, fit = [], [], keras.Model.fit

    def recorded(model, *fit_args, **kwargs):
        sizes.append(kwargs.get("batch_size"))
        epochs.append(kwargs["epochs"] - kwargs.get("initial_epoch", 0))
        return fit(model, *fit_args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recorded)
    x = rng.random((n, 28, 28, 1)).astype("float32")
    y = np.arange(n) % 5
    scores, _ = transfer.few_shot(transfer.source_model(5, args), x, y,
                                  x[:5], y[:5], args)
    # Scratch, head and fine-tuning alike; as many steps as batches of 32.
    assert sizes == [expected] * 3 and scores["batch_size"] == expected
    assert -(-n // expected) == -(-n // 32)
    # Scratch trains as long as the head and fine-tuning together.
    assert epochs == [2, 1, 1]
    assert scores["epochs"] == {"scratch": 2, "head": 1, "fine_tune": 1}


def test_source_images_take_both_parts_labelled_in_the_digits_order():
    train = (np.arange(6).reshape(6, 1), np.array([0, 1, 2, 4, 6, 8]))
    test = (np.arange(10, 13).reshape(3, 1), np.array([8, 3, 2]))
    x, y = transfer.source_images(train, test, (0, 2, 4, 6, 8))
    # The 1 and the 3 left out; 8 is the fifth digit, label 4, not 8.
    assert x.ravel().tolist() == [0, 2, 3, 4, 5, 10, 12]
    assert y.tolist() == [0, 1, 2, 3, 4, 4, 1]
