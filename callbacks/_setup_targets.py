"""Setup rules about what the model can learn from the targets.

Each rule follows from what the model and the data are, not from a list of
known bugs:

- `output_range`: the values an output activation can take against the
  targets (a sigmoid cannot reach 100, a ReLU cannot reach -1, softmax rows
  sum to 1 so they cannot hold two 1s).
- `unscaled_targets`: a regression target far from unit scale, which a
  freshly initialised output (values near 0) reaches only after many steps.
- `loss_domain`: targets that a built-in loss's formula cannot read as
  meant (negative values under a logarithm, rows that are not
  distributions under a divergence, targets around 0 under a percentage).
- `target_leak`: an input column that alone gives the target away.
- `nothing_to_train`: a model with no trainable weight.

They read the records of `setup_checks._outputs` (`out.layer`, `out.units`,
`out.pred`, `out.y`, `out.label`, `out.loss`) and return findings.
"""

import numpy as np

from ._findings import make_finding
from ._setup_data import floats
from ._setup_data import leaves
from ._setup_graph import CROSSENTROPY
from ._setup_graph import activation
from ._setup_graph import loss_text
from ._setup_rules import _fmt

# Output activation -> (lowest, highest) value it can take.
_RANGES = {
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, np.inf),
    "relu6": (0.0, 6.0), "softplus": (0.0, np.inf),
    "exponential": (0.0, np.inf), "elu": (-1.0, np.inf),
    "selu": (-1.7581, np.inf),
}
# Share of the targets outside the output's range that makes it a finding:
# a few stray values are noise, a tenth is a target the model cannot fit.
_OUTSIDE_SHARE = 0.1
# A regression target is unscaled when its mean or spread reaches this...
_TARGET_SCALE = 1000.0
# ...and the untrained model's outputs stay below this share of it.
_REACHED = 0.1
# |correlation| of one input column with the target that makes it a leak.
_LEAK_PURITY = 0.995  # share of rows a re-coded label column explains
_MAX_CLASSES = 20
_LEAK_ROWS = 4096  # rows read for the leak check
_MIN_LEAK_ROWS = 50


def output_range(out, data):
    """Targets the output activation of `out` cannot produce, under a
    built-in loss that compares the outputs with them (a custom loss may
    read the targets otherwise: as weights, advantages or masks)."""
    act = activation(out.layer)
    y = floats(data.scanned(out.y))
    if (act not in _RANGES or y is None or y.size == 0
            or out.loss is None):
        return []
    spec = out.loss
    family = spec["family"]
    finite = y[np.isfinite(y).reshape(len(y), -1).all(axis=1)]
    if not finite.size:
        return []
    if act == "softmax" and out.units > 1:
        if (family == "sparse" or finite.ndim < 2
                or finite.shape[-1] != out.units):
            return []  # class ids: `label_mismatch` reads them
        multi = _multi_hot(out, finite, family)
        if multi or (finite.min() >= 0 and finite.max() <= 1):
            return multi
    elif family in CROSSENTROPY:
        return []  # `label_mismatch` reads class targets against the loss
    lo, hi = _RANGES[act]
    outside = (finite < lo - 1e-6) | (finite > hi + 1e-6)
    share = float(outside.mean())
    if share < _OUTSIDE_SHARE:
        return []
    span = f"{_fmt(finite.min())}..{_fmt(finite.max())}"
    bound = f"[{_fmt(lo)}, {'inf' if np.isinf(hi) else _fmt(hi)})"
    loss = loss_text(spec)
    message = (f"{share:.0%} of {out.label} lie outside {bound}, the range "
               f"of the {act} on {out.where} (targets span {span}): the "
               f"model cannot output them, so {loss} cannot fall below the "
               "error of the nearest value it can reach.")
    if np.isinf(hi) or finite.min() < lo:
        fix = (f"remove the {act} from {out.where} (a linear output, "
               "`Dense(units)` with no activation) for targets that can be "
               "negative; or standardise the targets.")
    else:
        fix = (f"scale the targets into {bound} (e.g. `y / "
               f"{_fmt(finite.max())}`) and scale the predictions back, or "
               f"use a linear output (`Dense(units)` with no activation) "
               "on standardised targets.")
    return [make_finding("label_mismatch", message, fix,
                         layer=out.layer_name)]


# Built-in losses whose formula needs targets of a kind -> the class to name.
_LOG_LOSSES = {"mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
               "poisson": "Poisson"}
_DIVERGENCE = "kl_divergence"
_PERCENTAGE = "mean_absolute_percentage_error"
# Rows of a distribution sum to 1 within this.
_ROW_SUM = 1e-3


