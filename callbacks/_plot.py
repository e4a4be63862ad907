"""The one plotting helper of the callbacks (matplotlib, imported lazily).

Figures are bare `matplotlib.figure.Figure`s: they draw off-screen without
switching pyplot's global backend or touching its list of open figures.
"""


def new_axes(*, title, xlabel, ylabel, logx=False, logy=False):
    """Returns `(figure, axes)` of the house size with labels and scales."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.6), dpi=80)
    ax = fig.subplots()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    return fig, ax


def save(fig, ax, path, *, legend_size=8, legend_columns=1):
    """Adds the legend, lays the figure out, writes `path` and returns it."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=legend_size, ncol=legend_columns)
    fig.tight_layout()
    fig.savefig(path)
    return path


def line_plot(path, x, series, *, title, xlabel, ylabel, logx=False,
              logy=False):
    """Draws one line per `(label, values)` of the dict `series` over `x`,
    coloured along viridis, and writes `path`."""
    from matplotlib import colormaps

    fig, ax = new_axes(title=title, xlabel=xlabel, ylabel=ylabel, logx=logx,
                       logy=logy)
    cmap = colormaps["viridis"]
    n = max(1, len(series) - 1)
    for i, (label, values) in enumerate(series.items()):
        ax.plot(x, values, label=label, color=cmap(i / n))
    return save(fig, ax, path, legend_size=7, legend_columns=2)
