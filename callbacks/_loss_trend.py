"""The training rules about the loss's trend, read at the end of `fit`.

Each rule reads a `ProbeHistory` (with the `Thresholds`, the epoch losses
`fit` logged and the `RunFacts`): constant predictions, an oscillating
loss, a flat loss or one that falls far too slowly, a loss at the level of
a model that ignores its inputs (`no_signal`), predictions that collapsed
onto the majority class; and the tests they share (is the run long enough,
did the loss stall or fall, are the updates tiny). `diagnose` in
`_symptoms.py` decides which of them run.
"""

import math

import numpy as np

from ._findings import make_finding
from ._probe_history import _fmt

_ABOVE_CHANCE = 1.1  # a first epoch this far above chance is a slow start
_SEPARATED = 0.95  # an accuracy that shows the signal was found


def _constant(h, th, target_spread):
    n = min(len(h), th.patience)
    if n < 2 or not target_spread or not np.isfinite(target_spread):
        return None
    spread = h.pred_spread[-n:]
    if not np.all(np.isfinite(spread)):
        return None
    limit = th.constant * target_spread
    if np.all(spread <= limit):
        return make_finding(
            "constant_predictions", "The model predicts the same thing for "
            f"every row: the predictions' spread across the probe rows is "
            f"{_fmt(spread[-1])} against {_fmt(target_spread)} for the "
            f"targets, at step {int(h.steps[-1])}.",
            "Check the output activation (a ReLU output dies on negative "
            "targets: use a linear one), scale the targets, lower the "
            "learning rate or the regularisation, and check for dead units.",
            step=int(h.steps[-1]))
    return None


def _oscillating(h, th):
    loss = h.eval_loss
    if len(loss) < 4 or not np.all(np.isfinite(loss)) or np.any(loss <= 0):
        return None
    rises = (loss[1:] - loss[:-1]) / loss[:-1]
    # Near convergence a small probe batch's loss wobbles by more than
    # `rise` of itself; a rise counts only if it is also a visible share of
    # where the loss started.
    visible = (loss[1:] - loss[:-1]) > th.rise_floor * loss[0]
    jumps = int(np.sum((rises > th.rise) & visible))
    if jumps < 2:
        return None
    lr = h.learning_rate[-1]
    return make_finding(
        "oscillating_loss", f"The probe loss jumped up by more than "
        f"{th.rise:.0%} {jumps} times between probes (largest rise "
        f"{rises.max():.0%}; from {_fmt(loss[0])} to {_fmt(loss[-1])} over "
        f"steps {int(h.steps[0])}-{int(h.steps[-1])}) without diverging: the "
        f"learning rate ({lr:g}) is too high.",
        f"Lower the learning rate (e.g. to {lr / 10:g}, or run find_lr), or "
        "decay it (StepLR, ReduceLROnPlateau).", step=int(h.steps[-1]))


def _flat(h, th):
    loss = h.eval_loss
    if len(loss) < 3 or h.steps[-1] - h.steps[0] < th.min_steps:
        return None
    if not np.all(np.isfinite(loss)) or loss[0] == 0:
        return None
    drop = (loss[0] - loss[1:].min()) / abs(loss[0])
    if drop >= th.flat_loss:
        return None
    cause, fix = _why_still(h, th)
    fell = f"fell only {drop:.1%}" if drop > 0 else "did not fall"
    return make_finding(
        "loss_not_decreasing", f"The probe loss {fell} over "
        f"steps {int(h.steps[0])}-{int(h.steps[-1])} ({_fmt(loss[0])} -> "
        f"{_fmt(loss[-1])}); {cause}.", fix, step=int(h.steps[-1]))


def _why_still(h, th):
    """`(cause, fix)` of a loss that does not fall, from the updates'
    size: none at all (a blocked gradient), tiny (the rate), or healthy."""
    lr = h.learning_rate[-1]
    median = _median_update(h)
    if median == 0:
        return ("the weights do not move at all (zero gradients; see the "
                "other findings)", "Find what blocks the gradient (dead "
                "units, a frozen or disconnected output), then rerun.")
    if _slow_updates(h, th):
        # Healthy updates are about 1e-3 of the weights: the power of ten
        # that brings the median there.
        factor = 10.0 ** max(1, math.ceil(math.log10(1e-3 / median)))
        return (f"the updates are only {_fmt(median)} of the weights "
                f"(healthy is about 1e-3): the learning rate ({lr:g}) is far"
                " too low", f"Raise the learning rate (e.g. to "
                f"{lr * factor:g}, or run find_lr).")
    return (f"learning rate {lr:g}", "Run find_lr to pick the learning "
            "rate, and check that the targets match the inputs (shuffled "
            "together) and the loss.")


