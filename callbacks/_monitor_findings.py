"""How `GradientMonitor` turns probes into findings and acts on them.

`_FindingsMixin` holds the monitor's methods that run the setup checks on
`fit`'s data, read the facts the training rules weigh the probes against,
run `diagnose` after each probe and at the end of `fit`, hold the
`unscaled_inputs` finding until training shows a cost, and act on each new
finding per `policy` (warn, stop or raise). They read and write the state
that `GradientMonitor._reset` sets.
"""

import warnings

from ._base import CallbackWarning
from ._base import GradientHealthError
from ._base import _print
from ._findings import KINDS
from ._findings import SETUP_KINDS
from ._loss_trend import descending_to_chance
from ._probe_data import _check_fit_setup
from ._probe_history import RunFacts
from . import _run_facts
from ._symptoms import diagnose
from ._symptoms import fitted_well
from ._symptoms import too_early

_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# Setup findings that wait for a cost in training: inputs off unit scale
# that the model fits anyway are not a fault.
_HELD_KINDS = ("unscaled_inputs",)


def _rank(finding):
    """Where a training finding goes among the others: predictions that
    collapse onto the majority class are a symptom, like constant ones, so
    what explains them (dead or saturated units, an explosion) comes
    first."""
    if finding["kind"] == "class_imbalance":
        return _ORDER["constant_predictions"] - 0.5
    return _ORDER[finding["kind"]]


class _FindingsMixin:
    """The findings of `GradientMonitor` (see the module docstring)."""

    @property
    def findings(self):
        """The findings so far: setup ones first, causes before symptoms."""
        found = list(self._setup_findings) + sorted(
            self._found.values(), key=_rank)
        return [dict(f) for f in found]

    def _finish(self):
        if self._prober is not None:
            self._consume(block=True)
            if self._last_weights is not None:
                self._record_updates()
            h = self._history
            if not self._probe_failed and self._nonfinite_step is None and (
                    not len(h) or h.steps[-1] != self._step):
                self._probe(self._step)
                self._consume(block=True)
            self._final_facts()
            self._update_findings(final=True)
            if self._held:
                fitted = fitted_well(self._history, self.thresholds,
                                     self._facts)
                if fitted is None:
                    self._release_held()
                else:
                    kinds = ", ".join(f["kind"] for f in self._held)
                    self._held = []
                    self._notes.append(f"Not named: {kinds}. {fitted}")
            # A finding about the loss already says what a note would.
            short = self._probe_failed or "loss_not_decreasing" in self._found
            note = None if short else (
                too_early(self._history, self.thresholds, self._epoch_losses)
                or descending_to_chance(self.thresholds, self._epoch_losses,
                                        self._facts))
            if note is not None:
                self._notes.append(note)
        if self._writer is not None:
            self._writer.flush()
        if self.verbose > 0:
            for f in self.findings:
                _print(f"GradientMonitor: {f['kind']}: {f['message']} "
                       f"Fix: {f['fix']}")

    def _read_facts(self):
        """What the rules weigh the probes against, read before training."""
        args, model = self._fit_args, self.model
        base, what, scale = _run_facts.target_facts(
            model, args.get("y"), args.get("class_weight"))
        # Keras weighs the training loss by `class_weight`, never the
        # validation loss: its no-information level is read unweighted.
        val_base = (_run_facts.unweighted_baseline(
            model, args.get("y"), args.get("class_weight"))
            if args.get("class_weight") else base)
        if args.get("sample_weight") is not None:
            base, what, val_base = None, "", None  # the weights change them
        return RunFacts(baseline=base, baseline_what=what,
                        val_baseline=val_base,
                        regression=_run_facts.is_regression(model),
                        batchnorm=_run_facts.batchnorm_layers(model),
                        target_scale=scale,
                        output_activation=_run_facts.output_activation(model),
                        lr_schedule=_run_facts.has_lr_schedule(model))

    def _final_facts(self):
        """Adds what is known only at the end of `fit` to the facts."""
        facts, args = self._facts, self._fit_args or {}
        facts.val_losses = tuple(self._val_losses)
        facts.regularization = _run_facts.regularization(self.model)
        if not args.get("class_weight") and args.get("sample_weight") is None:
            facts.collapse = _run_facts.collapse(
                self.model, self._last_predictions, self._batch[1],
                args.get("y"))

    def _run_setup_checks(self, predictions):
        """`check_setup` on `fit`'s data, with the model's outputs from the
        first probe, which ran on the weights before any training step."""
        self._setup_done = True
        if not self.setup_checks or self._fit_args is None:
            return
        try:
            found = _check_fit_setup(self.model, self._fit_args, predictions)
        except Exception as error:  # noqa: BLE001 - never break the user's fit
            self._notes.append(f"Setup checks skipped: {type(error).__name__}:"
                               f" {error}")
            return
        found = sorted(found, key=lambda f: _ORDER[f["kind"]])
        # Inputs off unit scale are named once training shows a cost.
        self._held = [f for f in found if f["kind"] in _HELD_KINDS]
        self._setup_findings = [f for f in found
                                if f["kind"] not in _HELD_KINDS]
        for f in self._setup_findings:
            self._act(f)

    def _update_findings(self, final):
        data_nonfinite = any(f["kind"] == "nonfinite_data"
                             for f in self._setup_findings)
        found = diagnose(self._history, self.thresholds, final=final,
                         nonfinite_step=self._nonfinite_step,
                         data_nonfinite=data_nonfinite,
                         target_spread=self._target_spread,
                         epoch_losses=self._epoch_losses, facts=self._facts)
        if found:
            self._release_held()
        named = {f["kind"] for f in self._setup_findings}
        for f in found:
            if f["kind"] not in self._found and f["kind"] not in named:
                self._found[f["kind"]] = f
                self._act(f)

    def _release_held(self):
        """Names the setup findings held until training showed a cost."""
        held, self._held = self._held, []
        for f in held:
            self._setup_findings.append(f)
            self._act(f)
        self._setup_findings.sort(key=lambda f: _ORDER[f["kind"]])

    def _act(self, finding):
        where = f" in '{finding['layer']}'" if finding["layer"] else ""
        when = (" before training" if finding["step"] is None
                else f" at step {finding['step']}")
        message = (f"GradientMonitor: {finding['kind']}{where}{when}. "
                   f"{finding['message']} Fix: {finding['fix']}")
        if self.policy == "raise":
            raise GradientHealthError(message)
        warnings.warn(message, CallbackWarning, stacklevel=3)
        if self.policy == "stop" and finding["kind"] not in SETUP_KINDS:
            self.model.stop_training = True
