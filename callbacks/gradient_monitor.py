"""`GradientMonitor`: says why a network is not learning, while it trains."""

import math

import keras

from ._base import CallbackValueError
from .validation import check_choice
from .validation import check_float
from .validation import check_int
from ._base import _print
from ._monitor_findings import _FindingsMixin
from ._monitor_probes import _ProbingMixin
from ._monitor_report import _ReportMixin
from ._probe_data import _target_spread
from ._probe_data import _with_class_weight
from ._probe_data import fit_arguments
from ._probe_data import sample_batch
from ._probe_history import ProbeHistory
from ._probe_history import RunFacts
from ._probe_history import Thresholds
from ._summary import check_log_dir
from ._summary import open_writer

# The keys under which `fit` logs a classifier's training accuracy.
_ACCURACY_KEYS = ("accuracy", "acc", "binary_accuracy",
                  "categorical_accuracy", "sparse_categorical_accuracy")


class GradientMonitor(_ProbingMixin, _FindingsMixin, _ReportMixin,
                      keras.callbacks.Callback):
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
      before (an operation produced NaN, or NaN in the data); at the end of
      `fit`, a probe loss NaN/Inf in inference mode at the last `patience`
      probes while the training-mode loss is finite;
    - `"exploding"`: norms above `grad_ceiling`, more than `growth` times
      their first value (and above 1), or updates above
      `max_update_ratio` of the weights, for `patience` probes; a probe
      loss that rose to `diverge` times its first value after updates of
      at least a tenth of `max_update_ratio` and stayed there; also a
      NaN/Inf preceded by gradient growth of at least `nan_growth` times, a
      rising loss or huge updates, or by an overflowing activation; and a
      probe loss ten times its first value, with gradients grown
      `nan_growth` times, right before dead units that were alive at the
      first probe (named before them);
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

    With `log_dir`, the monitor also writes what it sees for TensorBoard,
    on the TensorFlow and JAX backends alike (with the `tensorboard`
    package's own writer: TensorFlow is not needed): at each probe, per
    layer, the gradient norm (`grad_norm/<layer>`), the update ratio
    (`update_ratio/<layer>`) and the first/last ratio as scalars, and
    histograms of the gradients (`gradients/<layer>`) and of the
    activation layers' outputs (`activations/<layer>`); each finding as
    text when it is raised (`findings/<kind>`); and at the end of `fit`
    the report (`report`) and `diagnose_fit`'s verdict on the epoch
    losses (`fit_diagnosis`). With `log_dir="auto"` these go to a
    `gradients` run beside the `train` and `validation` runs of the
    `keras.callbacks.TensorBoard` in the same `fit`, so one `tensorboard
    --logdir` shows them all. Nothing is written, and the probes keep no
    gradients, without `log_dir`.

    The probe batch is taken from the data passed to `fit` (a seeded random
    sample of NumPy/tensor inputs, the first batch of a `tf.data.Dataset`,
    or a `keras.utils.PyDataset`'s batch at index 0) unless `probe` is
    given; it must be given for generators and iterators, whose batches
    cannot be read twice.

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
            blamed on a too-low learning rate (times 1000), and a loss at
            the no-information level (times 300). Defaults to `1e-6`.
        dead_share: Float in `(0, 1]`. Defaults to `0.4`.
        saturated_share: Float in `(0, 1]`. Defaults to `0.5`.
        flat_loss: Float. Defaults to `0.01`.
        min_steps: Integer. Defaults to `20`.
        rise: Float. Defaults to `0.5`.
        rise_floor: Float. Defaults to `0.1`: on a healthy run near
            convergence the probe loss wobbles by more than `rise` of
            itself, but by little of where it started.
        constant: Float. Defaults to `1e-3`.
        log_dir: String, path-like, `"auto"` or `None`. Where to write
            TensorBoard summaries (see above); `"auto"` writes under
            `gradients/` in the `log_dir` of the `keras.callbacks.TensorBoard`
            passed to the same `fit`. Defaults to `None` (nothing written).
        asynchronous: Boolean. Whether probes run on a background thread
            while training goes on (see above). `False` runs each one inside
            the hook: findings and `policy` act at the probe's own step, and
            an error inside a probe is raised where it happens (use it to
            debug, or when a few late steps matter). Defaults to `True`.
        verbose: Integer. `1` prints the first/last ratio after each epoch
            and the findings at the end. Defaults to `0`.

    Raises:
        CallbackValueError: if an argument is out of range, `log_dir` is
            set without `tensorboard` installed, or (at the start of `fit`)
            no probe batch can be taken from the data, or `log_dir="auto"`
            finds no `keras.callbacks.TensorBoard` in the `fit`.
        CallbackTypeError: if `log_dir` is not a path, `"auto"` or `None`.
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
        self.log_dir = check_log_dir(name, log_dir)
        self._reset()

    @property
    def probe_history(self):
        """The `ProbeHistory` of the latest `fit`: one row per probe."""
        return self._history

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
                    "data passed to `fit` (a generator or iterator cannot "
                    "be read twice). Received: probe=None; pass "
                    "`GradientMonitor(probe=(x_batch, y_batch))`."
                )
            self._batch = _with_class_weight(batch, args["class_weight"])
        self._fit_args = args if args is not None else {
            "x": self._batch[0], "y": self._batch[1],
            "sample_weight": self._batch[2]}
        self._target_spread = _target_spread(self._batch[1])
        self._facts = self._read_facts()
        self._writer = open_writer("GradientMonitor", self.log_dir,
                                   self.model, "gradients")

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
        for prefix, field in (("", "train_accuracy"),
                              ("val_", "val_accuracy")):
            accuracy = next((logs[prefix + k] for k in _ACCURACY_KEYS
                             if logs.get(prefix + k) is not None), None)
            setattr(self._facts, field,
                    None if accuracy is None else float(accuracy))
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
            self._write_report()
        finally:
            if self._worker is not None:
                self._worker.close()
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def _act(self, finding):
        self._write_finding(finding)
        super()._act(finding)

    def _reset(self):
        if getattr(self, "_worker", None) is not None:
            self._worker.close()  # a `fit` that raised left it behind
        if getattr(self, "_writer", None) is not None:
            self._writer.close()
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