def _too_slow(h, th, facts):
    """A loss that still sits at or near chance level under tiny updates:
    it falls, but at this rate it would take far longer than the run."""
    cause, fix = _why_still(h, th)
    share = h.eval_loss[-1] / facts.baseline
    level = ("still the level" if share >= 1 - th.chance_margin
             else f"still {share:.0%} of the level")
    return make_finding(
        "loss_not_decreasing", f"After {int(h.steps[-1])} steps the probe "
        f"loss is {_fmt(h.eval_loss[-1])} (from {_fmt(h.eval_loss[0])}), "
        f"{level} of a model that ignores its inputs "
        f"({_fmt(facts.baseline)}, {facts.baseline_what}); {cause}.", fix,
        step=int(h.steps[-1]))


def _median_update(h):
    upd = h.update_ratios
    return float(np.nanmedian(upd)) if np.isfinite(upd).any() else math.nan


def _slow_updates(h, th):
    """Updates so small that the rate, not the model, keeps it still."""
    median = _median_update(h)
    return bool(np.isfinite(median) and median < 1e3 * th.min_update_ratio)


def _stalled(h, th, epoch_losses):
    """The loss fell by less than `stall` of where it started."""
    loss = np.asarray(epoch_losses, dtype="float64")
    if len(loss) < 2:
        loss = h.eval_loss
    if len(loss) < 2 or not np.all(np.isfinite(loss)) or loss[0] <= 0:
        return False
    return (loss[0] - loss[1:].min()) / abs(loss[0]) < th.stall


def _known_baseline(facts):
    """The no-information loss where it is known and positive, else
    `None`."""
    base = facts.baseline
    return base if base is not None and np.isfinite(base) and base > 0 else (
        None)


def _final_train_loss(h, epoch_losses, facts):
    """The last training loss `fit` logged (the probe's where there is
    none), less the weight penalties."""
    last = epoch_losses[-1] if len(epoch_losses) else h.loss[-1]
    return last - (facts.regularization or 0.0)


def _share_of_chance(h, epoch_losses, facts):
    """The last training loss over the no-information level (NaN for a
    loss that is not finite), or `None` where that level is not known."""
    base = _known_baseline(facts)
    if base is None or not len(h):
        return None
    return _final_train_loss(h, epoch_losses, facts) / base


def _at_chance(h, th, epoch_losses, facts):
    """The training loss ended at the level of a model that ignores its
    inputs (a stall that a first epoch's spike hides from `_stalled`)."""
    share = _share_of_chance(h, epoch_losses, facts)
    return share is not None and bool(share >= 1 - th.chance_margin)


def _near_chance(h, th, epoch_losses, facts):
    """The training and last probe losses within `slow_chance_margin` of
    the no-information level (a looser `_at_chance`, for tiny updates)."""
    share = _share_of_chance(h, epoch_losses, facts)
    floor = 1 - th.slow_chance_margin
    return (share is not None and bool(share >= floor)
            and bool(h.eval_loss[-1] >= floor * facts.baseline))


def _stopped_falling(epoch_losses, th):
    """The epoch loss no longer falls: over the last two epochs by less
    than `flat_loss` of itself."""
    loss = np.asarray(epoch_losses, dtype="float64")
    return (len(loss) >= 3 and bool(np.all(np.isfinite(loss[-3:])))
            and loss[-1] >= loss[-3] * (1 - th.flat_loss))


def _long_enough(h, th, epoch_losses):
    """Whether the run is long enough to judge symptoms that need time:
    `min_trend_steps` steps, or a loss that no longer falls (over the last
    two epochs)."""
    if len(h) and h.steps[-1] >= th.min_trend_steps:
        return True
    return _stopped_falling(epoch_losses, th)


def descending_to_chance(th, epoch_losses, facts):
    """A note when a classifier's training loss started well above the
    no-information level, came down to about it and was still falling when
    `fit` ended (a slow start: too early to tell whether the model finds
    signal), else `None`. Regression is left out: a target far from unit
    scale comes down to its variance the same way and then stalls there
    (`unscaled_targets`)."""
    base = _known_baseline(facts)
    loss = np.asarray(epoch_losses, dtype="float64") - (
        facts.regularization or 0.0)
    if (base is None or facts.regression or len(loss) < 3
            or not np.all(np.isfinite(loss))
            or loss[0] < _ABOVE_CHANCE * base
            or not (1 - th.chance_margin) * base <= loss[-1]
            <= _ABOVE_CHANCE * base
            or loss[-1] > loss.min() or loss[-1] >= loss[-3]):
        return None
    return (f"Too early to tell whether the model finds signal in x: the "
            f"training loss came down from {_fmt(loss[0])} to "
            f"{_fmt(loss[-1])}, about the level of a model that ignores its "
            f"inputs ({_fmt(base)}, {facts.baseline_what}), and was still "
            "falling when training ended. Train longer, or with a higher "
            "learning rate, before judging it.")


