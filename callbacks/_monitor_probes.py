"""How `GradientMonitor` runs its probes and records their figures.

`_ProbingMixin` holds the monitor's methods that set up the `Prober` at the
first step, copy the weights at a due step, run the probe there or hand it
to the background `ProbeWorker`, and add the finished figures (gradient
norms grouped per layer, the next step's update ratios) to the
`ProbeHistory`. When `log_dir` is set they also write TensorBoard
summaries with the monitor's `SummaryWriter`, from the thread that runs
`fit` (finished probes are read there): per layer, at each probe, the
gradient norm and update ratio as scalars and the distributions of the
gradients and of the activations as histograms (the probe then also
returns those, reduced in its own thread: `_SummaryProber`); each finding as
text when it is raised, and the report and `diagnose_fit`'s verdict at
the end of `fit`. They read and write the state that
`GradientMonitor._reset` sets.
"""

import functools
import math

import keras
import numpy as np

from ._grads import ActivationLayers
from ._grads import Prober
from ._grads import layer_groups
from ._probe_history import ProbeHistory
from ._probe_worker import ProbeWorker
from ._summary import histogram_buckets
from .fit_diagnosis import diagnose_fit
from . import _run_facts


class _ProbingMixin:
    """The probing steps of `GradientMonitor` (see the module docstring)."""

    def _setup(self, model):
        self._facts.init_scales, self._facts.constant_start = (
            _run_facts.initial_weights(model))
        groups = layer_groups(model)
        self._index = [ids for _, ids in groups]
        units = ActivationLayers(model)
        self._prober = (Prober(model, units) if self._writer is None
                        else _SummaryProber(model, units, self._index))
        self._units_checked = units.model is not None
        if units.reason is not None:
            self._notes.append(f"Unit checks skipped: {units.reason}.")
        self._history = ProbeHistory([name for name, _ in groups],
                                     units.layers, units.kinds,
                                     units.is_output)
        if self.asynchronous:
            self._worker = ProbeWorker(functools.partial(
                _run_probe, self._prober, self._batch))

    def _probe(self, step, weights=None):
        """Probes `weights` (by default a copy of them now), in the worker
        or here."""
        weights = weights or self._prober.weights()
        self._last_weights = (step, weights[0])
        job = (step, _learning_rate(self.model), weights)
        if self._worker is None:
            self._add(job, _run_probe(self._prober, self._batch, job))
            return
        # The first probe waits for the first step: tracing both at once
        # would gain nothing (tracing holds the GIL) and share Keras objects.
        self._worker.submit(job, start=step > 0)
        self._in_flight += 1

    def _consume(self, block):
        """Adds the probes the worker finished, in order."""
        if self._worker is None:
            return
        for job, figures, error in self._worker.results(block):
            self._in_flight -= 1
            if self._probe_failed:
                continue
            if error is not None:
                # The synchronous probe would have broken the user's fit.
                self._probe_failed = True
                self._notes.append(
                    f"Probes stopped at step {job[0]}: "
                    f"{type(error).__name__}: {error}.")
                if not self._setup_done:
                    # On the model's own forward pass instead of the probe's.
                    self._run_setup_checks(None)
                continue
            self._add(job, figures)

    def _add(self, job, figures):
        step, lr, _ = job
        predictions = figures.pop("predictions")
        values = {key: figures.pop(key, None)
                  for key in ("gradients", "activations")}
        self._last_predictions = predictions
        if not self._setup_done:
            self._run_setup_checks(predictions)
        figures["grad_norms"] = _group(figures["grad_norms"], self._index)
        figures["weight_norms"] = _group(figures["weight_norms"], self._index)
        self._history.add(step, lr, figures)
        if step in self._updates:
            self._set_update_ratios(self._updates.pop(step))
        self._write_summaries(step, **values)
        self._update_findings(final=False)

    def _record_updates(self, now=None):
        """At the step after a probe: how far that step moved the weights
        (`now`, by default read here)."""
        step, old = self._last_weights
        self._last_weights = None
        updates = _group(self._prober.update_norms(old, now), self._index)
        h = self._history
        if len(h) and h.steps[-1] == step:
            self._set_update_ratios(updates)
        else:  # the probe is still in the worker
            self._updates[step] = updates

    def _set_update_ratios(self, updates):
        h = self._history
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(h.weight_norms[-1] > 0,
                              updates / h.weight_norms[-1], np.nan)
        h.set_update_ratios(ratios)
        if self._writer is not None:  # at the step of the probe they follow
            for name, ratio in zip(h.layers, ratios):
                if np.isfinite(ratio):
                    self._writer.scalar(f"update_ratio/{name}", ratio,
                                        h.steps[-1])

    def _write_summaries(self, step, gradients=None, activations=None):
        """Writes the latest probe's norms and histograms (see the module
        docstring)."""
        writer, h = self._writer, self._history
        if writer is None:
            return
        for name, norm in zip(h.layers, h.grad_norms[-1]):
            writer.scalar(f"grad_norm/{name}", norm, step)
        writer.scalar("grad_norm_ratio", self._ratio(), step)
        for name, buckets in zip(h.layers, gradients or ()):
            writer.histogram(f"gradients/{name}", buckets, step)
        for name, buckets in zip(h.units, activations or ()):
            writer.histogram(f"activations/{name}", buckets, step)

    def _write_finding(self, finding):
        """Writes a finding as text, when it is raised."""
        if self._writer is None:
            return
        where = f" in `{finding['layer']}`" if finding["layer"] else ""
        when = ("before training" if finding["step"] is None
                else f"at step {finding['step']}")
        self._writer.text(
            f"findings/{finding['kind']}",
            f"**{finding['kind']}**{where} {when}\n\n{finding['message']}"
            f"\n\nFix: {finding['fix']}", self._step)
        self._writer.flush()  # `policy="raise"` ends `fit` next

    def _write_report(self):
        """Writes the report and `diagnose_fit`'s verdict on the epoch
        losses as text, at the end of `fit`."""
        if self._writer is None:
            return
        report = self.report()
        ratio = report["first_last_ratio"]
        lines = [f"Status: **{report['status']}** after {report['probes']} "
                 "probes; first/last gradient norm ratio "
                 + ("unknown." if ratio is None else f"{ratio:.3g}.")]
        lines += [f"- **{f['kind']}**: {f['message']} Fix: {f['fix']}"
                  for f in report["findings"]]
        lines += [f"- Note: {note}" for note in report["notes"]]
        self._writer.text("report", "\n".join(lines), self._step)
        if self._epoch_losses:
            curves = {"loss": self._epoch_losses}
            if len(self._val_losses) == len(self._epoch_losses):
                curves["val_loss"] = self._val_losses
            verdict = diagnose_fit(curves)
            advice = " ".join(verdict["advice"])
            self._writer.text(
                "fit_diagnosis", f"**{verdict['status']}** (best epoch "
                f"{verdict['best_epoch'] + 1}). {advice}", self._step)


