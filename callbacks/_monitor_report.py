"""`GradientMonitor`'s report and plot of a run.

`_ReportMixin` holds `report` (the run so far as a JSON-serialisable dict)
and `plot` (per-layer gradient norms over the probes), with the latest
update ratios and the first/last gradient-norm ratio they show. They read
the state that `GradientMonitor._reset` sets.
"""

import math

import numpy as np

from ._base import CallbackValueError
from ._plot import line_plot
from ._plot import check_target
from ._report_view import Report


class _ReportMixin:
    """The report and plot of `GradientMonitor` (see the module docstring)."""

    def report(self):
        """Summarises the run so far as a JSON-serialisable dict.

        Returns:
            Dict with `"status"` (the kind of the first finding, or
            `"healthy"`), `"findings"` (list of finding dicts), `"step"` (of
            the latest probe), `"probes"`, `"first_last_ratio"`,
            `"layers"` (per layer with weights: `name`, latest `grad_norm`,
            `update_ratio` and `flag`, the kind of a finding naming it or
            `"ok"`), `"units"` (dead/saturated share per activation layer),
            `"units_checked"`, `"notes"`, `"advice"` (each finding's
            message and fix as one sentence) and `"data"`: where the probe
            batch (`"probe"`) and the data of the setup checks
            (`"setup_checks"`) came from, `"probe argument"` or `"fit
            arguments"` (read from the running `fit` call: Keras does not
            hand callbacks their data), `None` before training. Non-finite
            numbers are `None`.
        """
        h, findings = self._history, self.findings
        flags = {}
        for f in findings:
            if f["layer"] is not None:
                flags.setdefault(f["layer"], f["kind"])
        grads = h.grad_norms[-1] if len(h) else [None] * len(h.layers)
        updates = self._latest_updates()
        layers = [{"name": n, "grad_norm": _num(g), "update_ratio": _num(u),
                   "flag": flags.get(n, "ok")}
                  for n, g, u in zip(h.layers, grads, updates)]
        shares = h.unit_shares[-1] if len(h) else [None] * len(h.units)
        units = [{"name": n, "activation": k, "bad_share": _num(s)}
                 for n, k, s in zip(h.units, h.unit_kinds, shares)]
        return Report({
            "status": findings[0]["kind"] if findings else "healthy",
            "findings": findings,
            "step": int(h.steps[-1]) if len(h) else None,
            "probes": len(h),
            "first_last_ratio": _num(self._ratio()),
            "layers": layers,
            "units": units,
            "units_checked": self._units_checked,
            "notes": list(self._notes),
            "data": dict(self._sources),
            "advice": [f"{f['message']} {f['fix']}" for f in findings],
        })

    def plot(self, path=None, *, ax=None):
        """Draws per-layer gradient norms over training (log scale).

        One line per layer with weights, over the steps of the probes; the
        title gives `report()["status"]`.

        Args:
            path: String, path-like or binary file, or `None`. Where to write
                the image (its format from the name's extension, e.g.
                `.png`). Defaults to `None` (nothing is written).
            ax: Matplotlib `Axes` or `None`. Axes to draw into; `None`
                draws into a new figure. Defaults to `None`.

        Returns:
            The matplotlib `Figure` (`ax.figure` when `ax` is given); a
            notebook shows it inline.

        Raises:
            CallbackValueError: if no probe has run yet.
            CallbackTypeError: if `path` or `ax` has the wrong type.
        """
        h = self._history
        if not len(h):
            raise CallbackValueError(
                "GradientMonitor.plot needs at least one probe. Received: a "
                "monitor with no recorded probe; run `fit` with it first."
            )
        check_target("GradientMonitor.plot", path, ax)
        status = self.report()["status"]
        return line_plot(h.steps, dict(zip(h.layers, h.grad_norms.T)),
                         ax=ax, path=path, xlabel="training step",
                         ylabel="gradient norm",
                         title=f"GradientMonitor: {status}", logy=True)

    def _latest_updates(self):
        h = self._history
        if not len(h):
            return [None] * len(h.layers)
        ratios = h.update_ratios
        known = [i for i in range(len(h)) if np.isfinite(ratios[i]).any()]
        return ratios[known[-1]] if known else ratios[-1]

    def _ratio(self):
        h = self._history
        if not len(h) or not len(h.layers):
            return math.nan
        return _safe_div(h.grad_norms[-1, 0], h.grad_norms[-1, -1])


def _safe_div(a, b):
    a, b = float(a), float(b)
    if b == 0.0:
        return math.nan if a == 0.0 else math.inf
    return a / b


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
