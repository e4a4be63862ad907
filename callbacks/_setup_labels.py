"""The setup rules about the loss against the output and the targets.

`loss_activation_mismatch`: a loss that does not fit the output's
activation (softmax over one unit, a sigmoid under a categorical
cross-entropy, an activation applied twice with `from_logits=True`, ReLU
or no activation under a cross-entropy that expects probabilities).
`label_mismatch`: targets that do not fit the output or its loss, read by
one helper per loss family (sparse ids, one-hot, binary, regression). Like
the other rules of `check_setup` (`_setup_rules.py`), each reads the
model's outputs (`setup_checks._outputs`) and the data, and returns a list
of findings.
"""

import dataclasses

import numpy as np

from ._findings import make_finding
from ._setup_data import floats
from ._setup_graph import CROSSENTROPY
from ._setup_graph import activation
from ._setup_graph import activation_from_values
from ._setup_graph import loss_text
from ._setup_rules import _counts
from ._setup_rules import _fmt
from ._setup_rules import _is_one_hot

_MAX_CLASSES = 20  # most distinct whole values that may read as class ids
_EVEN_CLASSES = 5.0  # and the most the largest of them may outnumber the least
_SOFTMAX = ("softmax", "sparsemax")
_SIGMOID = ("sigmoid", "hard_sigmoid")
_RELU = ("relu", "relu6")
_SAMPLED_ROWS = 2000  # a sample this large misses no class of 0.5% or more


def loss_activation_mismatch(out, data=None):
    """A loss that does not fit the activation of the output `out`."""
    found = _noise_after(out) if out.noise is not None else []
    return found + _mismatch(out, data)


def _mismatch(out, data):
    act = activation(out.layer)
    if act in _SOFTMAX and out.units == 1:
        return [make_finding(
            "loss_activation_mismatch",
            f"{out.where} applies {act} over 1 unit: it always outputs 1.0, "
            "so its loss and gradients do not depend on the input.",
            "for two classes use `Dense(1, activation=\"sigmoid\")` with "
            "`loss=\"binary_crossentropy\"`, or `Dense(2, activation="
            "\"softmax\")` with `loss=\"sparse_categorical_crossentropy\"`.",
            layer=out.layer_name)]
    spec = out.loss
    if spec is None or spec["family"] not in CROSSENTROPY:
        return []
    if (spec["family"] == "categorical" and out.units == 1
            and not spec["from_logits"]):
        return [make_finding(
            "loss_activation_mismatch",
            f"{out.where} has 1 unit under {loss_text(spec)}, which divides "
            "each row by its sum: one output is always 1.0 of its row, so "
            "the loss cannot tell a right prediction from a wrong one.",
            "for two classes use `loss=\"binary_crossentropy\"` with "
            "`Dense(1, activation=\"sigmoid\")`; for K classes use "
            "`Dense(K, activation=\"softmax\")`.", layer=out.layer_name)]
    span = _span(out.pred)
    if act is None and span is not None:
        act = activation_from_values(out.pred, out.units, span)
    if act is None:
        return []
    return _activation_vs_loss(out, act, spec, data, span)


def _noise_after(out):
    """A layer that acts in training only (`out.noise`) after the output
    layer: the loss is computed on outputs the activation never gives."""
    noise = out.noise
    kind = type(noise).__name__
    effect = ("adds random noise to the outputs" if kind == "GaussianNoise"
              else "multiplies the outputs by random noise"
              if kind == "GaussianDropout"
              else "zeroes outputs at random and scales the rest up")
    return [make_finding(
        "loss_activation_mismatch",
        f"{kind} '{noise.name}' comes after {out.where}: in training it "
        f"{effect}, so the loss compares the targets with values the "
        "output never gives at inference (a softmax row no longer sums to "
        "1, a sigmoid exceeds 1) and the model learns flatter outputs; at "
        "inference the layer does nothing.",
        f"move `{kind}` before {out.where}: regularise the hidden layers, "
        "and let the output layer's activation be the model's last step.",
        layer=noise.name)]


