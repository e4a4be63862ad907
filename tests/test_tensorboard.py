"""What `GradientMonitor` and `LRFinder` write for TensorBoard, read back
with TensorBoard's own event reader on the current backend."""

import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator)
from tensorboard.util import tensor_util

from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import LRFinder
from kerasnn.callbacks import find_lr


def _events(log_dir):
    """`{tag: (plugin, [(step, value as NumPy), ...])}` of a run."""
    acc = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    acc.Reload()
    return {tag: (acc.SummaryMetadata(tag).plugin_data.plugin_name,
                  [(e.step, tensor_util.make_ndarray(e.tensor_proto))
                   for e in acc.Tensors(tag)])
            for tag in acc.Tags()["tensors"]}


def _negative_targets(rng):
    """A ReLU output that cannot reach negative targets: the setup checks
    name it (`label_mismatch`) before the first step."""
    x = rng.normal(size=(96, 6)).astype("float32")
    y = -5.0 - np.abs(x[:, :1])
    model = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="relu")])
    model.compile("adam", "mse")
    return model, x, y


def _classifier(rng):
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
        keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01),
                  "sparse_categorical_crossentropy")
    return model, x, y


def test_monitor_writes_histograms_scalars_and_text(rng, tmp_path):
    model, x, y = _negative_targets(rng)
    monitor = GradientMonitor(every=2, log_dir=tmp_path / "run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=2, batch_size=16, verbose=0,
                  callbacks=[monitor])
    events = _events(tmp_path / "run")
    h = monitor.probe_history
    dense, out = (layer.name for layer in model.layers)
    # Scalars: the norms of every probe, as the history holds them.
    plugin, norms = events[f"grad_norm/{dense}"]
    assert plugin == "scalars"
    assert [step for step, _ in norms] == list(h.steps)
    np.testing.assert_allclose([float(v) for _, v in norms],
                               h.grad_norms[:, 0], rtol=1e-6)
    assert events["grad_norm_ratio"][0] == "scalars"
    plugin, ratios = events[f"update_ratio/{out}"]
    assert plugin == "scalars" and len(ratios) >= len(h) - 1
    assert all(float(v) > 0 for _, v in ratios)
    # Histograms: every gradient (kernel and bias) and every probe row's
    # activations, in (left, right, count) buckets.
    plugin, grads = events[f"gradients/{dense}"]
    assert plugin == "histograms" and len(grads) == len(h)
    assert grads[0][1].shape == (30, 3)
    assert grads[0][1][:, 2].sum() == 6 * 8 + 8
    plugin, acts = events[f"activations/{dense}"]
    assert plugin == "histograms" and acts[0][1][:, 2].sum() == 32 * 8
    assert acts[0][1][0, 0] >= 0.0  # ReLU outputs
    # Text: the finding when raised, the report and the verdict at the end.
    plugin, texts = events["findings/label_mismatch"]
    assert plugin == "text" and len(texts) == 1
    text = texts[0][1].item().decode()
    assert "**label_mismatch**" in text and "before training" in text
    assert "Fix: " in text and "linear output" in text
    report = events["report"][1][-1][1].item().decode()
    assert report.startswith("Status: **label_mismatch**")
    verdict = events["fit_diagnosis"][1][-1][1].item().decode()
    assert "best epoch" in verdict


def test_log_dir_auto_writes_beside_tensorboard(rng, tmp_path):
    model, x, y = _classifier(rng)
    board = keras.callbacks.TensorBoard(log_dir=str(tmp_path))
    monitor = GradientMonitor(every=3, log_dir="auto", asynchronous=False)
    finder = LRFinder(num_steps=6, log_dir="auto")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, validation_split=0.25,
              callbacks=[board, monitor])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)  # a short sweep
        model.fit(x, y, epochs=2, batch_size=16, verbose=0,
                  callbacks=[finder, board])
    # One `tensorboard --logdir` shows Keras's runs and the plugin's.
    assert {"train", "validation", "gradients", "lr_finder"} <= set(
        os.listdir(tmp_path))
    assert "grad_norm_ratio" in _events(tmp_path / "gradients")
    assert "lr_finder/loss" in _events(tmp_path / "lr_finder")


