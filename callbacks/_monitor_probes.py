"""How `GradientMonitor` runs its probes and records their figures.

`_ProbingMixin` holds the monitor's methods that set up the `Prober` at the
first step, copy the weights at a due step, run the probe there or hand it
to the background `ProbeWorker`, and add the finished figures (gradient
norms grouped per layer, the next step's update ratios) to the
`ProbeHistory`, and to TensorBoard when `log_dir` is set. They read and
write the state that `GradientMonitor._reset` sets.
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
from . import _run_facts


class _ProbingMixin:
    """The probing steps of `GradientMonitor` (see the module docstring)."""

    def _setup(self, model):
        self._facts.init_scales = _run_facts.init_scales(model)
        groups = layer_groups(model)
        self._index = [ids for _, ids in groups]
        units = ActivationLayers(model)
        self._prober = Prober(model, units)
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
                    f"{type(error).__name__}: {error}" + (
                        "" if self._setup_done else
                        " (setup checks skipped too)") + ".")
                continue
            self._add(job, figures)

    def _add(self, job, figures):
        step, lr, _ = job
        predictions = figures.pop("predictions")
        self._last_predictions = predictions
        if not self._setup_done:
            self._run_setup_checks(predictions)
        figures["grad_norms"] = _group(figures["grad_norms"], self._index)
        figures["weight_norms"] = _group(figures["weight_norms"], self._index)
        self._history.add(step, lr, figures)
        if step in self._updates:
            self._set_update_ratios(self._updates.pop(step))
        self._write_summaries(step)
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
        weights = self._history.weight_norms[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(weights > 0, updates / weights, np.nan)
        self._history.set_update_ratios(ratios)

    def _write_summaries(self, step):
        if self._writer is None:
            return
        import tensorflow as tf

        h = self._history
        with self._writer.as_default(step=step):
            for name, g in zip(h.layers, h.grad_norms[-1]):
                tf.summary.scalar(f"grad_norm/{name}", g)
            if len(h) > 1:
                for name, u in zip(h.layers, h.update_ratios[-2]):
                    if np.isfinite(u):
                        tf.summary.scalar(f"update_ratio/{name}", u)
            tf.summary.scalar("grad_norm_ratio", self._ratio())


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
