"""The figures: `LRFinder.plot`, `GradientMonitor.plot`,
`FitDiagnostics.plot` and `plot_history` return a matplotlib `Figure`, draw
into a given `ax` and write a file only when given a `path`."""

import warnings

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from kerasnn import KerasnnTypeError
from kerasnn import KerasnnValueError
from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import FitDiagnostics
from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import LRFinder
from kerasnn import plot_history

PNG = b"\x89PNG"


def _finder(n=60):
    """A finder holding a recorded sweep with a clear valley, untrained."""
    finder = LRFinder(1e-5, 1.0, num_steps=n)
    t = np.linspace(0, 1, n)
    finder.lrs = [finder._rate(i) for i in range(n)]
    finder.losses = list(2.0 - 1.5 * np.clip((t - 0.2) / 0.5, 0, 1)
                         + np.where(t > 0.85, 30 * (t - 0.85), 0))
    avg = 0.0
    for i, loss in enumerate(finder.losses):
        avg = finder.beta * avg + (1 - finder.beta) * loss
        finder.smoothed_losses.append(avg / (1 - finder.beta ** (i + 1)))
    finder.suggestion = finder.suggest()
    return finder


def _labels(ax):
    return [line.get_label() for line in ax.lines]


def _vertical_lines_at(ax, x):
    return [line for line in ax.lines
            if list(line.get_xdata()) == [x, x] and line.get_marker() != "o"]


@pytest.mark.backend_neutral
def test_lr_finder_plot_returns_the_figure_with_the_suggestion_marked(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finder = _finder()
    assert finder.suggestion is not None and finder.suggestion_note is None
    fig = finder.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "LRFinder", "learning rate", "loss")
    assert ax.get_xscale() == "log"
    assert _labels(ax)[:3] == ["batch loss", "smoothed", "trend (suggestion)"]
    # The suggestion: a dashed vertical line and a point on the trend.
    s = finder.suggestion
    assert len(_vertical_lines_at(ax, s)) == 1
    point = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(point) == 1 and list(point[0].get_xdata()) == [s]
    assert point[0].get_label() == f"valley: {s:.1e}"
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == (
        f"valley: {s:.1e}")
    assert list(tmp_path.iterdir()) == []  # no path: nothing written


@pytest.mark.backend_neutral
def test_lr_finder_plot_writes_a_file_and_draws_into_a_given_ax(tmp_path):
    finder = _finder()
    fig = finder.plot(path=tmp_path / "lr.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "lr.png").read_bytes()[:4] == PNG
    finder.plot(str(tmp_path / "old.png"))  # a positional path, as before
    assert (tmp_path / "old.png").read_bytes()[:4] == PNG
    own = Figure()
    left, right = own.subplots(1, 2)
    assert finder.plot(ax=right) is own
    assert not left.lines and right.get_title() == "LRFinder"
    assert len(_vertical_lines_at(right, finder.suggestion)) == 1


@pytest.mark.backend_neutral
def test_lr_finder_plot_without_a_suggestion_marks_nothing():
    finder = _finder()
    finder.suggestion = None
    ax = finder.plot().axes[0]
    assert not [line for line in ax.lines if line.get_marker() == "o"]
    assert _labels(ax) == ["batch loss", "smoothed", "trend (suggestion)"]


@pytest.mark.backend_neutral
def test_plots_refuse_a_wrong_ax_or_path():
    finder = _finder()
    ax = Figure().subplots()
    with pytest.raises(CallbackTypeError, match=(
            r"LRFinder.plot: `path` must be a file name, a path-like or a "
            r"binary file, or None. Received: path of type Axes; pass the "
            r"axes as `ax=`.")):
        finder.plot(ax)
    with pytest.raises(CallbackTypeError, match=(
            r"LRFinder.plot: `ax` must be a matplotlib Axes or None. "
            r"Received: ax of type str.")):
        finder.plot(ax="left")
    with pytest.raises(KerasnnTypeError, match=(
            r"plot_history: `path` must be .* Received: path of type int.")):
        plot_history({"loss": [1.0]}, path=3)


@pytest.fixture
def monitor(rng):
    """A GradientMonitor after 2 epochs of a tiny 3-layer network."""
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    monitor = GradientMonitor(every=2, asynchronous=False,
                              setup_checks=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=2, batch_size=32, verbose=0,
                  callbacks=[monitor])
    return monitor


def test_gradient_monitor_plot_draws_one_line_per_layer(monitor, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    h = monitor.probe_history
    fig = monitor.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == f"GradientMonitor: {monitor.report()['status']}"
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        "training step", "gradient norm")
    assert ax.get_yscale() == "log"
    assert len(h.layers) == 3 and _labels(ax) == list(h.layers)
    for line, norms in zip(ax.lines, h.grad_norms.T):
        assert list(line.get_xdata()) == list(h.steps)
        np.testing.assert_array_equal(line.get_ydata(), norms)
    assert list(tmp_path.iterdir()) == []
    # A positional path, as before, and `path=`: written, figure returned.
    assert isinstance(monitor.plot("g.png"), Figure)
    assert isinstance(monitor.plot(path=tmp_path / "h.png"), Figure)
    assert (tmp_path / "g.png").read_bytes()[:4] == PNG
    assert (tmp_path / "h.png").read_bytes()[:4] == PNG
    own = Figure()
    ax = own.subplots()
    assert monitor.plot(ax=ax) is own and _labels(ax) == list(h.layers)


@pytest.fixture
def history(rng):
    """The History of 3 epochs of a tiny classifier, with validation."""
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.25, epochs=3, batch_size=50,
                     verbose=0)


