"""Plot helpers of the callbacks and of `kerasnn.plot_history` (matplotlib,
imported lazily).

Every plot takes `ax=` to draw into and `path=` to save, and returns its
`Figure`. New figures are bare `matplotlib.figure.Figure`s: they draw
off-screen without switching pyplot's global backend or touching its list of
open figures, and a notebook shows the returned figure inline.
"""

import os

from ._base import CallbackTypeError

#: Width and height (inches) of one axes of a new figure, and its dpi.
WIDTH, HEIGHT, DPI = 6, 3.6, 80


def new_figure(n_axes=1):
    """Returns a new `Figure` with `n_axes` axes in a row, and the axes.

    The figure lays itself out ("tight") whenever it is drawn or saved.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH * n_axes, HEIGHT), dpi=DPI, layout="tight")
    return fig, list(fig.subplots(1, n_axes, squeeze=False)[0])


def start(ax, *, title, xlabel, ylabel, logx=False, logy=False):
    """Returns `(figure, axes)`: `ax` and its figure, or a new figure's only
    axes when `ax` is `None`, with the title, labels and scales set."""
    if ax is None:
        fig, (ax,) = new_figure()
    else:
        fig = ax.figure
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    return fig, ax


def finish(fig, axes, path, *, legend_size=8, legend_columns=1):
    """Adds a legend to each of `axes` that has labelled lines, writes the
    figure to `path` unless it is `None`, and returns the figure."""
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=legend_size, ncol=legend_columns)
    if path is not None:
        fig.figure.savefig(path)  # a SubFigure's `.figure` is its root
    return fig


def line_plot(x, series, *, ax=None, path=None, title, xlabel, ylabel,
              logx=False, logy=False):
    """Draws one line per `(label, values)` of the dict `series` over `x`,
    coloured along viridis; returns the figure (see `finish`)."""
    from matplotlib import colormaps

    fig, ax = start(ax, title=title, xlabel=xlabel, ylabel=ylabel, logx=logx,
                    logy=logy)
    cmap = colormaps["viridis"]
    n = max(1, len(series) - 1)
    for i, (label, values) in enumerate(series.items()):
        ax.plot(x, values, label=label, color=cmap(i / n))
    return finish(fig, [ax], path, legend_size=7, legend_columns=2)


def check_target(where, path, ax, error=CallbackTypeError):
    """Raises `error` when a plot's `path` or `ax` cannot be drawn to;
    `where` names the plot in the message."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise error(f"{where}: `ax` must be a matplotlib Axes or None. "
                    f"Received: ax of type {type(ax).__name__}.")
    if path is not None and not isinstance(path, (str, os.PathLike)) and (
            not hasattr(path, "write")):
        raise error(
            f"{where}: `path` must be a file name, a path-like or a binary "
            f"file, or None. Received: path of type {type(path).__name__}"
            + ("; pass the axes as `ax=`." if isinstance(path, Axes) else "."))