def test_log_dir_auto_without_tensorboard_names_the_fix(rng):
    model, x, y = _classifier(rng)
    with pytest.raises(CallbackValueError, match=(
            r"GradientMonitor: log_dir='auto' writes beside the "
            r"`keras.callbacks.TensorBoard` of the same `fit`, which has "
            r"none. Received: log_dir='auto'; add `keras.callbacks.TensorBoard"
            r"\(log_dir=...\)`")):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[GradientMonitor(log_dir="auto")])
    with pytest.raises(CallbackValueError, match=(
            r"find_lr: `log_dir` must be a directory: find_lr runs its own "
            r"`fit`.*Received: log_dir='auto'")):
        find_lr(model, x, y, log_dir="auto")


@pytest.mark.backend_neutral
def test_log_dir_of_the_wrong_type_or_without_tensorboard(monkeypatch):
    with pytest.raises(CallbackTypeError, match=(
            r"GradientMonitor: `log_dir` must be a directory \(a string or "
            r"path-like\), 'auto' or None. Received: log_dir=3 \(of type "
            r"int\)")):
        GradientMonitor(log_dir=3)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # not installed
    for make, owner in ((GradientMonitor, "GradientMonitor"),
                        (LRFinder, "LRFinder")):
        with pytest.raises(CallbackValueError, match=(
                rf"{owner}: `log_dir` writes TensorBoard event files with "
                r"the `tensorboard` package \(TensorFlow is not needed\), "
                r"which is not installed. Received: log_dir='logs'; run "
                r"`pip install tensorboard`, or pass log_dir=None.")):
            make(log_dir="logs")
    assert GradientMonitor().log_dir is None  # off by default


def test_find_lr_writes_the_curve_and_the_suggestion(rng, tmp_path):
    model, x, y = _classifier(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        finder = find_lr(model, x, y, batch_size=8, num_steps=8, verbose=0,
                         log_dir=tmp_path / "lr")
    events = _events(tmp_path / "lr")
    plugin, losses = events["lr_finder/loss"]
    assert plugin == "scalars"
    assert [step for step, _ in losses] == list(range(len(finder.losses)))
    np.testing.assert_allclose([float(v) for _, v in losses], finder.losses,
                               rtol=1e-6)
    rates = [float(v) for _, v in events["lr_finder/learning_rate"][1]]
    np.testing.assert_allclose(rates, finder.lrs, rtol=1e-6)
    assert "lr_finder/smoothed_loss" in events
    plugin, texts = events["lr_finder/suggestion"]
    assert plugin == "text"
    assert "Suggested learning rate: **" in texts[0][1].item().decode()


@pytest.mark.slow
def test_monitor_writes_events_on_jax_without_tensorflow(tmp_path):
    # TensorBoard's own writer: a JAX user need not install TensorFlow.
    code = textwrap.dedent(f"""
        import sys

        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "tensorflow":
                    raise ModuleNotFoundError(name)

        sys.meta_path.insert(0, Refuse())
        import keras
        import numpy as np
        from kerasnn.callbacks import GradientMonitor
        x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
        model = keras.Sequential([keras.Input((3,)),
                                  keras.layers.Dense(2, activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0,
                  callbacks=[GradientMonitor(log_dir={str(tmp_path)!r})])
        from tensorboard.backend.event_processing.event_accumulator import (
            EventAccumulator)
        acc = EventAccumulator({str(tmp_path)!r})
        acc.Reload()
        print(sorted(acc.Tags()["tensors"]), "tensorflow" in sys.modules)
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert "'gradients/dense'" in last and "'activations/dense'" in last
    assert "'report'" in last and last.endswith("False")
