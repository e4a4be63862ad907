"""The records that `GradientMonitor` keeps and its training rules read.

`Thresholds` holds the rules' thresholds, `RunFacts` what the monitor knows
of the run beside the probes (the no-information loss, the validation
losses, the BatchNormalization layers, ...) and `ProbeHistory` the figures
of every probe of one `fit`, one row per probe, as NumPy arrays; with the
two helpers every rule module uses: `_run_of` (where a run of bad probes
completes) and `_fmt` (a figure as a message writes it). The rules
themselves are in `_symptoms.py`, `_blowup.py` and `_loss_trend.py`.
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class Thresholds:
    """The thresholds of the rules; `GradientMonitor` documents each."""

    patience: int = 3
    vanishing_ratio: float = 1e-3
    stalled_vanishing_ratio: float = 1e-2
    grad_floor: float = 1e-7
    grad_ceiling: float = 1e3
    growth: float = 1e3
    nan_growth: float = 10.0
    diverge: float = 3.0
    max_update_ratio: float = 1.0
    min_update_ratio: float = 1e-6
    dead_share: float = 0.4
    saturated_share: float = 0.5
    flat_loss: float = 0.01
    min_steps: int = 20
    rise: float = 0.5
    rise_floor: float = 0.1
    constant: float = 1e-3
    # Dead units cost the model when they are most of a layer, or when the
    # loss has not fallen by `stall` of its start.
    dead_most: float = 0.9
    stall: float = 0.1
    # ...and only while the stalled loss stays above this share of the
    # no-information level: a model that stopped near a good loss with part
    # of a layer dead is not held back by it.
    dead_stall: float = 0.85
    # A training loss within `chance_margin` of the no-information level
    # after `min_signal_steps` steps has found no signal.
    chance_margin: float = 0.03
    min_signal_steps: int = 100
    # Under updates below a third of the healthy 1e-3 of the weights, a
    # training loss still within `slow_chance_margin` of that level has
    # barely started to learn: the rate holds it back.
    slow_chance_margin: float = 0.1
    # A training loss this many times the no-information level: the
    # outputs cannot reach the targets.
    unreachable: float = 1.5
    # Symptoms that need time are judged only after this many steps, or
    # when the loss has stopped falling.
    min_trend_steps: int = 100
    # Inference-mode spread below this share of the training-mode spread,
    # on a model with BatchNormalization: the moving statistics lag.
    bn_gap: float = 0.1
    # A regression target whose mean or spread reaches this, behind a loss
    # that stays at the no-information level, is named as unscaled (before
    # training, only from 1,000: see `_setup_targets`).
    stalled_target_scale: float = 100.0
    # A probe loss under this share of the no-information loss at the end:
    # the model fits its training rows, and inputs off unit scale did not
    # keep it from doing so.
    fit_well: float = 0.01
    # An epoch loss this many times the lowest before it: an explosion
    # between probes.
    loss_jump: float = 100.0
    # A probe loss this many times the first, with gradients grown
    # `nan_growth` times, right before ReLU units died: the step killed them.
    step_jump: float = 10.0
    # A schedule that leaves this share of the starting learning rate or
    # less at the end (and a hundredth by half of the run), behind a loss
    # that stopped falling, has cut training short.
    decayed_rate: float = 1e-3
    # A run too short to judge, each of whose epochs was a single step (the
    # batch held every training row), that ends with its training loss at
    # this share of the no-information level or above: too few updates.
    one_step_chance: float = 0.8


@dataclasses.dataclass
class RunFacts:
    """What the monitor knows of the run beside the probes.

    Attributes:
        baseline: The loss of a model that ignores its inputs (the entropy
            of the class shares, the targets' variance under MSE, the loss
            of the best constant under the other regression losses), or
            `None` where it is not known.
        baseline_what: What `baseline` is, in words.
        val_baseline: The same level for the validation loss, which
            `class_weight` does not weigh, or `None` where it is not known.
        regression: Whether the loss is a regression loss (the outputs
            must reach the targets' values, not class probabilities).
        val_losses: The validation loss `fit` logged at each epoch's end.
        batchnorm: `(name, momentum)` of each BatchNormalization layer.
        init_scales: Layer name -> std of its initial kernel over He's
            `sqrt(2 / fan_in)`.
        regularization: The weight penalties in the logged loss at the
            end (`sum(model.losses)`), taken off before comparing it with
            `baseline`.
        collapse: `None`, or a dict describing predictions that all fell
            on the majority class (`majority`, `share`, `rows`, `others`,
            `weights`).
        target_scale: The larger of a regression target's mean (in
            absolute value) and spread, or `None`.
        output_activation: The activation of the one output layer
            (`"linear"` for none), or `None` where it cannot be read.
        lr_schedule: Whether the optimizer's learning rate is a
            `keras.optimizers.schedules.LearningRateSchedule`.
        constant_start: `(layer name, value)` of each layer whose kernel or
            embedding table started with one value in every entry.
        train_accuracy: The training accuracy `fit` logged at the latest
            epoch's end, or `None` where it logs none.
        val_accuracy: The same for the validation accuracy.
    """

    baseline: object = None
    baseline_what: str = ""
    val_baseline: object = None
    regression: bool = False
    val_losses: tuple = ()
    batchnorm: tuple = ()
    init_scales: dict = dataclasses.field(default_factory=dict)
    regularization: float = 0.0
    collapse: object = None
    target_scale: object = None
    output_activation: object = None
    lr_schedule: bool = False
    constant_start: tuple = ()
    train_accuracy: object = None
    val_accuracy: object = None


class ProbeHistory:
    """Figures of every probe of one `fit`, one row per probe.

    Attributes (NumPy arrays once read):
        layers: Names of the layers with trainable weights (columns of
            `grad_norms`, `weight_norms`, `update_ratios`).
        units: Names of the layers with an activation (columns of
            `unit_shares` and `act_peaks`); `unit_kinds` gives `"relu"`,
            `"sigmoid"`, `"tanh"` or `"other"` for each, `unit_is_output`
            whether it is a model output.
        steps: Training step of each probe.
        loss: Loss on the probe batch in training mode.
        eval_loss: Loss on the probe batch in inference mode.
        pred_spread: Mean over output units of the predictions' standard
            deviation across the probe rows (inference mode).
        train_spread: The same in training mode (BatchNormalization on the
            batch's own statistics, dropout on).
        learning_rate: The optimizer's learning rate at the probe.
        grad_norms: Gradient norm per layer.
        weight_norms: Weight norm per layer.
        update_ratios: `||w_{t+1} - w_t|| / ||w_t||` of the training step
            right after the probe, per layer (`nan` until known).
        unit_shares: Share of dead (ReLU) or saturated (sigmoid, tanh)
            units per activation layer.
        act_peaks: Largest absolute activation per activation layer.
    """

    _ROWS = ("steps", "loss", "eval_loss", "pred_spread", "train_spread",
             "learning_rate",
             "grad_norms", "weight_norms", "update_ratios", "unit_shares",
             "act_peaks")

    def __init__(self, layers=(), units=(), unit_kinds=(), unit_is_output=()):
        self.layers, self.units = list(layers), list(units)
        self.unit_kinds, self.unit_is_output = list(unit_kinds), list(
            unit_is_output)
        self._rows = {key: [] for key in self._ROWS}

    def __len__(self):
        return len(self._rows["steps"])

    def __getattr__(self, key):
        rows = self.__dict__.get("_rows")
        if rows is None or key not in rows:
            raise AttributeError(key)
        values = np.asarray(rows[key], dtype="float64")
        if key in ("unit_shares", "act_peaks"):
            return values.reshape(len(rows["steps"]), len(self.units))
        if key in ("grad_norms", "weight_norms", "update_ratios"):
            return values.reshape(len(rows["steps"]), len(self.layers))
        return values

    def add(self, step, learning_rate, figures):
        """Appends one probe (a dict as returned by `Prober.probe`, grouped
        per layer)."""
        rows = self._rows
        rows["steps"].append(int(step))
        rows["learning_rate"].append(float(learning_rate))
        for key in ("loss", "eval_loss", "pred_spread", "train_spread"):
            rows[key].append(float(figures.get(key, math.nan)))
        for key in ("grad_norms", "weight_norms", "unit_shares", "act_peaks"):
            rows[key].append(np.asarray(figures[key], dtype="float64"))
        rows["update_ratios"].append(np.full(len(self.layers), np.nan))

    def set_update_ratios(self, ratios):
        """Sets the update ratios of the latest probe's next step."""
        self._rows["update_ratios"][-1] = np.asarray(ratios, dtype="float64")

    def to_dict(self):
        """All rows as lists (JSON-serialisable, `None` for non-finite)."""
        out = {"layers": list(self.layers), "units": list(self.units),
               "unit_kinds": list(self.unit_kinds)}
        for key in self._ROWS:
            out[key] = _jsonable(getattr(self, key).tolist())
        return out


def _run_of(flags, patience):
    """Index where `patience` consecutive True values first complete."""
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= patience:
            return i
    return None


def _fmt(value):
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value if value is None or math.isfinite(value) else None
