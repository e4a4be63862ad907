"""Pure detection of training symptoms from a `ProbeHistory`.

Nothing here touches a model or a backend: `diagnose` reads the figures
`GradientMonitor` recorded at each probe (NumPy arrays) and returns findings
(see `callbacks/_findings.py`), so every rule can be tested on hand-made
histories.
"""

import dataclasses
import math

import numpy as np

from ._findings import make_finding


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
    # A training loss within `chance_margin` of the no-information level
    # after `min_signal_steps` steps has found no signal.
    chance_margin: float = 0.03
    min_signal_steps: int = 100
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


@dataclasses.dataclass
class RunFacts:
    """What the monitor knows of the run beside the probes.

    Attributes:
        baseline: The loss of a model that ignores its inputs (the entropy
            of the class shares, the targets' variance under MSE), or
            `None` where it is not known.
        baseline_what: What `baseline` is, in words.
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
    """

    baseline: object = None
    baseline_what: str = ""
    regression: bool = False
    val_losses: tuple = ()
    batchnorm: tuple = ()
    init_scales: dict = dataclasses.field(default_factory=dict)
    regularization: float = 0.0
    collapse: object = None
    target_scale: object = None


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


def diagnose(history, th, *, final=False, nonfinite_step=None,
             data_nonfinite=False, target_spread=None, epoch_losses=(),
             facts=None):
    """Returns the training findings that `history` supports, in priority
    order (one per kind).

    Args:
        history: A `ProbeHistory`.
        th: A `Thresholds`.
        final: Whether training has ended; the rules about the whole run
            (`batchnorm_statistics`, `no_signal`, `loss_not_decreasing`,
            `oscillating_loss`, `constant_predictions`, and dead units that
            cost only through a stalled loss) only run then.
        nonfinite_step: Step at which the loss logged by `fit` turned
            NaN/Inf, or `None`.
        data_nonfinite: Whether the setup checks found NaN/Inf in the data.
        target_spread: Standard deviation of the probe batch's targets, the
            scale for `constant_predictions`, or `None`.
        epoch_losses: The training loss `fit` logged at each epoch's end.
            A loss that fell there is not `loss_not_decreasing`, whatever
            the probe batch says (a small probe may miss a rare class).
        facts: A `RunFacts`, or `None` when nothing else is known.
    """
    facts = facts or RunFacts()
    if not len(history) and nonfinite_step is None:
        return []
    nonfinite = _nonfinite(history, th, nonfinite_step, data_nonfinite,
                           facts)
    if nonfinite is not None:
        return [nonfinite]
    trusted = ~_bn_lag(history, th, facts)
    stalled = _stalled(history, th, epoch_losses)
    exploding = _exploding(history, th, final, facts) or (
        _loss_jump(history, th, epoch_losses) if final else None)
    batchnorm = _batchnorm(history, th, facts, trusted) if final else None
    dead = _dead_or_saturated(history, th, "relu", trusted,
                              stalled if final else False)
    found = [exploding, batchnorm, dead,
             _dead_or_saturated(history, th, "saturating", trusted),
             _vanishing(history, th, final and (
                 stalled or _at_chance(history, th, epoch_losses, facts))),
             # Dead units get exactly zero gradients too: no second finding.
             None if dead is not None else _unchanged(history, th)]
    if final:
        # Weights that do not move at all will not change with more time.
        timed = (_long_enough(history, th, epoch_losses)
                 or _median_update(history) == 0)
        if batchnorm is None and timed:
            found.append(_constant(history, th, target_spread))
        # A loss that explodes is explained: no trend finding.
        if exploding is None:
            slow = _slow_updates(history, th)
            oscillating = _oscillating(history, th)
            # A rate too high or too low explains a loss at chance level.
            signal = (None if slow or oscillating else
                      _no_signal(history, th, epoch_losses, facts))
            found += [signal, oscillating]
            if (oscillating is None and signal is None
                    and not _fell(epoch_losses, th) and (slow or timed)):
                found.append(_flat(history, th))
            elif (slow and timed and history.steps[-1] >= th.min_signal_steps
                  and _at_chance(history, th, epoch_losses, facts)):
                found.append(_too_slow(history, facts))
            if signal is None and timed and facts.collapse:
                found.append(_collapsed(history, facts.collapse))
    return [f for f in found if f is not None]