def _activation_vs_loss(out, act, spec, data, span):
    """What the activation `act` of `out` means under the cross-entropy
    loss `spec`: a `loss_activation_mismatch` finding, or none."""
    loss = loss_text(spec)
    prob = "sigmoid" if spec["family"] == "binary" else "softmax"
    logits_fix = (f"`keras.losses.{spec['class']}(from_logits=True)`")
    seen = "" if span is None else f" (outputs {span} on {len(out.pred)} rows)"
    if (act in _SIGMOID and spec["family"] != "binary" and out.units > 1
            and not spec["from_logits"]):
        multi = data is not None and _multi_label(data.scanned(out.y))
        if multi:
            message = (f"{out.label} is multi-label (rows with several 1s) "
                       f"and {out.where} applies {act}, but {loss} reads "
                       "each row as one class: it rescales the outputs to "
                       "sum to 1 and trains them against each other.")
            fix = ("keep the sigmoid and use `loss=\"binary_crossentropy\"` "
                   "for multi-label targets.")
        else:
            message = (f"{out.where} applies {act} to each of its "
                       f"{out.units} units independently, but {loss} "
                       "expects one distribution over the classes (rows "
                       "summing to 1): it rescales the outputs, and the "
                       "units do not compete as classes should.")
            fix = (f"use `activation=\"softmax\"` on {out.where} for "
                   "single-label classes (or no activation with "
                   f"{logits_fix}).")
    elif (act in _SOFTMAX and spec["family"] == "binary" and out.units > 2
          and data is not None and _single_label(data.scanned(out.y),
                                                 out.units)):
        message = (f"{out.where} applies {act} over {out.units} classes "
                   f"with one class per row, but {loss} scores each of the "
                   f"{out.units} outputs as a yes/no question of its own, "
                   "and the accuracy Keras reports beside it is binary "
                   "accuracy: answering 'no' everywhere already scores "
                   f"{1 - 1 / out.units:.0%}.")
        fix = ("use `loss=\"categorical_crossentropy\"` (or "
               "\"sparse_categorical_crossentropy\" with "
               "`np.argmax(y, axis=-1)`) with the softmax output.")
    elif (spec["family"] == "binary" and out.units > 2
          and (act in _SIGMOID and not spec["from_logits"]
               or act == "linear" and spec["from_logits"])
          and data is not None
          and _single_label(data.scanned(out.y), out.units)):
        message = (f"{out.label} holds one class per row (one-hot over "
                   f"{out.units} classes), but {out.where} under {loss} "
                   f"scores each of the {out.units} outputs as a yes/no "
                   "question of its own: the outputs do not compete, most "
                   "answers are 'no', so the right class is slow to become "
                   "the highest output, and the accuracy Keras reports "
                   "beside this loss is per column: answering 'no' "
                   f"everywhere already scores {1 - 1 / out.units:.0%}.")
        fix = (f"use `activation=\"softmax\"` on {out.where} with "
               "`loss=\"categorical_crossentropy\"` (or "
               "\"sparse_categorical_crossentropy\" with "
               "`np.argmax(y, axis=-1)`); keep sigmoids for multi-label "
               "targets.")
    elif act in _SOFTMAX + _SIGMOID and spec["from_logits"]:
        message = (f"{out.where} applies {act}, and {loss} applies it "
                   "again: the loss reads probabilities as logits, so its "
                   "gradients are weak and training stalls.")
        fix = (f"remove the activation from {out.where} (e.g. "
               f"`Dense({out.units})`) and keep from_logits=True, or keep "
               f"{act} and use `keras.losses.{spec['class']}()`.")
    elif act in _RELU:
        message = (f"{out.where} uses {act} under {loss}{seen}: ReLU outputs "
                   "are neither probabilities (they exceed 1 and hit 0) nor "
                   "logits (they cannot go negative).")
        fix = (f"use `activation=\"{prob}\"` with from_logits=False, or no "
               f"activation with {logits_fix}.")
    elif act not in _SOFTMAX + _SIGMOID and not spec["from_logits"]:
        what = {"linear": "has no activation",
                "logits": "gives values outside [0, 1]"}.get(
                    act, f"uses {act}")
        message = (f"{out.where} {what}{seen}, but {loss} expects "
                   "probabilities in [0, 1]: it clips the outputs, and "
                   "the clipped ones get no gradient.")
        fix = (f"use {logits_fix} and keep the outputs as logits, or set "
               f"`activation=\"{prob}\"` on {out.where}.")
    else:
        return []
    return [make_finding("loss_activation_mismatch", message, fix,
                         layer=out.layer_name)]


