"""The suggestion rule of `LRFinder`: which rate a recorded sweep supports.

`suggest_rate` reads the usable part of a finished sweep, takes a centred
trend of its batch losses (`_trend`) and the noise left in it, finds the
descent (from the highest point of the trend before its minimum down to
the minimum), and picks the rate of `method` in it (`_in_descent`), or,
with no clear descent, a tenth of the rate where the loss rises
(`_without_descent`). The reasons a suggestion is missing or doubtful come
back as notes. `_draw_trend` draws that trend and the suggestion for
`LRFinder.plot`. `LRFinder`'s class docstring states the rule in words.
"""

import dataclasses
import math

import numpy as np

# Where the "valley" point sits in the descent: 0 is its top, 1 the minimum.
_POSITION = 0.5
# A descent is clear when it exceeds _NOISE_FACTOR times the noise left in
# the trend and _RELATIVE_DROP of the loss it starts from.
_NOISE_FACTOR = 6.0
_RELATIVE_DROP = 0.05


@dataclasses.dataclass
class _Curve:
    """The usable sweep and what the rule reads from its trend.

    Attributes:
        lrs: The rates of the usable points.
        trend: The centred trend of their batch losses.
        low_i: Index of the trend's minimum.
        high_i: Index of the trend's highest point before the minimum.
        low: The trend at `low_i`.
        high: The trend at `high_i`.
        drop: `high - low`.
        noise: The noise left in the trend.
        head_lr: The first rate after the first tenth of the sweep.
    """

    lrs: np.ndarray
    trend: np.ndarray
    low_i: int
    high_i: int
    low: float
    high: float
    drop: float
    noise: float
    head_lr: float