def too_early(history, th, epoch_losses):
    """A note when the run was too short to judge its loss, else `None`."""
    if not len(history) or _long_enough(history, th, epoch_losses):
        return None
    return (f"Too early to tell whether the loss has stopped falling: "
            f"training ran {int(history.steps[-1])} steps (the rules about "
            f"a flat loss or constant predictions wait for "
            f"{th.min_trend_steps}, or for a loss that stopped falling).")


def fitted_well(history, th, facts):
    """Words saying that the model fits its training rows almost perfectly
    (the last probe's loss under `fit_well` of the no-information loss),
    or `None`."""
    base = facts.baseline
    if (not len(history) or base is None or not np.isfinite(base)
            or base <= 0):
        return None
    loss = history.eval_loss[-1] - (facts.regularization or 0.0)
    if not (np.isfinite(loss) and loss <= th.fit_well * base):
        return None
    return (f"The model fits its training rows: the probe loss ended at "
            f"{_fmt(loss)}, under {th.fit_well:.0%} of that of a model that "
            f"ignores its inputs ({_fmt(base)}, {facts.baseline_what}).")


def _nonfinite(h, th, nonfinite_step, data_nonfinite, facts):
    n = len(h)
    bad = None
    if n:
        ok = np.isfinite(h.loss) & np.all(np.isfinite(h.grad_norms), axis=1)
        if not ok.all():
            bad = int(np.argmin(ok))
    if bad is None and nonfinite_step is None:
        return None
    step = h.steps[bad] if bad is not None else nonfinite_step
    if nonfinite_step is not None:
        step = min(step, nonfinite_step)
    step = int(step)
    finite = list(range(bad if bad is not None else n))
    lr = h.learning_rate[-1] if n else math.nan
    if data_nonfinite:
        return make_finding(
            "nan", f"The loss became NaN/Inf at step {step}, fed by NaN/Inf "
            "values in the training data.",
            "Remove or impute the NaN/Inf values before `fit` (see the "
            "'nonfinite_data' finding).", step=step)
    overflow = _overflow(h, bad if bad is not None else n - 1)
    if overflow is not None:
        layer, peak = overflow
        return make_finding(
            "exploding", f"The outputs of '{layer}' overflow (largest "
            f"activation {_fmt(peak)}) and the loss became NaN/Inf at step "
            f"{step}: the forward pass explodes.",
            _init_fix(facts) or
            f"Bound the activation of '{layer}' (e.g. ReLU or tanh instead "
            "of 'exponential'), use smaller initial weights (Glorot/He), add "
            f"BatchNormalization, and lower the learning rate (now {lr:g}).",
            layer=layer, step=step)
    if finite:
        g = h.grad_norms[finite]
        first, last = g[0], g[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(first > 0, last / first, np.nan)
        loss = h.loss[finite]
        loss_growth = loss[-1] / loss.min() if loss.min() > 0 else np.nan
        upd = h.update_ratios[finite]
        upd_max = np.nanmax(upd) if np.isfinite(upd).any() else np.nan
        grew = np.nanmax(growth) if np.isfinite(growth).any() else np.nan
        if (grew >= th.nan_growth or loss_growth >= 2.0
                or upd_max > th.max_update_ratio):
            seen = []
            if np.isfinite(grew):
                j = int(np.nanargmax(growth))
                seen.append(
                    f"the gradient norm of '{h.layers[j]}' grew fastest, "
                    f"{_fmt(grew)}x (from {_fmt(first[j])} at step "
                    f"{int(h.steps[finite[0]])} to {_fmt(last[j])} at step "
                    f"{int(h.steps[finite[-1]])})")
            else:
                j = int(np.nanargmax(np.nan_to_num(upd[-1], nan=-1.0)))
            if upd_max > th.max_update_ratio:
                seen.append(f"one update moved the weights by {_fmt(upd_max)}"
                            " times their norm")
            if loss_growth >= 2.0:
                seen.append(f"the probe loss rose {_fmt(loss_growth)}x")
            return make_finding(
                "exploding", f"Training diverged: {'; '.join(seen)}; then "
                f"the loss became NaN/Inf at step {step} (learning rate "
                f"{lr:g}).",
                _init_fix(facts) or "Lower the learning rate (e.g. to "
                f"{lr / 10:g}) and clip gradients with the optimizer's "
                "`clipnorm=1.0`; check the initialisation (He or Glorot).",
                layer=h.layers[j], step=step)
    return make_finding(
        "nan", f"The loss or the gradients became NaN/Inf at step {step} "
        "without growing first: an operation produced NaN (e.g. a log or "
        "division of 0, or sqrt at 0).",
        "Check custom losses and layers for log(0), x/0 and sqrt(0) (add an "
        "epsilon); use built-in losses with `from_logits=True` rather than a "
        "softmax followed by a log.", step=step)


def _overflow(h, i, limit=1e15):
    if i < 0 or not len(h.units):
        return None
    peaks = h.act_peaks[i]
    for name, peak in zip(h.units, peaks):
        if not np.isfinite(peak) or peak > limit:
            return name, peak
    return None


def _exploding(h, th, final=False, facts=None):
    n, p = len(h), th.patience
    if n < p:
        return None
    g = h.grad_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(g[0] > 0, g / g[0], np.nan)
        # Large norms or updates alone are the scale of unscaled data, not
        # an explosion, while the loss still falls, unless the initial
        # weights are oversized; growth by orders of magnitude is one
        # whatever the loss does.
        rising = ~(h.loss < h.loss[0])[:, None] | (
            _init_fix(facts) is not None)
        flagged = ((((g > th.grad_ceiling)
                     | (h.update_ratios > th.max_update_ratio)) & rising)
                   | ((growth > th.growth) & (g > 1.0)))
    hit = _run_of(flagged.any(axis=1), p)
    if hit is None:
        return _diverged(h, th) if final else None
    i = hit
    score = np.nan_to_num(growth[i], nan=0.0) + g[i]
    j = int(np.argmax(np.where(flagged[i], score, -1)))
    layer, lr = h.layers[j], h.learning_rate[i]
    return make_finding(
        "exploding", f"The gradient norm of '{layer}' reached "
        f"{_fmt(g[i, j])} at step {int(h.steps[i])} ({_fmt(growth[i, j])}x "
        f"its first value; update ratio {_fmt(h.update_ratios[i, j])}; "
        f"learning rate {lr:g}).",
        _init_fix(facts) or
        f"Clip gradients with the optimizer's `clipnorm=1.0`, lower the "
        f"learning rate (e.g. to {lr / 10:g}) or add a warm-up, and check "
        "the initialisation (He or Glorot, not larger).",
        layer=layer, step=int(h.steps[i]))


def _loss_jump(h, th, epoch_losses):
    """An epoch loss `loss_jump` times or more above the lowest before it:
    the weights blew up between two probes."""
    loss = np.asarray(epoch_losses, dtype="float64")
    if len(loss) < 2 or not np.all(np.isfinite(loss)) or np.any(loss <= 0):
        return None
    best = np.minimum.accumulate(loss)[:-1]
    jumps = loss[1:] / best
    i = int(np.argmax(jumps))
    if jumps[i] < th.loss_jump:
        return None
    lr = h.learning_rate[-1] if len(h) else math.nan
    return make_finding(
        "exploding", f"The epoch loss jumped from {_fmt(best[i])} to "
        f"{_fmt(loss[i + 1])} in epoch {i + 2} ({_fmt(jumps[i])}x; learning "
        f"rate {lr:g}): the weights blew up between two probes.",
        f"Clip gradients with the optimizer's `clipnorm=1.0` and lower the "
        f"learning rate (e.g. to {lr / 10:g}); with ReLU inside a recurrent "
        "layer, keep its tanh.", step=int(h.steps[-1]) if len(h) else None)


def _diverged(h, th):
    """The loss rose far above its start after updates as large as the
    weights, and stayed there: an explosion that saturated the output
    instead of reaching NaN."""
    loss, upd = h.eval_loss, h.update_ratios
    if len(loss) < th.patience or not np.isfinite(loss[0]) or loss[0] <= 0:
        return None
    high = loss >= th.diverge * loss[0]
    i = _run_of(high, 2)
    if i is None or not bool(np.all(high[i:])):
        return None
    before = upd[:i]
    big = np.nanmax(before) if np.isfinite(before).any() else np.nan
    if not big >= 0.1 * th.max_update_ratio:
        return None
    j = int(np.nanargmax(np.nan_to_num(before, nan=-1.0)) % len(h.layers))
    layer, lr = h.layers[j], h.learning_rate[i]
    return make_finding(
        "exploding", f"The loss rose from {_fmt(loss[0])} to {_fmt(loss[i])} "
        f"by step {int(h.steps[i])} and stayed there, after updates as large "
        f"as {_fmt(big)} of the weights in '{layer}' (healthy is about "
        f"1e-3; learning rate {lr:g}): training diverged.",
        f"Lower the learning rate (e.g. to {lr / 10:g}) and clip gradients "
        "with the optimizer's `clipnorm=1.0`.", layer=layer,
        step=int(h.steps[i]))


def _dead_or_saturated(h, th, which, trusted, stalled=False):
    """Dead ReLU or saturated sigmoid/tanh units, on the probes whose
    inference-mode activations can be trusted (`trusted`). Dead units count
    only when they cost the model: at least `dead_most` of the layer still
    dead at the latest probe, or a loss that stalled (`stalled`)."""
    if not len(h.units) or len(h) < th.patience:
        return None
    kinds = np.array(h.unit_kinds)
    inner = ~np.array(h.unit_is_output, dtype=bool)
    if which == "relu":
        cols, limit = (kinds == "relu") & inner, th.dead_share
    else:
        cols, limit = np.isin(kinds, ("sigmoid", "tanh")) & inner, (
            th.saturated_share)
    if not cols.any():
        return None
    shares = np.where(cols & trusted[:, None], h.unit_shares, 0.0)
    hit = _run_of((shares >= limit).any(axis=1), th.patience)
    if hit is None:
        return None
    j = int(np.argmax(shares[hit]))
    layer, share = h.units[j], shares[hit, j]
    since_start = hit == 0 or bool(np.all(shares[:hit + 1, j] >= limit))
    lr = h.learning_rate[hit]
    step = int(h.steps[hit])
    if which == "relu":
        latest = shares[np.flatnonzero(trusted)[-1]] if trusted.any() else (
            shares[-1])
        k = int(np.argmax(latest))
        if not (latest[k] >= th.dead_most
                or (stalled and latest[k] >= limit)):
            return None
        j, layer, share = k, h.units[k], latest[k]
        since_start = since_start and bool(np.all(shares[:, k] >= limit))
        when = ("from initialisation" if since_start
                else f"since training began (learning rate {lr:g})")
        cost = ("most of the layer" if share >= th.dead_most
                else "and the loss has stalled")
        fix = ("Initialise with `kernel_initializer='he_normal'` and "
               "`bias_initializer='zeros'` (no negative or tiny weights), or "
               "use LeakyReLU." if since_start else
               f"Lower the learning rate (e.g. to {lr / 10:g}), clip "
               "gradients (`clipnorm=1.0`), or use LeakyReLU / "
               "BatchNormalization before the ReLU.")
        return make_finding(
            "dead_units", f"{share:.0%} of the ReLU units of '{layer}' output "
            f"zero on every probe row (dead units, {cost}) {when}, still at "
            f"step {int(h.steps[-1])}: no gradient flows through them.", fix,
            layer=layer, step=step)
    kind = h.unit_kinds[j]
    return make_finding(
        "saturated_units", f"{share:.0%} of the {kind} units of '{layer}' sit "
        f"at their limits on almost every probe row (saturated) at step "
        f"{step}: their gradient is nearly zero.",
        "Standardise the inputs, use Glorot initialisation (not larger), add "
        f"BatchNormalization before the activation of '{layer}', or use "
        "ReLU.", layer=layer, step=step)


def _bn_lag(h, th, facts):
    """Per probe: whether BatchNormalization's moving statistics make the
    model in inference mode much flatter than in training mode."""
    n = len(h)
    if not facts.batchnorm or not n:
        return np.zeros(n, dtype=bool)
    train, infer = h.train_spread, h.pred_spread
    with np.errstate(invalid="ignore"):
        return (np.isfinite(train) & np.isfinite(infer) & (train > 0)
                & (infer < th.bn_gap * train))


def _batchnorm(h, th, facts, trusted):
    """The moving statistics still lag at the end of training."""
    lag = ~trusted
    if not len(h) or not lag[-1]:
        return None
    # A lag that held over the last two probes, or one that costs now: the
    # inference-mode loss on the probe rows twice the training-mode one.
    costly = bool(h.eval_loss[-1] >= 2.0 * h.loss[-1] > 0)
    if len(h) > 1 and not lag[-2] and not costly:
        return None
    names = [name for name, _ in facts.batchnorm]
    momenta = sorted({m for _, m in facts.batchnorm if m is not None})
    momentum = max(momenta) if momenta else None
    shown = ", ".join(f"'{name}'" for name in names[:3]) + (
        f" and {len(names) - 3} more" if len(names) > 3 else "")
    need = (f"; with momentum {momentum:g} they need about "
            f"{1 / (1 - momentum):.0f} steps to forget their start"
            if momentum is not None and momentum < 1 else "")
    step = int(h.steps[-1])
    return make_finding(
        "batchnorm_statistics", f"At step {step} the model's predictions "
        f"barely vary across the probe rows in inference mode (spread "
        f"{_fmt(h.pred_spread[-1])}) but do in training mode "
        f"({_fmt(h.train_spread[-1])}); inference loss {_fmt(h.eval_loss[-1])}"
        f" against {_fmt(h.loss[-1])} in training mode. The moving mean and "
        f"variance of the BatchNormalization layers ({shown}) have not caught"
        f" up with the activations yet{need}: `evaluate` and `predict` see "
        "another model than the one trained. Units that look dead or "
        "predictions that look constant in inference mode follow from this.",
        "Train for more steps before judging the model, or lower the "
        "layers' momentum (`BatchNormalization(momentum=0.9)`; for a "
        "Keras Application, set `layer.momentum` on its BatchNormalization "
        "layers before compile); with little data and a pretrained body, "
        "keep its BatchNormalization layers frozen (`trainable=False`).",
        layer=names[0] if names else None, step=step)


def _vanishing(h, th, stalled=False):
    """The first layer's gradient under `vanishing_ratio` of the last's; or,
    in a model of three or more layers whose loss stalled, under
    `stalled_vanishing_ratio` of it (a gap that a model which learns
    bears)."""
    if len(h) < th.patience or len(h.layers) < 2:
        return None
    g = h.grad_norms
    first, last = g[:, 0], g[:, -1]
    ratio_limit = (th.stalled_vanishing_ratio
                   if stalled and len(h.layers) >= 3 else th.vanishing_ratio)
    bad = (first > 0) & ((first < ratio_limit * last)
                         | ((first < th.grad_floor) & (last >= th.grad_floor)))
    hit = _run_of(bad, th.patience)
    if hit is None:
        return None
    ratio = first[hit] / last[hit]
    cost = (", and the loss has stalled" if ratio >= th.vanishing_ratio
            else "")
    return make_finding(
        "vanishing", f"'{h.layers[0]}' gets {ratio:.1e} of the gradient norm "
        f"of '{h.layers[-1]}' at step {int(h.steps[hit])}{cost}: the "
        "gradients vanish before the early layers.",
        "Use ReLU activations with He initialisation "
        "(`kernel_initializer='he_normal'`), add BatchNormalization or "
        "residual connections, or use fewer layers.",
        layer=h.layers[0], step=int(h.steps[hit]))


def _unchanged(h, th):
    if len(h) < th.patience or len(h.layers) < 2:
        return None
    g, upd = h.grad_norms, h.update_ratios
    zero = np.all(g == 0.0, axis=0) & np.all(~(upd > 0.0), axis=0)
    if not zero.any():
        return None
    if zero.all():
        # The layers are trainable: something blocks the gradient on its
        # way back (no trainable weight at all is a setup finding).
        return make_finding(
            "unchanged_weights", f"Every trainable layer got an exactly "
            f"zero gradient at each of {len(h)} probes (steps "
            f"{int(h.steps[0])}-{int(h.steps[-1])}), so no weight moves: "
            "no gradient reaches the model from the loss.",
            "Find what cuts the loss off from the weights: a "
            "`stop_gradient`, a non-differentiable op at the output (round, "
            "argmax, a cast to int), an output layer whose units are all "
            "dead, or a loss computed from something other than the "
            "model's outputs.", layer=h.layers[-1], step=int(h.steps[-1]))
    j = int(np.argmax(zero))
    layer = h.layers[j]
    return make_finding(
        "unchanged_weights", f"The weights of the trainable layer '{layer}' "
        f"got an exactly zero gradient at every one of {len(h)} probes (steps "
        f"{int(h.steps[0])}-{int(h.steps[-1])}) and never moved.",
        f"Something between '{layer}' and the loss blocks the gradient: a "
        "non-differentiable op (round, argmax, a cast to int, comparisons), "
        "`stop_gradient`, or an output without a loss. Replace it with a "
        "differentiable one, or set `trainable=False` if it is meant to stay.",
        layer=layer, step=int(h.steps[-1]))


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
    lr = h.learning_rate[-1]
    median = _median_update(h)
    slow = _slow_updates(h, th)
    cause = ("the weights do not move at all (zero gradients; see the "
             "other findings)" if median == 0 else
             f"the updates are only {_fmt(median)} of the weights (healthy "
             f"is about 1e-3): the learning rate ({lr:g}) is far too low"
             if slow else f"learning rate {lr:g}")
    fix = ("Find what blocks the gradient (dead units, a frozen or "
           "disconnected output), then rerun." if median == 0 else
           f"Raise the learning rate (e.g. to {lr * 100:g}, or run find_lr)."
           if slow else "Run find_lr to pick the learning rate, and check "
           "that the targets match the inputs (shuffled together) and the "
           "loss.")
    return make_finding(
        "loss_not_decreasing", f"The probe loss fell only {drop:.1%} over "
        f"steps {int(h.steps[0])}-{int(h.steps[-1])} ({_fmt(loss[0])} -> "
        f"{_fmt(loss[-1])}); {cause}.", fix, step=int(h.steps[-1]))


def _too_slow(h, facts):
    """A loss that still sits at chance level under tiny updates: it falls,
    but at this rate it would take far longer than the run."""
    lr, median = h.learning_rate[-1], _median_update(h)
    return make_finding(
        "loss_not_decreasing", f"After {int(h.steps[-1])} steps the probe "
        f"loss is {_fmt(h.eval_loss[-1])} (from {_fmt(h.eval_loss[0])}), "
        f"still the level of a model that ignores its inputs "
        f"({_fmt(facts.baseline)}, {facts.baseline_what}), and the updates "
        f"are only {_fmt(median)} of the weights (healthy is about 1e-3): the"
        f" learning rate ({lr:g}) is far too low.",
        f"Raise the learning rate (e.g. to {lr * 100:g}, or run find_lr).",
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


def _at_chance(h, th, epoch_losses, facts):
    """The training loss ended at the level of a model that ignores its
    inputs (a stall that a first epoch's spike hides from `_stalled`)."""
    base = facts.baseline
    if base is None or not np.isfinite(base) or base <= 0 or not len(h):
        return False
    train = (epoch_losses[-1] if len(epoch_losses) else h.loss[-1]) - (
        facts.regularization or 0.0)
    return bool(np.isfinite(train) and train >= (1 - th.chance_margin) * base)


def _long_enough(h, th, epoch_losses):
    """Whether the run is long enough to judge symptoms that need time:
    `min_trend_steps` steps, or a loss that no longer falls (over the last
    two epochs)."""
    if len(h) and h.steps[-1] >= th.min_trend_steps:
        return True
    loss = np.asarray(epoch_losses, dtype="float64")
    return (len(loss) >= 3 and bool(np.all(np.isfinite(loss[-3:])))
            and loss[-1] >= loss[-3] * (1 - th.flat_loss))


def _no_signal(h, th, epoch_losses, facts):
    """The loss stayed at the level of a model that ignores its inputs."""
    base = facts.baseline
    if (base is None or not np.isfinite(base) or base <= 0 or not len(h)
            or h.steps[-1] < th.min_signal_steps):
        return None
    reg = facts.regularization or 0.0
    level = (1 - th.chance_margin) * base
    train = (epoch_losses[-1] if len(epoch_losses) else h.loss[-1]) - reg
    val = np.asarray(facts.val_losses, dtype="float64") - reg
    steps = int(h.steps[-1])
    if (facts.regression and np.isfinite(train)
            and train >= th.unreachable * base):
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
    scale = facts.target_scale
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
    elif len(val) >= 2 and np.all(np.isfinite(val)) and val.min() >= level:
        seen = (f"after {steps} steps the training loss fell to "
                f"{_fmt(train)} but the validation loss never went below "
                f"{_fmt(val.min())}, the level of a model that ignores its "
                f"inputs ({_fmt(base)}, {facts.baseline_what}): it memorises"
                " the training rows")
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


def _init_fix(facts):
    """A fix naming the layer whose initial weights are far above He's
    scale, or `None`."""
    if facts is None or not facts.init_scales:
        return None
    name, ratio = max(facts.init_scales.items(), key=lambda kv: kv[1])
    if not ratio > 2.0:
        return None
    return (f"The initial weights of '{name}' are {ratio:.1f}x He's scale "
            "(`sqrt(2 / fan_in)`), so each layer multiplies the "
            "activations: use `kernel_initializer='he_normal'` for ReLU "
            "layers ('glorot_uniform' for tanh/sigmoid), then clip gradients"
            " (`clipnorm=1.0`) if it still grows.")


def _fell(epoch_losses, th):
    loss = np.asarray(epoch_losses, dtype="float64")
    if len(loss) < 2 or not np.all(np.isfinite(loss)) or loss[0] == 0:
        return False
    return (loss[0] - loss[1:].min()) / abs(loss[0]) >= th.flat_loss


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
