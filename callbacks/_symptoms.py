"""Pure detection of training symptoms from a `ProbeHistory`.

Nothing here touches a model or a backend: `diagnose` reads the figures
`GradientMonitor` recorded at each probe (NumPy arrays) and returns findings
(see `callbacks/_findings.py`), so every rule can be tested on hand-made
histories.
"""

import numpy as np

from ._blowup import _exploding
from ._blowup import _inference_nonfinite
from ._blowup import _loss_jump
from ._blowup import _nonfinite
from ._blowup import _step_killed_units
from ._findings import make_finding
from ._loss_trend import _at_chance
from ._loss_trend import _collapsed
from ._loss_trend import _constant
from ._loss_trend import _fell
from ._loss_trend import _flat
from ._loss_trend import _known_baseline
from ._loss_trend import _long_enough
from ._loss_trend import _median_update
from ._loss_trend import _near_chance
from ._loss_trend import _no_signal
from ._loss_trend import _oscillating
from ._loss_trend import _rate_decayed
from ._loss_trend import _slow_updates
from ._loss_trend import _stall_costs
from ._loss_trend import _stalled
from ._loss_trend import _too_slow
from ._loss_trend import descending_to_chance
from ._loss_trend import one_step_epochs
from ._probe_history import RunFacts
from ._probe_history import _fmt
from ._probe_history import _run_of


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
    if nonfinite is None and final:
        nonfinite = _inference_nonfinite(history, th, facts)
    if nonfinite is not None:
        return [nonfinite]
    trusted = ~_bn_lag(history, th, facts)
    # A stall needs time: a short run whose loss still falls is not one.
    stalled = (_stalled(history, th, epoch_losses)
               and _long_enough(history, th, epoch_losses))
    exploding = _exploding(history, th, final, facts) or (
        _loss_jump(history, th, epoch_losses) if final else None)
    batchnorm = _batchnorm(history, th, facts, trusted) if final else None
    dead = saturated = unchanged = None
    # Targets equal on every row need no unit that follows the inputs: dead,
    # saturated or unmoving units cost such a model nothing. (The probe rows'
    # spread alone may be an unshuffled dataset's first batch of one class.)
    same = target_spread == 0 and facts.baseline in (None, 0.0)
    if not same:
        dead = _dead_or_saturated(
            history, th, "relu", trusted, final and stalled and _stall_costs(
                history, th, epoch_losses, facts))
        saturated = _dead_or_saturated(history, th, "saturating", trusted)
        # Dead units get exactly zero gradients too: no second finding.
        unchanged = _unchanged(history, th) if dead is None else None
        # Weights that started constant and never moved explain both.
        start = _constant_start(history, th, facts)
        if start is not None:
            dead, unchanged = None, start
    # The jump that killed them explains dead units; the trend findings
    # below still run (a rate too high may also make the loss oscillate).
    killed = _step_killed_units(history, th, dead) if not exploding else None
    found = [exploding, killed, batchnorm, dead, saturated,
             _vanishing(history, th, final and (
                 stalled or _at_chance(history, th, epoch_losses, facts))),
             unchanged]
    if final:
        # Weights that do not move at all will not change with more time.
        timed = (_long_enough(history, th, epoch_losses)
                 or _median_update(history) == 0)
        if batchnorm is None and timed:
            found.append(_constant(history, th, target_spread))
        if exploding is None and (not timed or (
                len(history) and history.steps[-1] < th.min_trend_steps)):
            # Too short to judge, unless its batches made it short: with
            # one update an epoch the loss also falls little per epoch,
            # which is no sign that it stopped falling.
            found.append(one_step_epochs(history, th, epoch_losses, facts))
        # A loss that explodes is explained: no trend finding.
        if exploding is None:
            slow = _slow_updates(history, th)
            oscillating = _oscillating(history, th)
            decayed = None if oscillating else _rate_decayed(
                history, th, epoch_losses, facts)
            found.append(decayed)
            # A rate too high or too low explains a loss at chance level.
            signal = (None if slow or oscillating else
                      _no_signal(history, th, epoch_losses, facts))
            found += [signal, oscillating]
            flat = None
            if (oscillating is None and signal is None and decayed is None
                    and not _fell(epoch_losses, th) and (slow or timed)):
                flat = _flat(history, th)
            # A probe loss that fell a little (noise on a small batch) is not
            # progress when the run ends at chance level under tiny updates.
            if flat is None and (
                    decayed is None and timed
                    and history.steps[-1] >= th.min_signal_steps
                    and _median_update(history) < 3e2 * th.min_update_ratio
                    and _near_chance(history, th, epoch_losses, facts)):
                flat = _too_slow(history, th, facts)
            found.append(flat)
            # A loss still coming down to chance is too early to tell
            # (rule 7), for the majority answer as for the signal.
            if (signal is None and timed and facts.collapse
                    and descending_to_chance(th, epoch_losses, facts) is None):
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
    base = _known_baseline(facts)
    if not len(history) or base is None:
        return None
    loss = history.eval_loss[-1] - (facts.regularization or 0.0)
    if not (np.isfinite(loss) and loss <= th.fit_well * base):
        return None
    return (f"The model fits its training rows: the probe loss ended at "
            f"{_fmt(loss)}, under {th.fit_well:.0%} of that of a model that "
            f"ignores its inputs ({_fmt(base)}, {facts.baseline_what}).")


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


def _zero_gradient(h):
    """Per layer: an exactly zero gradient and no update at every probe."""
    return (np.all(h.grad_norms == 0.0, axis=0)
            & np.all(~(h.update_ratios > 0.0), axis=0))


def _constant_start(h, th, facts):
    """`unchanged_weights` for a layer whose kernel started with one value
    in every entry (`facts.constant_start`) and never got a gradient: the
    initializer, not the rate, keeps the model still."""
    if not facts.constant_start or len(h) < th.patience:
        return None
    names, zero = list(h.layers), _zero_gradient(h)
    for name, value in facts.constant_start:
        if name in names and zero[names.index(name)]:
            return make_finding(
                "unchanged_weights", f"The weights of '{name}' started "
                f"with every entry equal to {value:g} (a constant "
                f"initializer such as 'zeros') and got an exactly zero "
                f"gradient at each of {len(h)} probes (steps "
                f"{int(h.steps[0])}-{int(h.steps[-1])}): they never moved. "
                "Units that start identical compute the same value, and "
                "after zeros a ReLU passes no gradient back (its slope at 0 "
                "is 0), so the layers before the output cannot learn.",
                f"Initialise '{name}' randomly: drop the constant "
                "initializer (Keras's defaults are `kernel_initializer="
                "'glorot_uniform'` and `embeddings_initializer='uniform'`), "
                "or use `kernel_initializer='he_normal'` before a ReLU.",
                layer=name, step=int(h.steps[-1]))
    return None


def _unchanged(h, th):
    if len(h) < th.patience or len(h.layers) < 2:
        return None
    zero = _zero_gradient(h)
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