def loss_domain(out, data):
    """Targets outside what the built-in loss of `out` reads: negative
    values under a logarithm of the targets (MSLE clips them to 0; Poisson
    takes counts), rows that are not distributions under the
    Kullback-Leibler divergence, values on both sides of 0 under a
    percentage error (which divides by them)."""
    name = getattr(out, "loss_name", None)
    if name not in (*_LOG_LOSSES, _DIVERGENCE, _PERCENTAGE):
        return []
    y = floats(data.scanned(out.y))
    if y is None or y.size == 0:
        return []
    values = y.reshape(len(y), -1)
    values = values[np.isfinite(values).all(axis=1)]
    if not values.size:
        return []
    span = f"targets span {_fmt(values.min())}..{_fmt(values.max())}"
    if name in _LOG_LOSSES:
        share = float((values < 0).mean())
        if share < _OUTSIDE_SHARE:
            return []
        reads = ("takes log(1 + y) with y clipped at 0, so every negative "
                 "target is read as 0" if name != "poisson" else
                 "models counts (y log(prediction)), which cannot be "
                 "negative: a negative target rewards predictions near 0, "
                 "where the logarithm has no floor (NaN below 0)")
        message = (f"{share:.0%} of {out.label} are negative ({span}), but "
                   f"{name} {reads}.")
        fix = ("for targets that can be negative use `loss=\"mse\"` (on "
               "standardised targets); keep "
               f"`keras.losses.{_LOG_LOSSES[name]}()` for targets >= 0 "
               "(counts, or values spread over orders of magnitude).")
    elif name == _DIVERGENCE:
        bad = ((values < 0).any(axis=1)
               | (np.abs(values.sum(axis=1) - 1) > _ROW_SUM))
        share = float(bad.mean())
        if share < _OUTSIDE_SHARE:
            return []
        message = (f"{share:.0%} of the rows of {out.label} are not "
                   f"probability distributions (values >= 0 that sum to 1; "
                   f"{span}), but kl_divergence compares distributions: it "
                   "clips the targets into [1e-7, 1] and scores each row as "
                   "one.")
        fix = ("for 0/1 labels with several per row use `loss=\"binary_"
               "crossentropy\"` with sigmoid outputs; for one class per row "
               "`\"categorical_crossentropy\"`; for distributions, divide "
               "each row by its sum.")
    else:
        below, above = float((values < 0).mean()), float((values > 0).mean())
        if min(below, above) < _OUTSIDE_SHARE:
            return []
        message = (f"{out.label} lies on both sides of 0 ({below:.0%} "
                   f"negative, {span}), but {name} divides each error by "
                   "|y|: targets near 0 make it explode, so the loss is "
                   "ruled by the few rows closest to 0.")
        fix = ("use `loss=\"mse\"` or `\"mae\"` on standardised targets, "
               "and report the percentage error on the original, positive "
               "values if it is the measure you need.")
    return [make_finding("label_mismatch", message, fix,
                         layer=out.layer_name)]


def unscaled_targets(out, data):
    """A regression target whose scale the untrained output is far from."""
    spec = out.loss
    if spec is None or spec["family"] != "regression":
        return []
    act = activation(out.layer)
    if act is not None and act != "linear":
        return []  # a bounded output is `output_range`'s
    y = floats(data.scanned(out.y))
    if y is None or y.size == 0:
        return []
    values = y.reshape(len(y), -1)
    values = values[np.isfinite(values).all(axis=1)]
    if len(values) < 2:
        return []
    mean, spread = np.abs(values.mean(axis=0)), values.std(axis=0)
    scale = float(np.max(np.maximum(mean, spread)))
    if scale < _TARGET_SCALE:
        return []
    if out.pred is not None and np.isfinite(out.pred).any():
        reached = float(np.percentile(np.abs(out.pred[np.isfinite(
            out.pred)]), 99))
        if reached >= _REACHED * scale:
            return []  # the model already outputs values of that size
    else:
        reached = None
    seen = ("" if reached is None else
            f", while the untrained model outputs values up to "
            f"{_fmt(reached)}")
    message = (f"{out.label} is far from unit scale: mean {_fmt(mean.max())}"
               f", standard deviation {_fmt(spread.max())}{seen}. "
               f"{loss_text(spec)} and its gradients then start at the "
               "targets' scale: the output crawls towards the targets, or "
               "the updates explode.")
    fix = (f"standardise the target: `y_mean, y_std = {out.label}.mean(), "
           f"{out.label}.std()`, train on `({out.label} - y_mean) / y_std` "
           "and predict `model.predict(x) * y_std + y_mean` (for a positive,"
           " skewed target, `np.log1p(y)` first); kerasnn's "
           "`build_tabular_model(target_transform=\"auto\")` does this.")
    return [make_finding("unscaled_targets", message, fix,
                         layer=out.layer_name)]