def one_step_epochs(h, th, epoch_losses, facts):
    """`loss_not_decreasing` when every epoch was one step, the batch
    holding every training row, and the training loss ended at
    `one_step_chance` of the no-information level or above; else `None`.
    `diagnose` asks only for a run too short to judge otherwise (see
    `_long_enough`): such a run is short because of its batch size, not
    because it was cut short, having made only one update an epoch."""
    share = _share_of_chance(h, epoch_losses, facts)
    epochs = len(epoch_losses)
    if (share is None or not np.isfinite(share) or not epochs
            or int(h.steps[-1]) != epochs
            or share < th.one_step_chance):
        return None
    # A classifier that already gets nearly every training (or validation)
    # row right has found the signal: its loss lags only because its
    # outputs are not yet confident after so few updates.
    if max(a for a in (facts.train_accuracy, facts.val_accuracy, 0.0)
           if a is not None) >= _SEPARATED:
        return None
    return make_finding(
        "loss_not_decreasing", f"Each of the {epochs} epochs was a single "
        "step (the batch held every training row), so the model was "
        f"updated only {epochs} times, and its training loss ended at "
        f"{_fmt(_final_train_loss(h, epoch_losses, facts))}, {share:.0%} of "
        "the level of a model that ignores its inputs "
        f"({_fmt(facts.baseline)}, {facts.baseline_what}).",
        "Train on mini-batches (`batch_size=32` to 256 in `fit`, each epoch "
        "then makes rows / batch_size updates), or for many more epochs.",
        step=int(h.steps[-1]))


def _no_signal(h, th, epoch_losses, facts):
    """The loss stayed at the level of a model that ignores its inputs
    (and did not just come down to it from a slow start)."""
    base = _known_baseline(facts)
    if (base is None or not len(h) or h.steps[-1] < th.min_signal_steps
            or descending_to_chance(th, epoch_losses, facts) is not None):
        return None
    level = (1 - th.chance_margin) * base
    train = _final_train_loss(h, epoch_losses, facts)
    val = (np.asarray(facts.val_losses, dtype="float64")
           - (facts.regularization or 0.0))
    steps = int(h.steps[-1])
    scale = facts.target_scale
    if (facts.regression and np.isfinite(train)
            and train >= th.unreachable * base):
        if facts.output_activation == "linear":
            # A linear output can reach any value: it has not got there yet.
            return _not_reached(train, base, steps, scale, th, facts,
                                h.learning_rate[-1])
        return make_finding(
            "label_mismatch", f"After {steps} steps the training loss is "
            f"{_fmt(train)}, {train / base:.1f}x that of always predicting "
            f"the same best constant ({_fmt(base)}, {facts.baseline_what}): "
            "the model's outputs cannot even reach the targets' average, so "
            "the output's range does not cover the targets.",
            "Compare the output layer's activation (or the last operation "
            "of the model) with the targets' range: a sigmoid, softmax or "
            "exp(-d) output stays in (0, 1), a ReLU above 0; use a linear "
            "output, or scale the targets into the output's range.",
            step=steps)
    if (facts.regression and np.isfinite(train) and train >= level
            and scale is not None and scale >= th.stalled_target_scale):
        return make_finding(
            "unscaled_targets", f"After {steps} steps the training loss is "
            f"{_fmt(train)}, still the level of always predicting the "
            f"targets' average ({_fmt(base)}, {facts.baseline_what}), and "
            f"the targets reach {_fmt(scale)} (mean or spread): from weights"
            " of unit scale the outputs must grow that much, and the "
            "optimizer moves each weight by about the learning rate a step.",
            "Standardise the target (`y_s = (y - y.mean()) / y.std()`, and "
            "undo it on the predictions), or use kerasnn's "
            "`target_transform=`.", step=steps)
    if np.isfinite(train) and train >= level:
        seen = (f"after {steps} steps the training loss is {_fmt(train)}, "
                f"the level of a model that ignores its inputs "
                f"({_fmt(base)}, {facts.baseline_what})")
    elif (len(val) >= 2 and np.all(np.isfinite(val))
          and facts.val_baseline is not None
          and val.min() >= (1 - th.chance_margin) * facts.val_baseline):
        seen = (f"after {steps} steps the training loss fell to "
                f"{_fmt(train)} but the validation loss never went below "
                f"{_fmt(val.min())}, the level of a model that ignores its "
                f"inputs ({_fmt(facts.val_baseline)}, "
                f"{facts.baseline_what}): it memorises the training rows")
    else:
        return None
    return make_finding(
        "no_signal", f"The model has found no signal in x: {seen}.",
        "Check, in this order: that the rows of x and y still line up (x or"
        " y shuffled, sorted or filtered on its own, e.g. a `dropna` or "
        "`sample` on one of them); that preprocessing did not wipe out the "
        "inputs (all zeros or constant after scaling, an integer division, "
        "a fill value everywhere); then the learning rate (run find_lr).",
        step=steps)


