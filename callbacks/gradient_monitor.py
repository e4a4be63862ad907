"""`GradientMonitor`: says why a network is not learning, while it trains."""

import functools
import importlib.util
import math
import warnings

import keras
import numpy as np

from ._base import CallbackValueError
from ._base import CallbackWarning
from ._base import GradientHealthError
from .validation import check_choice
from .validation import check_float
from .validation import check_int
from ._base import _print
from ._findings import KINDS
from ._findings import SETUP_KINDS
from ._grads import ActivationLayers
from ._grads import Prober
from ._grads import fit_arguments
from ._grads import layer_groups
from ._grads import sample_batch
from ._probe_worker import ProbeWorker
from ._plot import line_plot
from ._plot import check_target
from . import _run_facts
from ._symptoms import ProbeHistory
from ._symptoms import RunFacts
from ._symptoms import Thresholds
from ._symptoms import diagnose
from ._symptoms import fitted_well
from ._symptoms import too_early

LOG_KEYS = ("grad_norm_first", "grad_norm_last", "grad_norm_ratio")
_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# Setup findings that wait for a cost in training: inputs off unit scale
# that the model fits anyway are not a fault.
_HELD_KINDS = ("unscaled_inputs",)
_SPLIT_ROWS = 4096  # rows read to judge a `validation_split`


