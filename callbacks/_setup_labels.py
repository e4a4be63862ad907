"""The setup rule about the targets against the output and its loss.

`label_mismatch`: targets that do not fit the output or its loss, read by
one helper per loss family (sparse ids, one-hot, binary, regression), and
`missing_top_classes`: classes of the output that the targets never hold.
The loss against the output's activation is `_setup_loss.py`. Like the
other rules of `check_setup` (`_setup_rules.py`), each reads the model's
outputs (`setup_checks._outputs`) and the data, and returns a list of
findings.
"""

import dataclasses

import numpy as np

from ._findings import make_finding
from ._setup_data import floats
from ._setup_graph import loss_text
from ._setup_rules import _counts
from ._setup_rules import _fmt
from ._setup_rules import _is_one_hot

_MAX_CLASSES = 20  # most distinct whole values that may read as class ids
_EVEN_CLASSES = 5.0  # and the most the largest of them may outnumber the least
_SAMPLED_ROWS = 2000  # a sample this large misses no class of 0.5% or more


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