def _not_reached(train, base, steps, scale, th, facts, lr):
    """A linear regression output whose loss is still far above the
    targets' variance: the outputs have not come near the targets' level,
    because the targets sit far from unit scale or the steps are small."""
    seen = (f"After {steps} steps the training loss is {_fmt(train)}, "
            f"{train / base:.1f}x that of always predicting the same best "
            f"constant ({_fmt(base)}, {facts.baseline_what}): the linear "
            "output has not yet come near the targets' level")
    if scale is not None and scale >= th.stalled_target_scale:
        return make_finding(
            "unscaled_targets", f"{seen}, which is {_fmt(scale)} (mean or "
            "spread) while an untrained model outputs values near 0; the "
            f"optimizer moves each weight by about the learning rate "
            f"({lr:g}) a step.",
            "Standardise the target (`y_s = (y - y.mean()) / y.std()`, and "
            "undo it on the predictions), or use kerasnn's "
            "`target_transform=`; or raise the learning rate (run find_lr).",
            step=steps)
    return make_finding(
        "loss_not_decreasing", f"{seen}: the learning rate ({lr:g}) is too "
        "low for the run's length.",
        f"Raise the learning rate (e.g. to {lr * 10:g}, or run find_lr), or "
        "train longer.", step=steps)


def _stall_costs(h, th, epoch_losses, facts):
    """Whether a stalled loss stopped above `dead_stall` of the
    no-information level, a cost (always, where that level is unknown)."""
    share = _share_of_chance(h, epoch_losses, facts)
    return share is None or bool(share >= th.dead_stall)


def _rate_decayed(h, th, epoch_losses, facts):
    """A learning-rate schedule that cut the rate to almost nothing in the
    first half of the run, after which the loss stopped falling (and ended
    above a tenth of the no-information level: under it, the model has
    fitted before the rate went)."""
    lr = np.asarray(h.learning_rate, dtype="float64")
    if (not facts.lr_schedule or len(lr) < 3
            or not np.all(np.isfinite(lr)) or lr[0] <= 0
            or lr[-1] > th.decayed_rate * lr[0]
            or not _stopped_falling(epoch_losses, th)):
        return None
    cut = int(np.argmax(lr <= 10 * th.decayed_rate * lr[0]))
    steps, end = int(h.steps[cut]), int(h.steps[-1])
    share = _share_of_chance(h, epoch_losses, facts)
    if steps > end / 2 or (share is not None and share < 0.1):
        return None
    return make_finding(
        "loss_not_decreasing", f"The learning-rate schedule cut the rate "
        f"from {lr[0]:g} to {lr[cut]:g} by step {steps} ({steps / end:.0%} "
        f"of the run) and to {lr[-1]:g} by its end, and the loss stopped "
        f"falling ({_fmt(epoch_losses[-3])} -> {_fmt(epoch_losses[-1])} "
        "over the last epochs): the rest of the run could not move the "
        "weights.",
        "Let the schedule decay over the whole run: its `decay_steps` count "
        "optimizer steps (batches), so give it about the run's total steps "
        "(epochs x steps per epoch), e.g. `keras.optimizers.schedules."
        "CosineDecay(initial_rate, decay_steps=total_steps)`.", step=steps)


def _collapsed(h, collapse):
    return make_finding(
        "class_imbalance", f"At the end of training the model predicts "
        f"class {collapse['majority']} for all {collapse['rows']} probe "
        f"rows, {collapse['others']} of which belong to other classes: with "
        f"{collapse['share']:.0%} of the training rows in class "
        f"{collapse['majority']}, always saying it is the cheapest answer "
        "the model found.",
        f"pass `class_weight=` to fit (n / (k * count) per class: "
        f"{collapse['weights']}), or resample the classes; judge the model "
        "by `keras.metrics.AUC()` or recall rather than accuracy.",
        step=int(h.steps[-1]))


def _fell(epoch_losses, th):
    loss = np.asarray(epoch_losses, dtype="float64")
    if len(loss) < 2 or not np.all(np.isfinite(loss)) or loss[0] == 0:
        return False
    return (loss[0] - loss[1:].min()) / abs(loss[0]) >= th.flat_loss