class _SummaryProber(Prober):
    """A `Prober` whose figures also hold TensorBoard's histograms (as
    `histogram_buckets` gives them) of the gradients of each layer
    (`"gradients"`; `index` lists the variables of each) and of the
    inference-mode outputs of each activation layer (`"activations"`).
    They are reduced where the probe runs, in the worker thread."""

    def __init__(self, model, units, index):
        super().__init__(model, units)
        compiled, self._kept, self._index = self._probe, None, index

        def keeping(*args):
            out = compiled(*args)
            # Taken out before `probe` reduces the rest to figures.
            self._kept = {
                "gradients": [np.asarray(g) for g in out["grads"]],
                "activations": [np.asarray(a)
                                for a in out.pop("activations")]}
            return out

        self._probe = keeping

    def probe(self, weights, x, y, sample_weight):
        figures = super().probe(weights, x, y, sample_weight)
        kept, self._kept = self._kept, None
        grads = kept["gradients"]
        gradients = [histogram_buckets(np.concatenate(
            [np.ravel(grads[i]) for i in ids])) for ids in self._index]
        activations = [histogram_buckets(a) for a in kept["activations"]]
        return {**figures, "gradients": gradients,
                "activations": activations}

    def _figures(self, loss, train_pred, eval_loss, y_pred, acts):
        figures = super()._figures(loss, train_pred, eval_loss, y_pred, acts)
        return {**figures, "activations": list(acts)}


def _run_probe(prober, batch, job):
    return prober.probe(job[2], *batch)


def _group(values, index):
    values = np.asarray(values, dtype="float64")
    return np.array([math.sqrt(float(np.sum(values[ids] ** 2)))
                     if np.all(np.isfinite(values[ids])) else
                     float(np.sum(values[ids]))  # keeps NaN / Inf visible
                     for ids in index])


def _learning_rate(model):
    try:
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except Exception:  # noqa: BLE001 - schedules or exotic optimizers
        return math.nan
