"""`plot_history`: the curves of a Keras `History`, as a returned figure."""

import math

from kerasnn.callbacks._plot import check_target
from kerasnn.callbacks._plot import finish
from kerasnn.callbacks._plot import new_figure
from kerasnn.callbacks._plot import start
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError

# Logged beside the metrics by schedules, but not a metric.
_NOT_METRICS = ("learning_rate", "lr")


def plot_history(history, *, metrics=None, ax=None, path=None):
    """Plots a Keras `History`: each metric beside its validation twin.

    One axes per metric, `loss` first: the training curve solid and the
    `val_` curve dashed, over epochs 1 to n. New figures are bare
    matplotlib `Figure`s (pyplot's global state is left alone); a notebook
    shows the returned figure inline.

    Args:
        history: A `keras.callbacks.History` (what `fit` returns) or its
            `.history` dict of per-epoch lists.
        metrics: List of strings or `None`. Names to draw, without `val_`.
            Defaults to `None`: every one logged, `loss` first, except the
            learning rate.
        ax: Matplotlib `Axes`, a sequence of them (one per metric), or
            `None`. Where to draw; `None` draws into a new figure with one
            axes per metric in a row. Defaults to `None`.
        path: String, path-like or binary file, or `None`. Where to write
            the image (its format from the name's extension). Defaults to
            `None` (nothing is written).

    Returns:
        The matplotlib `Figure` (the figure of `ax` when it is given).

    Raises:
        KerasnnTypeError: if `history`, `ax` or `path` has the wrong type.
        KerasnnValueError: if nothing was logged, a metric is not in the
            history, or `ax` does not hold one axes per metric.

    Example:

    ```python
    history = model.fit(x, y, validation_split=0.2, epochs=10, verbose=0)
    fig = plot_history(history)                 # shown inline in a notebook
    plot_history(history, metrics=["loss"], path="loss.png")
    ```
    """
    logs = _logs(history)
    names = _metric_names(logs, metrics)
    check_target("plot_history", path, None, KerasnnTypeError)
    if ax is None:
        fig, axes = new_figure(len(names))
    else:
        axes = _axes_list(ax, len(names))
        fig = axes[0].figure
    for name, axis in zip(names, axes):
        start(axis, title=name, xlabel="epoch", ylabel=name)
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in logs:
                values = [math.nan if v is None else float(v)
                          for v in logs[key]]
                axis.plot(range(1, len(values) + 1), values, style, label=key)
    return finish(fig, axes, path)


def _logs(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise KerasnnTypeError(
            "plot_history: `history` must be a keras History (what `fit` "
            "returns) or its `.history` dict. Received: history of type "
            f"{type(history).__name__}."
        )
    if not any(len(v) for v in logs.values()):
        raise KerasnnValueError(
            "plot_history: `history` holds no logged epoch. Received: "
            f"history with keys {sorted(logs)} and no values; plot it after "
            "`fit` has run at least one epoch."
        )
    return logs


def _metric_names(logs, metrics):
    """The names to draw: `metrics` checked, or every logged one."""
    logged = list(dict.fromkeys(k.removeprefix("val_") for k in logs))
    if metrics is None:
        names = [k for k in logged if k not in _NOT_METRICS]
        return sorted(names, key=lambda k: k != "loss")  # stable: loss first
    if isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in logged]
    if missing or not metrics:
        raise KerasnnValueError(
            f"plot_history: `metrics` must name logged metrics, one of "
            f"{logged}. Received: metrics={list(metrics)!r}."
        )
    return list(metrics)


def _axes_list(ax, n):
    """`ax` as a list of `n` axes (an array of axes is flattened)."""
    if isinstance(ax, (list, tuple)):
        flat = list(ax)
    elif hasattr(ax, "flat"):  # the array of axes `subplots` returns
        flat = list(ax.flat)
    else:
        flat = [ax]
    for axis in flat:
        check_target("plot_history", None, axis, KerasnnTypeError)
    if len(flat) != n:
        raise KerasnnValueError(
            f"plot_history: `ax` must hold one axes per metric ({n}). "
            f"Received: {len(flat)} axes; pass `metrics=` to choose {len(flat)}"
            " metric(s), or `ax=None` for a new figure."
        )
    return flat