def suggest_rate(finder, method):
    """The rate that the finished sweep of `finder` supports by `method`.

    Returns:
        `(rate, notes)`: the rate as a float, or `None` when the curve
        supports none; and the list of reasons why the rate is missing or
        doubtful (empty when there is nothing to say).
    """
    lrs, raw = _usable(finder)
    n = len(raw)
    notes = []
    if n < 10:
        notes.append(
            f"only {n} usable points (of num_steps={finder.num_steps}); the "
            "suggestion is not reliable. Give fit more batches, lower "
            "`start_lr` or raise `diverge`")
    if n < 2:
        return None, notes
    head_lr = finder._rate(math.ceil(finder.num_steps / 10))
    trend = _trend(raw)
    width = 2 * max(1, n // 20) + 1
    # Batch-to-batch noise, from differences (blind to the trend), then
    # what of it the trend's window leaves.
    noise = (1.4826 / math.sqrt(2)) * float(
        np.median(np.abs(np.diff(raw)))) / math.sqrt(width)
    low_i = int(np.argmin(trend))
    high_i = int(np.argmax(trend[:low_i + 1]))
    low, high = float(trend[low_i]), float(trend[high_i])
    drop = high - low
    curve = _Curve(lrs=lrs, trend=trend, low_i=low_i, high_i=high_i, low=low,
                   high=high, drop=drop, noise=noise, head_lr=head_lr)
    if drop > max(_NOISE_FACTOR * noise, _RELATIVE_DROP * abs(high)):
        return _in_descent(finder, curve, method, notes)
    return _without_descent(finder, curve, notes)


def _in_descent(finder, curve, method, notes):
    """The rate of `method` in a clear descent, and the notes."""
    lrs, trend, head_lr = curve.lrs, curve.trend, curve.head_lr
    low_i, high_i, low, drop = curve.low_i, curve.high_i, curve.low, curve.drop
    if lrs[low_i] < head_lr:
        notes.append(
            f"the loss is lowest in the first tenth of the sweep (at "
            f"{lrs[low_i]:.1e}, below {head_lr:.1e}), so the curve "
            "does not show where the descent starts. Lower `start_lr` "
            f"(received start_lr={finder.start_lr:g})")
        return None, notes
    top = high_i + int(np.nonzero(
        trend[high_i:low_i + 1] >= low + 0.9 * drop)[0][-1])
    if method == "minimum":
        lr = float(lrs[low_i] / 10.0)
        if lr < head_lr:
            notes.append(
                f"a tenth of the minimum's rate, {lr:.1e}, lies in "
                f"the first tenth of the sweep (below {head_lr:.1e}); "
                "lower `start_lr` or use method='valley'")
        return lr, notes
    if method == "steepest" and low_i - top >= 2:
        slope = np.gradient(trend[top:low_i + 1],
                            np.log10(lrs[top:low_i + 1]))
        i = top + int(np.argmin(slope))
    elif method == "steepest":
        i = low_i
    else:
        i = top + int(round(_POSITION * (low_i - top)))
    if lrs[i] < head_lr:
        i = int(np.nonzero(lrs >= head_lr)[0][0])
        notes.append(
            f"the loss was already falling at start_lr="
            f"{finder.start_lr:g}, so the {method} point lies in the "
            f"first tenth of the sweep; using {lrs[i]:.1e}, the first "
            "rate after it. Lower `start_lr` to see the whole descent")
    return float(lrs[i]), notes


def _without_descent(finder, curve, notes):
    """With no clear descent: a tenth of the rate where the loss rises above
    its minimum, or `None` for a flat curve; and the notes."""
    lrs, trend, head_lr = curve.lrs, curve.trend, curve.head_lr
    low_i, low, high, drop = curve.low_i, curve.low, curve.high, curve.drop
    tol = max(_NOISE_FACTOR * curve.noise, _RELATIVE_DROP * abs(low))
    above = np.nonzero(trend[low_i:] > low + tol)[0]
    fell = f"{drop / abs(high):.0%}" if high else f"{drop:.2g}"
    if not len(above):
        notes.append(
            "the loss curve is flat: it neither fell nor rose by more "
            f"than its noise between {lrs[0]:.1e} and {lrs[-1]:.1e}. "
            f"Widen the range (start_lr={finder.start_lr:g}, "
            f"end_lr={finder.end_lr:g}) or raise num_steps")
        return None, notes
    rise = low_i + int(above[0])
    lr = float(lrs[max(rise - 1, 0)] / 10.0)
    if lr < head_lr:
        notes.append(
            f"the loss rises from near the start of the sweep (from "
            f"{lrs[rise]:.1e}) without a clear descent before it, so a "
            "tenth of that rate lies in the first tenth of the sweep. "
            f"Lower `start_lr` (received start_lr={finder.start_lr:g})")
        return None, notes
    notes.append(
        f"no clear descent: the loss fell by {fell} at most before it "
        f"rose from {lrs[rise]:.1e}, as for a model that is already "
        f"trained. Suggesting {lr:.1e}, a tenth of the last rate before "
        "the rise; for a fresh model, check the data and the loss")
    return lr, notes


def _draw_trend(finder, ax):
    """Draws the trend the suggestion reads into `ax`, with the suggestion
    marked, and fits the y-axis to the trend."""
    lrs, raw = _usable(finder)
    trend = _trend(raw)
    if len(trend):
        ax.plot(lrs, trend, color="C1", label="trend (suggestion)")
    if finder.suggestion is not None and len(trend):
        i = int(np.argmin(np.abs(np.log(lrs) - math.log(finder.suggestion))))
        ax.axvline(finder.suggestion, color="C3", ls="--", lw=1)
        ax.plot([finder.suggestion], [trend[i]], "o",
                color="C3", label=f"{finder.method}: {finder.suggestion:.1e}")
    if len(trend) and trend.min() > 0:
        # From just below the floor to just above the descent's top.
        top = trend[:int(np.argmin(trend)) + 1].max()
        ax.set_ylim(trend.min() * 0.9, max(top * 1.15, trend.min() * 1.5))


def _trend(losses):
    """Centred running median, then running mean, over `2 * (n // 20) + 1`."""
    n = len(losses)
    half = max(1, n // 20)
    windows = [slice(max(0, i - half), i + half + 1) for i in range(n)]
    median = np.array([np.median(losses[w]) for w in windows])
    return np.array([median[w].mean() for w in windows])


def _usable(finder):
    """Rates and batch losses before the sweep diverged or hit NaN."""
    n = min(len(finder.lrs), len(finder.losses))
    lrs = np.asarray(finder.lrs[:n], dtype="float64")
    raw = np.asarray(finder.losses[:n], dtype="float64")
    avg, best = 0.0, math.inf
    for i, loss in enumerate(raw):
        avg = finder.beta * avg + (1 - finder.beta) * loss
        smooth = avg / (1 - finder.beta ** (i + 1))
        if not math.isfinite(loss) or not math.isfinite(smooth):
            return lrs[:i], raw[:i]
        best = min(best, smooth)
        if smooth > finder.diverge * best:
            return lrs[:i], raw[:i]
    return lrs, raw