class GradientMonitor(keras.callbacks.Callback):
    """Finds what stops a network from learning, and says what to change.

    Drop it into an existing `fit`. It runs `check_setup` on the data
    `fit` received, with the outputs of the model before training (loss vs
    output activation, labels vs output layer, unscaled inputs, NaN/Inf, a
    sorted `validation_split`, class imbalance). While training, Keras gives
    callbacks no gradients, so the monitor computes them itself on a small
    fixed probe batch, statelessly (no BatchNorm statistics, metrics or RNG
    state change): at each of the first `patience` steps (so problems of
    the initialisation show at once), then every `every` steps, and once
    more when `fit` ends. Each probe records per layer the gradient norm,
    the weight norm and the update-to-weight ratio of the next step; the
    loss in training and inference mode; the spread of the predictions
    across rows; and, on Sequential and functional models, the share of
    dead ReLU and saturated sigmoid/tanh units and the largest activation of
    each layer. `probe_history` holds these figures.

    By default (`asynchronous=True`) the probes run on one background
    thread, in order: at a due step the monitor only copies the weights
    (as NumPy arrays) and training goes on while the probe is compiled and
    run on that copy, so a probe's figures describe the weights of its
    step. Finished probes are read at the next steps, and all of them at
    the end of each epoch (so the epoch's `logs` include every probe) and
    of `fit`. Findings, and so `policy`, therefore act a few steps late:
    `"stop"` and `"raise"` may let a few more steps run than with
    `asynchronous=False`, which probes inside the hook, at its step. An
    error inside a probe thread ends the probing and is reported in
    `report()["notes"]` instead of breaking `fit`.

    The findings (see `report()["findings"]`) are dicts with `kind`,
    `message` (what was seen, with the numbers), `fix` (what to change),
    `layer` and `step`. Training kinds:

    - `"nan"`: the loss or gradients became NaN/Inf with no sign of growth
      before (an operation produced NaN, or NaN in the data);
    - `"exploding"`: norms above `grad_ceiling`, more than `growth` times
      their first value (and above 1), or updates above
      `max_update_ratio` of the weights, for `patience` probes; a probe
      loss that rose to `diverge` times its first value after updates of
      at least a tenth of `max_update_ratio` and stayed there; also a
      NaN/Inf preceded by gradient growth of at least `nan_growth` times, a
      rising loss or huge updates, or by an overflowing activation;
    - `"dead_units"` / `"saturated_units"`: at least `dead_share` of a
      hidden ReLU layer's units output zero on every probe row, or
      `saturated_share` of a hidden sigmoid/tanh layer's units sit at their
      limits, for `patience` probes (output layers are not judged); dead
      units only when they cost the model (90% of the layer, or a loss
      that stalled by the end of `fit`);
    - `"batchnorm_statistics"` (end of `fit`): the model's predictions
      vary in training mode but not in inference mode at the last probes,
      on a model with BatchNormalization layers that train (their moving
      statistics lag); such probes are not used to judge units;
    - `"no_signal"` (end of `fit`, after 100 steps): the training loss
      within 3% of the loss of a model that ignores its inputs, or a
      validation loss never below it;
    - `"nothing_to_train"`: no trainable weight, or an exactly zero
      gradient for every trainable layer at every probe;
    - `"vanishing"`: the first layer's gradient norm below
      `vanishing_ratio` times the last layer's for `patience` probes;
    - `"unchanged_weights"`: a trainable layer with an exactly zero
      gradient at every probe;
    - at the end of `fit`: `"constant_predictions"` (the predictions'
      spread across rows below `constant` times the targets'),
      `"oscillating_loss"` (the inference-mode probe loss rose by more than
      `rise` of itself, and by more than `rise_floor` of the first probe's
      loss, between probes at least twice) and `"loss_not_decreasing"`
      (it fell by less than `flat_loss` over at least `min_steps` steps,
      and so did the epoch loss `fit` logged, when there are two epochs);
      `"constant_predictions"` and `"loss_not_decreasing"` wait for 100
      steps or a loss that stopped falling, and a shorter run gets a
      "too early to tell" note in `report()["notes"]` instead.

    Each kind is reported once, when first confirmed, and acted on per
    `policy`. `report()["status"]` is the kind of the first finding (setup
    findings first, causes before symptoms), or `"healthy"`. The defaults
    were chosen on the catalogue of faulty and healthy programs in
    `benchmarks/bench_diagnosis.py`.

    At the end of each epoch the latest first- and last-layer gradient
    norms and their ratio go into `logs` under `"grad_norm_first"`,
    `"grad_norm_last"` and `"grad_norm_ratio"`, so place the monitor before
    `CSVLogger` or `EarlyStopping` in the callback list.

    The probe batch is taken from the data passed to `fit` (a seeded random
    sample of NumPy/tensor inputs, or the first batch of a `tf.data.Dataset`)
    unless `probe` is given; it must be given for generators and
    `PyDataset`, whose batches cannot be read twice (the setup checks then
    run on the probe batch).

    Args:
        every: Integer. Probe every `every` training steps. Defaults to `50`.
        probe: Tuple `(x, y)` or `(x, y, sample_weight)`, or `None`. Fixed
            probe batch; `x` may be a list or dict for several inputs.
            Defaults to `None`: a seeded sample of the training data, read
            from the running `fit` call (Keras does not hand callbacks
            their data; `report()["data"]` says which was used).
        probe_size: Integer. Rows in the probe batch. Defaults to `32`.
        policy: String. What to do on a finding: `"warn"` (one
            `CallbackWarning` per kind), `"stop"` (warn and set
            `model.stop_training`) or `"raise"` (raise
            `GradientHealthError`). Defaults to `"warn"`.
        setup_checks: Boolean. Whether to run `check_setup` at the start of
            `fit`. Defaults to `True`.
        patience: Integer. Consecutive bad probes needed for a finding.
            Defaults to `3`.
        vanishing_ratio: Float. Defaults to `1e-3`.
        grad_floor: Float. Gradient norm below which a layer's gradient
            vanishes. Defaults to `1e-7`.
        grad_ceiling: Float. Defaults to `1e3`.
        growth: Float. Defaults to `1e3`.
        nan_growth: Float. Growth before a NaN that makes it an explosion.
            Defaults to `10.0`.
        max_update_ratio: Float. Defaults to `1.0` (healthy is about
            `1e-3`).
        min_update_ratio: Float. Update ratio under which a flat loss is
            blamed on a too-low learning rate (times 1000). Defaults to
            `1e-6`.
        dead_share: Float in `(0, 1]`. Defaults to `0.4`.
        saturated_share: Float in `(0, 1]`. Defaults to `0.5`.
        flat_loss: Float. Defaults to `0.01`.
        min_steps: Integer. Defaults to `20`.
        rise: Float. Defaults to `0.5`.
        rise_floor: Float. Defaults to `0.1`: on a healthy run near
            convergence the probe loss wobbles by more than `rise` of
            itself, but by little of where it started.
        constant: Float. Defaults to `1e-3`.
        log_dir: String or `None`. If given, per-layer gradient norms and
            update ratios are written there as TensorBoard scalars.
            Defaults to `None`.
        asynchronous: Boolean. Whether probes run on a background thread
            while training goes on (see above). `False` runs each one inside
            the hook: findings and `policy` act at the probe's own step, and
            an error inside a probe is raised where it happens (use it to
            debug, or when a few late steps matter). Defaults to `True`.
        verbose: Integer. `1` prints the first/last ratio after each epoch
            and the findings at the end. Defaults to `0`.

    Raises:
        CallbackValueError: if an argument is out of range, or (at the start
            of `fit`) no probe batch can be taken from the data.
        GradientHealthError: during `fit`, with `policy="raise"`.

    Example:

    ```python
    monitor = GradientMonitor()
    model.fit(x, y, epochs=10, callbacks=[monitor])
    for finding in monitor.report()["findings"]:
        print(finding["kind"], finding["message"], finding["fix"])
    monitor.plot("gradient_norms.png")
    ```
    """

    def __init__(self, *, every=50, probe=None, probe_size=32, policy="warn",
                 setup_checks=True, patience=3, vanishing_ratio=1e-3,
                 grad_floor=1e-7, grad_ceiling=1e3, growth=1e3,
                 nan_growth=10.0, max_update_ratio=1.0, min_update_ratio=1e-6,
                 dead_share=0.4, saturated_share=0.5, flat_loss=0.01,
                 min_steps=20, rise=0.5, rise_floor=0.1, constant=1e-3,
                 log_dir=None, asynchronous=True, verbose=0):
        super().__init__()
        name = "GradientMonitor"
        self.every = check_int(name, "every", every)
        self.probe_size = check_int(name, "probe_size", probe_size)
        self.policy = check_choice(name, "policy", policy,
                                    ("warn", "stop", "raise"))
        self.setup_checks = check_choice(name, "setup_checks", setup_checks,
                                          (True, False))
        self.asynchronous = check_choice(name, "asynchronous", asynchronous,
                                          (True, False))
        self.verbose = check_int(name, "verbose", verbose, minimum=0)
        self.thresholds = Thresholds(
            patience=check_int(name, "patience", patience),
            vanishing_ratio=check_float(name, "vanishing_ratio",
                                         vanishing_ratio, high=1.0),
            grad_floor=check_float(name, "grad_floor", grad_floor),
            grad_ceiling=check_float(name, "grad_ceiling", grad_ceiling),
            growth=check_float(name, "growth", growth, low=1.0),
            nan_growth=check_float(name, "nan_growth", nan_growth, low=1.0),
            max_update_ratio=check_float(name, "max_update_ratio",
                                          max_update_ratio),
            min_update_ratio=check_float(name, "min_update_ratio",
                                          min_update_ratio),
            dead_share=check_float(name, "dead_share", dead_share,
                                    high=1.0, closed="right"),
            saturated_share=check_float(name, "saturated_share",
                                         saturated_share, high=1.0, closed="right"),
            flat_loss=check_float(name, "flat_loss", flat_loss, high=1.0),
            min_steps=check_int(name, "min_steps", min_steps),
            rise=check_float(name, "rise", rise),
            rise_floor=check_float(name, "rise_floor", rise_floor),
            constant=check_float(name, "constant", constant, high=1.0),
        )
        if probe is not None and (not isinstance(probe, (tuple, list))
                                  or len(probe) not in (2, 3)):
            raise CallbackValueError(
                "GradientMonitor: `probe` must be a tuple (x, y) or "
                f"(x, y, sample_weight). Received: probe of type "
                f"{type(probe).__name__}"
                + (f" with {len(probe)} items" if isinstance(
                    probe, (tuple, list)) else "")
            )
        self.probe = None if probe is None else tuple(probe)
        if log_dir is not None and importlib.util.find_spec(
                "tensorflow") is None:
            raise CallbackValueError(
                "GradientMonitor: `log_dir` writes TensorBoard summaries and "
                f"needs TensorFlow installed. Received: log_dir={log_dir!r}; "
                "install tensorflow or pass log_dir=None."
            )
        self.log_dir = log_dir
        self._reset()

    @property
    def probe_history(self):
        """The `ProbeHistory` of the latest `fit`: one row per probe."""
        return self._history

    @property
    def findings(self):
        """The findings so far: setup ones first, causes before symptoms."""
        found = list(self._setup_findings) + sorted(
            self._found.values(), key=lambda f: _ORDER[f["kind"]])
        return [dict(f) for f in found]

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
        return {
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
        }

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

    def on_train_begin(self, logs=None):
        self._reset()
        args = fit_arguments(self.model)
        self._sources = {
            "probe": ("probe argument" if self.probe is not None
                      else "fit arguments"),
            "setup_checks": ("fit arguments" if args is not None
                             else "probe argument")}
        if self.probe is not None:
            self._batch = (tuple(self.probe) + (None,))[:3]
        else:
            batch = None if args is None else sample_batch(
                args["x"], args["y"], args["sample_weight"], self.probe_size)
            if batch is None:
                raise CallbackValueError(
                    "GradientMonitor could not take a probe batch from the "
                    "data passed to `fit` (generators and PyDataset cannot "
                    "be read twice). Received: probe=None; pass "
                    "`GradientMonitor(probe=(x_batch, y_batch))`."
                )
            self._batch = _with_class_weight(batch, args["class_weight"])
        self._fit_args = args if args is not None else {
            "x": self._batch[0], "y": self._batch[1],
            "sample_weight": self._batch[2]}
        self._target_spread = _target_spread(self._batch[1])
        self._facts = self._read_facts()
        if self.log_dir is not None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_train_batch_begin(self, batch, logs=None):
        step = self._step
        self._step += 1
        if self._in_flight:
            self._worker.start()  # held back until the first step has run
            self._consume(block=False)
        pending = self._last_weights is not None
        due = (step < self.thresholds.patience or step % self.every == 0
               or self._prober is None) and not self._probe_failed
        if not (pending or due):
            return
        model = self.model  # On JAX this syncs the trainer's state.
        if self._prober is None:
            if not model.built:
                return  # Subclassed models build in their first step.
            if not model.trainable_variables:
                if not self._setup_done:  # nothing to probe: setup only
                    self._run_setup_checks(None)
                return
            self._setup(model)
        # During the first `patience` steps one copy of the weights serves
        # both the update of the last probe and the next probe.
        weights = self._prober.weights() if due else None
        if pending:
            self._record_updates(None if weights is None else weights[0])
        if due:
            self._probe(step, weights)

    def on_test_begin(self, logs=None):
        # Validation inside `fit`: no probe runs beside its first trace.
        if self._in_flight:
            self._consume(block=True)

    def on_epoch_end(self, epoch, logs=None):
        if self._in_flight:
            self._consume(block=True)  # the logs show every probe so far
        if logs is None:
            return
        loss = logs.get("loss")
        if loss is not None:
            self._epoch_losses.append(float(loss))
        if logs.get("val_loss") is not None:
            self._val_losses.append(float(logs["val_loss"]))
        if (loss is not None and not math.isfinite(float(loss))
                and self._nonfinite_step is None):
            self._nonfinite_step = self._step
            self._update_findings(final=False)
        h = self._history
        logs["grad_norm_first"] = float(h.grad_norms[-1, 0]) if len(
            h) and len(h.layers) else math.nan
        logs["grad_norm_last"] = float(h.grad_norms[-1, -1]) if len(
            h) and len(h.layers) else math.nan
        logs["grad_norm_ratio"] = float(self._ratio())
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: GradientMonitor first/last gradient "
                   f"norm ratio {self._ratio():.2e} "
                   f"({self.report()['status']}).")

    def on_train_end(self, logs=None):
        try:
            self._finish()
        finally:
            if self._worker is not None:
                self._worker.close()

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
            note = None if self._probe_failed else too_early(
                self._history, self.thresholds, self._epoch_losses)
            if note is not None:
                self._notes.append(note)
        if self._writer is not None:
            self._writer.flush()
        if self.verbose > 0:
            for f in self.findings:
                _print(f"GradientMonitor: {f['kind']}: {f['message']} "
                       f"Fix: {f['fix']}")

    def _reset(self):
        if getattr(self, "_worker", None) is not None:
            self._worker.close()  # a `fit` that raised left it behind
        self._worker, self._in_flight, self._probe_failed = None, 0, False
        self._last_weights, self._updates = None, {}
        self._step, self._nonfinite_step = 0, None
        self._history = ProbeHistory()
        self._setup_findings, self._found, self._notes = [], {}, []
        self._held = []
        self._sources = {"probe": None, "setup_checks": None}
        self._units_checked, self._index = False, []
        self._prober, self._batch, self._writer = None, None, None
        self._fit_args, self._target_spread = None, None
        self._epoch_losses, self._val_losses = [], []
        self._setup_done, self._facts = False, RunFacts()
        self._last_predictions = None

    def _read_facts(self):
        """What the rules weigh the probes against, read before training."""
        args, model = self._fit_args, self.model
        weighted = args.get("sample_weight") is not None
        base, what = (None, "") if weighted else _run_facts.baseline(
            model, args.get("y"), args.get("class_weight"))
        return RunFacts(baseline=base, baseline_what=what,
                        regression=_run_facts.is_regression(model),
                        batchnorm=_run_facts.batchnorm_layers(model),
                        target_scale=_run_facts.target_scale(
                            model, args.get("y")))

    def _final_facts(self):
        """Adds what is known only at the end of `fit` to the facts."""
        facts, args = self._facts, self._fit_args or {}
        facts.val_losses = tuple(self._val_losses)
        facts.regularization = _run_facts.regularization(self.model)
        if not args.get("class_weight") and args.get("sample_weight") is None:
            facts.collapse = _run_facts.collapse(
                self.model, self._last_predictions, self._batch[1],
                args.get("y"))

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