def label_mismatch(out, data, coverage=True):
    """Targets that do not fit the output `out` or its loss; with
    `coverage`, also classes of the output that the targets never hold."""
    spec, y, pred = out.loss, floats(data.scanned(out.y)), out.pred
    if spec is None or y is None or y.size == 0:
        return []
    family, k, units = spec["family"], len(y), out.units
    rank = pred.ndim if pred is not None else y.ndim
    per_row = y.ndim == rank - 1 or (y.ndim == rank and y.shape[-1] == 1
                                     and units > 1)
    finite = y[np.isfinite(y).reshape(k, -1).all(axis=1)]
    whole = bool(np.all(finite == np.round(finite)))
    check = {"sparse": _sparse_labels, "categorical": _categorical_labels,
             "binary": _binary_labels,
             "regression": _regression_labels}.get(family)
    if check is None:
        return []
    found = check(out, _Targets(spec=spec, y=y, finite=finite, whole=whole,
                                rank=rank, per_row=per_row,
                                loss=loss_text(spec)))
    return found or (missing_top_classes(out, data) if coverage else [])


def missing_top_classes(out, data):
    """`label_mismatch` when the highest classes that the output `out` has
    units for never occur in its targets (see `_missing_top_classes`)."""
    spec, y = out.loss, floats(data.scanned(out.y))
    if (spec is None or spec["family"] not in ("sparse", "categorical")
            or y is None or data.kind != "arrays"):
        return []
    # All of y is read for arrays, or a random sample of thousands of rows;
    # a dataset shows only its first batches, which may hold few classes.
    if data.scan_rows(np.asarray(out.y)) is not None and len(y) < _SAMPLED_ROWS:
        return []
    finite = y[np.isfinite(y).reshape(len(y), -1).all(axis=1)]
    return _missing_top_classes(out, finite, spec["family"])


@dataclasses.dataclass
class _Targets:
    """The targets of one output as `label_mismatch` reads them.

    Attributes:
        spec: The loss spec (`family`, `name`, `ignore_class`, ...).
        y: The targets, as floats.
        finite: The rows of `y` with no NaN/Inf.
        whole: Whether every finite target is a whole number.
        rank: The rank of the predictions (of `y` when there are none).
        per_row: Whether `y` holds one value per row.
        loss: The loss as a message names it.
    """

    spec: dict
    y: np.ndarray
    finite: np.ndarray
    whole: bool
    rank: int
    per_row: bool
    loss: str


def _sparse_labels(out, t):
    """`label_mismatch` under a sparse categorical cross-entropy:
    one-hot targets, values that are not whole, or class ids outside
    the units."""
    spec, y, finite, whole = t.spec, t.y, t.finite, t.whole
    loss, where, units = t.loss, out.where, out.units
    message = fix = None
    if units > 1 and _is_one_hot(finite, units):
        message = (f"{out.label} is one-hot (shape {tuple(y.shape)}), but "
                   f"{loss} expects integer class ids 0..{units - 1}.")
        fix = ("use `loss=\"categorical_crossentropy\"`, or pass "
               f"`np.argmax({out.label}, axis=-1)` as the targets.")
    elif not whole:
        message = (f"{out.label} holds non-integer values (e.g. "
                   f"{_fmt(finite[finite != np.round(finite)][0])}), but "
                   f"{loss} expects integer class ids 0..{units - 1}.")
        fix = ("pass class ids (`y.astype(int)` after mapping each class "
               "to 0..K-1), or use a loss for real-valued targets.")
    else:
        values = finite.ravel()
        if spec["ignore_class"] is not None:
            values = values[values != spec["ignore_class"]]
        bad = (values < 0) | (values > units - 1)
        if bad.any():
            lo, hi = int(values.min()), int(values.max())
            message = (f"{int(bad.sum())} of {len(values)} labels in "
                       f"{out.label} are outside 0..{units - 1} (they range "
                       f"{lo}..{hi}), but {where} has {units} unit"
                       f"{'s' if units > 1 else ''} under {loss}.")
            if units == 1:
                fix = ("for two classes use `Dense(1, activation=\"sigmoid"
                       "\")` with `loss=\"binary_crossentropy\"`; for "
                       f"{hi + 1} classes use `Dense({hi + 1}, activation="
                       "\"softmax\")`.")
            elif lo == 1 and hi == units:
                fix = f"the labels run 1..{units}: pass `{out.label} - 1`."
            else:
                fix = (f"give {where} {hi + 1} units (`Dense({hi + 1})`), "
                       f"or map the labels to 0..{units - 1}.")
    return _label_finding(out, message, fix)