def test_plot_history_pairs_each_metric_with_its_validation(history,
                                                             tmp_path,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = plot_history(history)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", name)
        assert _labels(ax) == [name, f"val_{name}"]
        assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
        np.testing.assert_allclose(ax.lines[1].get_ydata(),
                                   history.history[f"val_{name}"])
        assert ax.get_legend() is not None
    assert list(tmp_path.iterdir()) == []
    # The dict, one metric, a file.
    fig = plot_history(history.history, metrics=["accuracy"],
                       path=tmp_path / "acc.png")
    assert [ax.get_title() for ax in fig.axes] == ["accuracy"]
    assert (tmp_path / "acc.png").read_bytes()[:4] == PNG


@pytest.mark.backend_neutral
def test_plot_history_draws_into_given_axes_loss_first():
    logs = {"accuracy": [0.5, 0.7], "loss": [0.9, 0.6],
            "learning_rate": [1e-3, 1e-3], "val_loss": [1.0, 0.8]}
    own = Figure()
    axes = own.subplots(1, 2)
    assert plot_history(logs, ax=axes) is own
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    assert _labels(axes[0]) == ["loss", "val_loss"]
    assert _labels(axes[1]) == ["accuracy"]
    ax = Figure().subplots()
    assert plot_history(logs, metrics=["loss"], ax=ax) is ax.figure
    with pytest.raises(KerasnnValueError, match=(
            r"plot_history: `ax` must hold one axes per metric \(2\). "
            r"Received: 1 axes; pass `metrics=`")):
        plot_history(logs, ax=ax)


@pytest.mark.backend_neutral
def test_plot_history_errors_name_the_argument():
    with pytest.raises(KerasnnTypeError, match=(
            r"`history` must be a keras History .* Received: history of "
            r"type list.")):
        plot_history([0.9, 0.6])
    with pytest.raises(KerasnnValueError, match="holds no logged epoch"):
        plot_history({"loss": []})
    with pytest.raises(KerasnnValueError, match=(
            r"`metrics` must name logged metrics, one of \['loss'\]. "
            r"Received: metrics=\['acc'\].")):
        plot_history({"loss": [1.0]}, metrics=["acc"])
    with pytest.raises(KerasnnTypeError, match="Received: ax of type str"):
        plot_history({"loss": [1.0]}, ax=["left"])


def test_fit_diagnostics_plot_marks_the_best_epoch(rng, tmp_path):
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    diag = FitDiagnostics(verbose=0)
    with pytest.raises(CallbackValueError, match="no verdict"):
        diag.plot()
    model.fit(x, y, validation_split=0.25, epochs=4, batch_size=50,
              verbose=0, callbacks=[diag])
    fig = diag.plot(tmp_path / "fit.png")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert diag.result["status"] in ax.get_title()
    assert _labels(ax)[:2] == ["training", "validation"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3, 4]
    best = diag.result["best_epoch"] + 1
    assert _vertical_lines_at(ax, best)
    assert (tmp_path / "fit.png").read_bytes().startswith(PNG)
