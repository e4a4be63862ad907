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
        learning_rate: The optimizer's learning rate at the probe.
        grad_norms: Gradient norm per layer.
        weight_norms: Weight norm per layer.
        update_ratios: `||w_{t+1} - w_t|| / ||w_t||` of the training step
            right after the probe, per layer (`nan` until known).
        unit_shares: Share of dead (ReLU) or saturated (sigmoid, tanh)
            units per activation layer.
        act_peaks: Largest absolute activation per activation layer.
    """

    _ROWS = ("steps", "loss", "eval_loss", "pred_spread", "learning_rate",
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
        for key in ("loss", "eval_loss", "pred_spread"):
            rows[key].append(float(figures[key]))
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
             data_nonfinite=False, target_spread=None, epoch_losses=()):
    """Returns the training findings that `history` supports, in priority
    order (one per kind).

    Args:
        history: A `ProbeHistory`.
        th: A `Thresholds`.
        final: Whether training has ended; the rules about the whole run
            (`loss_not_decreasing`, `oscillating_loss`,
            `constant_predictions`) only run then.
        nonfinite_step: Step at which the loss logged by `fit` turned
            NaN/Inf, or `None`.
        data_nonfinite: Whether the setup checks found NaN/Inf in the data.
        target_spread: Standard deviation of the probe batch's targets, the
            scale for `constant_predictions`, or `None`.
        epoch_losses: The training loss `fit` logged at each epoch's end.
            A loss that fell there is not `loss_not_decreasing`, whatever
            the probe batch says (a small probe may miss a rare class).
    """
    if not len(history) and nonfinite_step is None:
        return []
    nonfinite = _nonfinite(history, th, nonfinite_step, data_nonfinite)
    if nonfinite is not None:
        return [nonfinite]
    dead = _dead_or_saturated(history, th, "relu")
    found = [_exploding(history, th, final), dead,
             _dead_or_saturated(history, th, "saturating"),
             _vanishing(history, th),
             # Dead units get exactly zero gradients too: no second finding.
             None if dead is not None else _unchanged(history, th)]
    if final:
        found.append(_constant(history, th, target_spread))
        # A loss that explodes or oscillates is explained: no trend finding.
        if found[0] is None:
            found.append(_oscillating(history, th))
            if found[-1] is None and not _fell(epoch_losses, th):
                found.append(_flat(history, th))
    return [f for f in found if f is not None]


def _nonfinite(h, th, nonfinite_step, data_nonfinite):
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
                "Lower the learning rate (e.g. to "
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


def _exploding(h, th, final=False):
    n, p = len(h), th.patience
    if n < p:
        return None
    g = h.grad_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(g[0] > 0, g / g[0], np.nan)
        flagged = ((g > th.grad_ceiling)
                   | ((growth > th.growth) & (g > 1.0))
                   | (h.update_ratios > th.max_update_ratio))
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
        f"Clip gradients with the optimizer's `clipnorm=1.0`, lower the "
        f"learning rate (e.g. to {lr / 10:g}) or add a warm-up, and check "
        "the initialisation (He or Glorot, not larger).",
        layer=layer, step=int(h.steps[i]))


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


def _dead_or_saturated(h, th, which):
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
    shares = np.where(cols, h.unit_shares, 0.0)
    hit = _run_of((shares >= limit).any(axis=1), th.patience)
    if hit is None:
        return None
    j = int(np.argmax(shares[hit]))
    layer, share = h.units[j], shares[hit, j]
    since_start = hit == 0 or bool(np.all(shares[:hit + 1, j] >= limit))
    lr = h.learning_rate[hit]
    step = int(h.steps[hit])
    if which == "relu":
        when = ("from initialisation" if since_start
                else f"since training began (learning rate {lr:g})")
        fix = ("Initialise with `kernel_initializer='he_normal'` and "
               "`bias_initializer='zeros'` (no negative or tiny weights), or "
               "use LeakyReLU." if since_start else
               f"Lower the learning rate (e.g. to {lr / 10:g}), clip "
               "gradients (`clipnorm=1.0`), or use LeakyReLU / "
               "BatchNormalization before the ReLU.")
        return make_finding(
            "dead_units", f"{share:.0%} of the ReLU units of '{layer}' output "
            f"zero on every probe row (dead units) {when}, still at step "
            f"{step}: no gradient flows through them.", fix,
            layer=layer, step=step)
    kind = h.unit_kinds[j]
    return make_finding(
        "saturated_units", f"{share:.0%} of the {kind} units of '{layer}' sit "
        f"at their limits on almost every probe row (saturated) at step "
        f"{step}: their gradient is nearly zero.",
        "Standardise the inputs, use Glorot initialisation (not larger), add "
        f"BatchNormalization before the activation of '{layer}', or use "
        "ReLU.", layer=layer, step=step)


def _vanishing(h, th):
    if len(h) < th.patience or len(h.layers) < 2:
        return None
    g = h.grad_norms
    first, last = g[:, 0], g[:, -1]
    bad = (first > 0) & ((first < th.vanishing_ratio * last)
                         | ((first < th.grad_floor) & (last >= th.grad_floor)))
    hit = _run_of(bad, th.patience)
    if hit is None:
        return None
    ratio = first[hit] / last[hit]
    return make_finding(
        "vanishing", f"'{h.layers[0]}' gets {ratio:.1e} of the gradient norm "
        f"of '{h.layers[-1]}' at step {int(h.steps[hit])}: the gradients "
        "vanish before the early layers.",
        "Use ReLU activations with He initialisation "
        "(`kernel_initializer='he_normal'`), add BatchNormalization or "
        "residual connections, or use fewer layers.",
        layer=h.layers[0], step=int(h.steps[hit]))


def _unchanged(h, th):
    if len(h) < th.patience or len(h.layers) < 2:
        return None
    g, upd = h.grad_norms, h.update_ratios
    zero = np.all(g == 0.0, axis=0) & np.all(~(upd > 0.0), axis=0)
    if not zero.any() or zero.all():
        return None
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
    upd = h.update_ratios
    median = float(np.nanmedian(upd)) if np.isfinite(upd).any() else math.nan
    slow = np.isfinite(median) and median < 1e3 * th.min_update_ratio
    cause = (f"the updates are only {_fmt(median)} of the weights (healthy "
             f"is about 1e-3): the learning rate ({lr:g}) is far too low"
             if slow else f"learning rate {lr:g}")
    fix = (f"Raise the learning rate (e.g. to {lr * 100:g}, or run find_lr)."
           if slow else "Run find_lr to pick the learning rate, and check "
           "that the targets match the inputs (shuffled together) and the "
           "loss.")
    return make_finding(
        "loss_not_decreasing", f"The probe loss fell only {drop:.1%} over "
        f"steps {int(h.steps[0])}-{int(h.steps[-1])} ({_fmt(loss[0])} -> "
        f"{_fmt(loss[-1])}); {cause}.", fix, step=int(h.steps[-1]))


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