def _categorical_labels(out, t):
    """`label_mismatch` under a categorical cross-entropy: one class
    id per row, or a number of columns other than the units."""
    y, rank, per_row = t.y, t.rank, t.per_row
    loss, where, units = t.loss, out.where, out.units
    message = fix = None
    if units > 1 and per_row:
        message = (f"{out.label} holds one class id per row (shape "
                   f"{tuple(y.shape)}), but {loss} expects one-hot targets "
                   f"of shape (n, {units}) for the {units} units of {where}; "
                   "fit fails on the shapes (Keras 2 broadcast them "
                   "silently).")
        fix = ("use `loss=\"sparse_categorical_crossentropy\"`, or one-hot "
               f"encode with `keras.utils.to_categorical({out.label}, "
               f"{units})`.")
    elif y.ndim == rank and y.shape[-1] != units:
        message = (f"{out.label} has {y.shape[-1]} columns but {where} has "
                   f"{units} units, under {loss}.")
        fix = f"give {where} {y.shape[-1]} units, or fix the targets."
    return _label_finding(out, message, fix)


def _binary_labels(out, t):
    """`label_mismatch` under a binary cross-entropy: targets outside
    [0, 1]."""
    finite, whole, loss = t.finite, t.whole, t.loss
    message = fix = None
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        distinct = np.unique(finite)
        shown = ("{" + ", ".join(_fmt(v) for v in distinct) + "}"
                 if len(distinct) <= 10
                 else f"{_fmt(distinct[0])}..{_fmt(distinct[-1])}")
        message = (f"{out.label} takes the values {shown}, but {loss} needs "
                   "targets in [0, 1].")
        values = set(distinct.tolist())
        if values == {-1.0, 1.0}:
            fix = f"map the labels to 0/1: `({out.label} + 1) / 2`."
        elif values == {1.0, 2.0}:
            fix = f"map the labels to 0/1: `{out.label} - 1`."
        elif whole and distinct[0] >= 0 and len(distinct) > 2:
            n = int(distinct[-1]) + 1
            fix = (f"these are {len(distinct)} classes: use `Dense({n}, "
                   "activation=\"softmax\")` with `loss=\"sparse_categorical"
                   "_crossentropy\"`.")
        else:
            fix = "rescale the targets into [0, 1], or use a regression loss."
    return _label_finding(out, message, fix)


