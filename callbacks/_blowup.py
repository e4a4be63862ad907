"""The training rules about a run that blows up.

NaN/Inf in the loss or the gradients (`_nonfinite`, which tells an
explosion, an overflowing activation and NaN from the data apart), NaN in
inference mode only (`_inference_nonfinite`), gradients or updates that
grow for `patience` probes (`_exploding`), an epoch loss that jumps a
hundredfold (`_loss_jump`), a loss that rose far above its start and
stayed there (`_diverged`) and a jump of the loss and the gradients that
killed ReLU units (`_step_killed_units`); each names oversized initial
weights as the cause where they are (`_init_fix`). `diagnose` in
`_symptoms.py` decides which of them run.
"""

import math

import numpy as np

from ._findings import make_finding
from ._probe_history import _fmt
from ._probe_history import _run_of


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


def _inference_nonfinite(h, th, facts):
    """A probe loss that is finite in training mode but NaN/Inf in
    inference mode at the latest `patience` probes: `fit`'s loss looks fine
    while `evaluate`, `predict` and the validation loss give NaN."""
    n, p = len(h), th.patience
    if n < p:
        return None
    bad = ~np.isfinite(h.eval_loss)
    if not bad[-p:].all() or not np.isfinite(h.loss[-p:]).all():
        return None
    # The first probe of the run of NaN that lasts to the end.
    start = n - int(np.argmin(bad[::-1])) if not bad.all() else 0
    seen = (f"In inference mode (as `evaluate`, `predict` and the validation "
            f"loss run the model) the probe loss is NaN/Inf from step "
            f"{int(h.steps[start])} to the end, while in training mode it is "
            f"finite ({_fmt(h.loss[-1])} at step {int(h.steps[-1])})")
    moving = (" BatchNormalization uses its moving statistics there, not "
              "the batch's." if facts.batchnorm else "")
    overflow = _overflow(h, n - 1)
    if overflow is not None:
        layer, peak = overflow
        return make_finding(
            "nan", f"{seen}: the outputs of '{layer}' overflow there "
            f"(largest activation {_fmt(peak)}).{moving}",
            f"Bound the activation of '{layer}' (e.g. ReLU or tanh instead "
            "of 'exponential'), or normalise its inputs so that they stay "
            "small in inference too; then check that `model.evaluate` gives "
            "a finite loss.", layer=layer, step=int(h.steps[start]))
    return make_finding(
        "nan", f"{seen}: an operation gives NaN only there.{moving}",
        "Check the layers that act differently in inference "
        "(BatchNormalization's moving variance near 0, a custom layer's "
        "`training` branch) for a division by 0 or a log or sqrt of 0.",
        step=int(h.steps[start]))


def _step_killed_units(h, th, dead):
    """ReLU units that died right after the loss and the gradients jumped:
    an update far too large threw them where no input reaches them, so the
    jump is the cause and the dead units its symptom."""
    if dead is None or dead["layer"] not in h.units:
        return None
    shares = h.unit_shares[:, h.units.index(dead["layer"])]
    if not shares[0] < th.dead_share:
        return None  # dead from initialisation, not from a step
    died = int(np.argmax(shares >= th.dead_share))
    loss, g = h.loss[:died + 1], h.grad_norms[:died + 1]
    if died < 1 or not (np.isfinite(loss[0]) and loss[0] > 0):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        jumps = loss[1:] / loss[0]
        # Layers without a first gradient cannot tell a growth.
        ratios = np.where(g[0] > 0, g[1:] / g[0], 0.0)
    ratios = np.nan_to_num(ratios, nan=0.0)
    growth = ratios.max(axis=1)
    big = (jumps >= th.step_jump) & (growth >= th.nan_growth)
    if not big.any():
        return None
    k = int(np.argmax(big)) + 1
    j = int(np.argmax(ratios[k - 1]))
    lr = h.learning_rate[k]
    return make_finding(
        "exploding", f"At step {int(h.steps[k])} the probe loss jumped "
        f"{_fmt(jumps[k - 1])}x (from {_fmt(loss[0])} to {_fmt(loss[k])}) "
        f"and the gradient norm of '{h.layers[j]}' grew "
        f"{_fmt(growth[k - 1])}x: an update far too large (learning rate "
        f"{lr:g}). After it, {shares[-1]:.0%} of the ReLU units of "
        f"'{dead['layer']}' output zero on every probe row and stay dead: "
        "no gradient flows through them.",
        f"Lower the learning rate (e.g. to {lr / 10:g}) or warm it up, and "
        "clip gradients (`clipnorm=1.0`); dead units do not come back, so "
        "train again from fresh weights.", layer=h.layers[j],
        step=int(h.steps[k]))


def _overflow(h, i, limit=1e15):
    if i < 0 or not len(h.units):
        return None
    peaks = h.act_peaks[i]
    if not np.any(np.isinf(peaks) | (peaks > limit)):
        # NaN with nothing infinite or huge anywhere: an operation made it
        # (0/0, log or sqrt of a negative), not an overflow.
        return None
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