def target_leak(data, outs):
    """An input column that alone predicts the target almost perfectly."""
    xs = leaves(data.x, "x")
    if data.kind != "arrays" or len(xs) != 1 or len(outs) != 1:
        return []
    spec = outs[0].loss
    if spec is None or spec["family"] not in CROSSENTROPY:
        return []  # a regression target that is a function of x is the task
    label, x = xs[0]
    x, y = floats(x), floats(outs[0].y)
    if x is None or y is None or x.ndim != 2 or x.shape[1] > 1000:
        return []
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1 or len(x) < _MIN_LEAK_ROWS:
        return []
    rows = slice(None) if len(x) <= _LEAK_ROWS else np.sort(
        np.random.default_rng(0).choice(len(x), _LEAK_ROWS, replace=False))
    x, y = x[rows], y[rows, 0]
    keep = np.isfinite(x).all(axis=1) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < _MIN_LEAK_ROWS or np.ptp(y) == 0:
        return []
    classes = np.unique(y)
    columns = data.columns.get(label)
    for c in range(x.shape[1]):
        how = _leaks(x[:, c], y, classes)
        if how is None:
            continue
        name = (repr(columns[c]) if columns and c < len(columns)
                else f"column {c}")
        message = (f"{name} of {label} alone predicts {outs[0].label}: "
                   f"{how} on {len(y)} rows. A model that reads it scores "
                   "almost perfectly in training and validation and learns "
                   "nothing that holds where that column is unknown.")
        fix = (f"drop {name} from the inputs if it is the target (or is "
               "computed from it) under another name, e.g. `x = "
               "df.drop(columns=[target, ...])`; keep it only if it will be "
               "known when the model is used.")
        return [make_finding("target_leak", message, fix,
                             layer=outs[0].layer_name)]
    return []


def constant_inputs(data, outs):
    """Inputs that are the same in every row: nothing in x can tell the
    rows apart (an integer division or a cast that wiped them out, a fill
    value everywhere)."""
    xs = leaves(data.x, "x")
    if data.kind == "none" or not xs or data.n < _MIN_LEAK_ROWS:
        return []
    seen = []
    for label, x in xs:
        x = floats(data.scanned(x))
        if x is None or len(x) < _MIN_LEAK_ROWS:
            return []
        x = x.reshape(len(x), -1)
        with np.errstate(invalid="ignore"):
            if not bool(np.all(np.nanmax(x, axis=0) == np.nanmin(x, axis=0))):
                return []
        values = np.unique(x[np.isfinite(x)])
        seen.append(f"{label} holds only {_fmt(values[0])}" if len(values)
                    == 1 else f"each column of {label} is one value in every "
                    "row")
    return [make_finding(
        "no_signal", f"The inputs do not vary across the rows: "
        f"{'; '.join(seen)} (over {len(x)} rows). Nothing in x can tell one "
        "row from another, so the model can only learn the average target.",
        "Find the step that wiped the inputs out: an integer division or "
        "`astype(int)` of values in [0, 1), a cast of uint8 arithmetic, a "
        "fill value everywhere, or the wrong column read.",
        layer=outs[0].layer_name if len(outs) == 1 else None)]


def nothing_to_train(model):
    """A built model whose weights are all frozen."""
    if not model.built or model.trainable_weights or not model.weights:
        return []
    frozen = [layer.name for layer in model.layers if layer.weights]
    shown = ", ".join(f"'{name}'" for name in frozen[:5])
    more = f" and {len(frozen) - 5} more" if len(frozen) > 5 else ""
    message = (f"The model has {len(model.weights)} weights and none is "
               f"trainable (layers {shown}{more} are frozen): fit runs, the "
               "loss is computed, and nothing changes.")
    fix = ("set `layer.trainable = True` on the layers to train (at least the"
           " new head; `model.trainable = True` for all) and call "
           "`model.compile(...)` again before fit.")
    return [make_finding("nothing_to_train", message, fix)]


def _multi_hot(out, y, family):
    """Rows of several 1s (multi-label) under a softmax output."""
    if y.ndim != 2 or y.shape[-1] != out.units:
        return []
    binary = bool(np.all((y == 0) | (y == 1)))
    sums = y.sum(axis=-1)
    several = sums > 1
    if not binary or not several.any():
        return []
    loss = "its loss" if family is None else loss_text(out.loss)
    message = (f"{out.label} is multi-hot: {int(several.sum())} of {len(y)} "
               f"rows hold several 1s (up to {int(sums.max())}), but the "
               f"softmax on {out.where} makes each row sum to 1, so it cannot"
               f" say yes to two labels; {loss} is at best half wrong on "
               "those rows.")
    fix = (f"for multi-label targets use `Dense({out.units}, activation="
           "\"sigmoid\")` with `loss=\"binary_crossentropy\"` (and "
           "`keras.metrics.BinaryAccuracy()` or `AUC(multi_label=True)`); "
           "if each row has one class, fix the targets.")
    return [make_finding("label_mismatch", message, fix,
                         layer=out.layer_name)]


def _leaks(column, y, classes):
    """How `column` gives `y` away, or None: a re-coding of class labels
    (as many values as classes, each value one class). A feature that
    merely separates the classes well, or a regression target that is a
    function of one column (`y = 2x` is a lesson, not a leak), is left
    alone."""
    if np.ptp(column) == 0:
        return None
    if len(classes) <= _MAX_CLASSES and bool(
            np.all(classes == np.round(classes))):
        values = np.unique(column)
        if len(values) != len(classes):
            return None
        hits = sum(np.bincount(np.searchsorted(classes, y[column == v])).max()
                   for v in values)
        purity = hits / len(y)
        if purity < _LEAK_PURITY:
            return None
        return (f"its {len(values)} values match the {len(classes)} classes "
                f"one to one on {purity:.1%} of the rows")
    return None