def _regression_labels(out, t):
    """`label_mismatch` under a regression loss: class ids read as
    numbers, or a number of columns that the units do not match (the
    loss broadcasts)."""
    y, finite, whole, rank, per_row = (t.y, t.finite, t.whole, t.rank,
                                       t.per_row)
    loss, where, units = t.loss, out.where, out.units
    message = fix = None
    if units == 1 and whole and (y.ndim == 1 or y.shape[-1] == 1):
        distinct, counts = np.unique(finite, return_counts=True)
        n = len(distinct)
        # Counts (Poisson-like) are rarely this even; class ids often are.
        if (3 <= n <= _MAX_CLASSES and distinct[0] == 0
                and distinct[-1] == n - 1 and len(finite) >= 2 * n
                and counts.max() <= _EVEN_CLASSES * counts.min()):
            message = (f"{out.label} holds {n} distinct whole values "
                       f"0..{n - 1} ({_counts(distinct, counts)}), like class "
                       f"ids, but {loss} on the 1 unit of {where} treats them "
                       "as numbers: it predicts between classes.")
            fix = (f"if they are classes, use `Dense({n}, activation="
                   "\"softmax\")` with `loss=\"sparse_categorical_"
                   "crossentropy\"`; if they are counts or scores, keep "
                   "the regression loss.")
    elif (units == 1 and y.ndim == rank and y.ndim > 1
          and y.shape[-1] > 1):
        message = (f"{out.label} has {y.shape[-1]} columns per row but "
                   f"{where} has 1 unit: {loss} compares that unit with every"
                   " column (it broadcasts), so it learns their mean.")
        fix = (f"give {where} {y.shape[-1]} units (`Dense({y.shape[-1]})`), "
               "or pass the one target column (for one-hot classes, "
               "`np.argmax(y, axis=1)` with a classification head).")
    elif units > 1 and per_row:
        # One target per row against several units: the loss broadcasts the
        # target over every unit instead of failing on the shapes.
        message = (f"{out.label} has one value per row but {where} has "
                   f"{units} units: {loss} compares that value with every "
                   "unit (it broadcasts), so no unit learns its own target.")
        fix = ("for class ids, use `loss=\"sparse_categorical_"
               "crossentropy\"` (or one-hot the labels with "
               f"`keras.utils.to_categorical(y, {units})`); for one "
               "regression target, use `Dense(1)`.")
    return _label_finding(out, message, fix)


def _missing_top_classes(out, finite, family):
    """`label_mismatch` when the highest classes that the output has units
    for never occur in the targets: the labels lost classes (non-integer
    labels truncated by `to_categorical`, e.g. a label column scaled with
    the features) or the output is wider than the task. Labels counted
    from 1, which leave class 0 empty, are a known harmless habit and are
    not named."""
    units = out.units
    if units < 3 or finite.size == 0:
        return []
    if family == "categorical":
        if finite.ndim != 2 or finite.shape[1] != units:
            return []
        used = np.flatnonzero(finite.max(axis=0) > 0)
    else:
        used = np.unique(finite.ravel()).astype("int64")
        used = used[(used >= 0) & (used < units)]
    if len(used) < 2 or used[0] != 0 or used[-1] >= units - 1:
        return []
    top = int(used[-1])
    if len(used) != top + 1:
        return []  # gaps below the top: sparse class ids, left alone
    unused = (f"class {units - 1} never occurs" if top + 2 == units else
              f"classes {top + 1}..{units - 1} never occur")
    message = (f"{out.label} holds only classes 0..{top}, but {out.where} "
               f"has {units} units under {loss_text(out.loss)}: {unused} "
               "in the training targets, so the model learns to never "
               "predict them.")
    fix = ("if the labels were scaled or made floats before "
           "`keras.utils.to_categorical`, it truncated them and merged "
           "classes: keep the label column out of the scaling and pass "
           "integer class ids; if the task has only "
           f"{top + 1} classes, give {out.where} {top + 1} units.")
    return _label_finding(out, message, fix)


def _label_finding(out, message, fix):
    if message is None:
        return []
    return [make_finding("label_mismatch", message, fix,
                         layer=out.layer_name)]


def _span(pred):
    if pred is None or not np.isfinite(pred).any():
        return None
    kept = pred[np.isfinite(pred)]
    return f"{_fmt(kept.min())}..{_fmt(kept.max())}"


def _multi_label(y):
    y = floats(y)
    return (y is not None and y.ndim == 2 and y.shape[1] > 1
            and bool(np.all((y == 0) | (y == 1)))
            and bool(np.any(y.sum(axis=1) > 1)))


def _single_label(y, units):
    y = floats(y)
    return y is not None and _is_one_hot(y, units)