def _check_fit_setup(model, args, predictions):
    """Runs the checks of `check_setup` on the arguments `fit` received
    (Keras has checked them), with the model's `predictions` on the probe
    batch.

    `fit` has already cut the `validation_split` rows off `x` and `y`, so
    the split is judged on rows taken with one stride from the training
    rows and the cut-off ones, in their order.
    """
    from .setup_checks import run_checks
    from .setup_checks import split_checks

    found = run_checks(model, args["x"], args["y"],
                       class_weight=args.get("class_weight"),
                       sample_weight=args.get("sample_weight"),
                       predictions=predictions)
    split, val_x, val_y = (args.get("validation_split"), args.get("val_x"),
                           args.get("val_y"))
    if split and val_y is not None and args["y"] is not None:
        n = len(keras.tree.flatten(args["y"])[0]) + len(
            keras.tree.flatten(val_y)[0])
        stride = max(1, n // _SPLIT_ROWS)

        def joined(head, tail):
            return keras.tree.map_structure(
                lambda a, b: np.concatenate([np.asarray(a)[::stride],
                                             np.asarray(b)[::stride]]),
                head, tail)

        found += split_checks(model, joined(args["x"], val_x),
                              joined(args["y"], val_y), split, predictions)
    return found


def _with_class_weight(batch, class_weight):
    """Turns `fit`'s `class_weight` into the probe's sample weights, as
    Keras does for the training batches, so the probe sees the loss that is
    trained."""
    x, y, sw = batch
    if not class_weight or sw is not None or y is None or len(
            keras.tree.flatten(y)) != 1:
        return batch
    labels = np.asarray(keras.tree.flatten(y)[0])
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels)).astype("int64")
    weights = np.array([class_weight.get(int(c), 1.0) for c in labels],
                       dtype="float32")
    return x, y, weights


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


def _target_spread(y):
    """Std of the targets across rows (one-hot for sparse labels)."""
    values = [np.asarray(t, dtype="float64") for t in keras.tree.flatten(y)
              if t is not None and np.asarray(t).dtype.kind in "biuf"]
    if not values:
        return None
    spreads = [float(np.nanstd(v.reshape(len(v), -1), axis=0).mean())
               for v in values if len(v) > 1]
    return float(np.mean(spreads)) if spreads else None


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
