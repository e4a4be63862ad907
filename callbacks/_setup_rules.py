"""The rules of `check_setup`, one function per kind of finding.

Each rule reads the data (`callbacks._setup_data.Data`) and the model's
outputs (records with the output's layer, units, prediction, targets, label
and loss spec) and returns a list of findings of its kind (see
`callbacks._findings`): `nonfinite_data`, `unscaled_inputs`,
`sorted_validation_split` and `class_imbalance`; the loss against the
output is `_setup_loss.py`, the targets against the output and its loss
`_setup_labels.py`.
"""

import warnings

import keras
import numpy as np

from ._findings import make_finding
from ._setup_data import floats
from ._setup_data import leaves
from ._setup_graph import CROSSENTROPY
from ._setup_graph import as_input_structure
from ._setup_graph import first_layers
from ._setup_graph import graph_entries
from ._setup_graph import model_graph
from ._setup_graph import raw_entries
from ._setup_graph import unadapted

# A split is "ordered" when a shuffled split would look like it with a
# chance below this.
_UNLIKELY = 1e-6


def nonfinite_data(model, data, outs):
    """NaN or inf in `x`, in the targets or in `sample_weight`."""
    if data.kind == "none":
        return []
    findings, bad_rows = [], []
    first = first_layers(model)
    for label, a in leaves(data.x, "x"):
        layer = first.get(label, first.get("*"))
        found, rows = _nonfinite_one(label, a, data, layer, is_x=True,
                                     columns=data.columns.get(label))
        findings += found
        bad_rows.append(rows)
    if findings and _fills_nonfinite(model, data, np.unique(
            np.concatenate(bad_rows))):
        findings = []  # the model fills them itself, e.g. in a custom layer
    pairs = [(o.label, o.y, o.layer_name) for o in outs if o.y is not None]
    if data.y is None or len(pairs) != len(leaves(data.y, "y")):
        pairs = [(label, a, None) for label, a in leaves(data.y, "y")]
    pairs += [(label, a, None) for label, a in leaves(data.sw,
                                                        "sample_weight")]
    for label, a, layer in pairs:
        findings += _nonfinite_one(label, a, data, layer)[0]
    return findings


def unscaled_inputs(model, data, max_scale):
    """Inputs far from unit scale where they reach a layer with weights."""
    if data.kind == "none":
        return []
    graph = model_graph(model)
    if graph is not None:
        entries = graph_entries(model, graph, data.sample, data.columns)
    else:
        entries = raw_entries(model, data)
    findings = []
    for layer, label, values, columns in entries:
        values = floats(values)
        if values is None or values.size == 0:
            continue
        kept = values[np.isfinite(values)]
        if kept.size == 0:
            continue
        size = np.where(np.isfinite(values), np.abs(values), 0.0)
        mags = (np.percentile(size, 99, axis=0) if values.ndim == 2
                else np.array([np.percentile(size, 99)]))
        offset = _offset_columns(values)
        big = np.flatnonzero((mags > max_scale) | offset)
        if not len(big):
            continue
        lo, hi = float(kept.min()), float(kept.max())
        into = f"layer '{layer}'" if layer else "the model"
        if values.ndim == 2:
            shown = ", ".join(f"{_column(columns, c)} ({_fmt(mags[c])})"
                              for c in big[:5])
            more = f" and {len(big) - 5} more" if len(big) > 5 else ""
            rest = np.delete(mags, big)
            others = (f"; the other columns stay within {_fmt(rest.max())}"
                      if len(rest) else "")
            message = (f"{len(big)} of {values.shape[1]} columns of {label} "
                       f"reach {into} far from unit scale (99th percentile "
                       f"of |value|: {shown}{more}; threshold "
                       f"{_fmt(max_scale)}){others}; values range "
                       f"{_fmt(lo)}..{_fmt(hi)} on {len(values)} rows.")
            shifted = [c for c in big if offset[c]]
            if shifted:
                c = shifted[0]
                message += (
                    f" {_column(columns, c)} sits far from zero for how "
                    f"little it varies (mean {_fmt(values[:, c].mean())}, "
                    f"standard deviation {_fmt(values[:, c].std())}): to the"
                    " first layer every row looks alike.")
        else:
            message = (f"{label} reaches {into} far from unit scale: values "
                       f"range {_fmt(lo)}..{_fmt(hi)} (99th percentile of "
                       f"|value| {_fmt(mags[0])}, threshold "
                       f"{_fmt(max_scale)}) on {len(values)} rows.")
        pixels = (lo >= 0 and hi <= 255 and np.all(kept == np.round(kept))
                  and (values.ndim > 2 or values.shape[-1] >= 64))
        stale = unadapted(model)
        if stale:
            message += (f" Layer '{stale}' is a Normalization that was "
                        "never adapted, so it passes x through unchanged.")
            fix = (f"call `model.get_layer('{stale}').adapt(x_train)` "
                   "before compile and fit.")
        elif pixels:
            fix = ("these look like 0-255 pixels: add `keras.layers."
                   "Rescaling(1/255)` as the first layer, or divide x by "
                   "255.")
        else:
            fix = ("standardise the inputs: add `norm = keras.layers."
                   "Normalization()` as the first layer with "
                   "`norm.adapt(x_train)`, or use `(x - x.mean(axis=0)) / "
                   "x.std(axis=0)`.")
        findings.append(make_finding("unscaled_inputs", message, fix,
                                     layer=layer))
    return findings


def sorted_validation_split(out, split, data):
    """A `validation_split` tail of ordered targets of the output `out`."""
    y = floats(out.y)
    if y is None or y.ndim > 2 or len(y) < 2:
        return []
    n = len(y)
    at = int(np.floor(n * (1.0 - split)))
    if at in (0, n):
        return []
    m = n - at
    head = f"the first {at} (training) rows"
    tail = (f"validation_split={_fmt(split)} makes the last {m} of {n} rows "
            "the validation set, before any shuffling")
    fix = ("shuffle x and y together before fit (`idx = np.random."
           "default_rng(0).permutation(len(x)); x, y = x[idx], y[idx]`, or "
           "`df.sample(frac=1, random_state=0)`), or pass "
           "`validation_data=(x_val, y_val)` instead.")
    ids = _class_ids(out)
    if ids is None:
        if not (y.ndim == 1 or y.shape[1] == 1) or out.units != 1:
            return []
        v = y.ravel()
        if not np.isfinite(v).all():
            return []
        steps = np.diff(v)
        if not (np.all(steps >= 0) or np.all(steps <= 0)) or v[0] == v[-1]:
            return []
        lo, hi = v[:at].min(), v[:at].max()
        outside = (v[at:] < lo) | (v[at:] > hi)
        if m < 10 or outside.mean() <= 0.5:
            return []
        message = (f"{tail}; {out.label} is sorted, so the validation "
                   f"targets span {_fmt(v[at:].min())}..{_fmt(v[at:].max())} "
                   f"while {head} span {_fmt(lo)}..{_fmt(hi)}: "
                   f"{int(outside.sum())} of {m} lie outside the training "
                   "range.")
        return [make_finding("sorted_validation_split", message, fix,
                             layer=out.layer_name)]
    classes, counts = np.unique(ids, return_counts=True)
    if len(classes) < 2:
        return []
    share = dict(zip(classes.tolist(), counts.tolist()))
    head_set = set(np.unique(ids[:at]).tolist())
    t_classes = np.unique(ids[at:])
    only = [c for c in t_classes.tolist() if c not in head_set]
    message = None
    if only and min((m / n) ** share[c] for c in only) < _UNLIKELY:
        listed = ", ".join(f"{c} ({share[c]} rows)" for c in only[:10])
        message = (f"{tail}; {out.label} is ordered: those rows hold "
                   f"class{'es' if len(only) > 1 else ''} {listed}, which "
                   f"{head} never show, so the model is validated on classes "
                   "it never trains on.")
    elif len(t_classes) == 1 and (share[t_classes[0]] / n) ** m < _UNLIKELY:
        c = t_classes[0]
        message = (f"{tail}; {out.label} is ordered: all {m} validation rows "
                   f"are class {c}, while y has {len(classes)} classes "
                   f"({_counts(classes, counts)}).")
    if message is None:
        return []
    return [make_finding("sorted_validation_split", message, fix,
                         layer=out.layer_name)]


def class_imbalance(out, ratio, data):
    """Classes of the output `out` imbalanced beyond `ratio`, unweighted."""
    spec = out.loss
    if spec is not None and "Focal" in spec["class"]:
        return []  # a focal loss already weighs the rare classes
    ids = _class_ids(out)
    if ids is None:
        return []
    classes, counts = np.unique(ids, return_counts=True)
    if len(classes) < 2:
        return []
    big, small = int(np.argmax(counts)), int(np.argmin(counts))
    found = counts[big] / counts[small]
    if found < ratio:
        return []
    n, k = int(counts.sum()), len(classes)
    message = (f"{out.label} is imbalanced{data.where}: class {classes[big]} "
               f"has {counts[big]} rows and class {classes[small]} "
               f"{counts[small]} (ratio {found:.1f}:1, threshold "
               f"{_fmt(ratio)}:1; {_counts(classes, counts)}); a model that "
               f"always predicts class {classes[big]} is "
               f"{100 * counts[big] / n:.0f}% accurate.")
    if k <= 10:
        weights = ", ".join(f"{c}: {n / (k * m):.2f}"
                            for c, m in zip(classes.tolist(), counts))
        weights = f"`class_weight={{{weights}}}`"
    else:
        weights = ("`class_weight=dict(enumerate(len(ids) / (len(counts) * "
                   "counts)))` with `counts = np.bincount(ids)`")
    fix = (f"pass {weights} to fit (n / (k * count) per class), or resample "
           "the classes; watch `keras.metrics.AUC()` or precision and recall "
           "rather than accuracy.")
    return [make_finding("class_imbalance", message, fix,
                         layer=out.layer_name)]


def unmatched_class_weight(out, class_weight, data):
    """`class_weight` keys that are not class ids of the targets of `out`:
    `fit` looks each row's weight up by its class id, so such a key never
    applies (string labels as keys are the usual case)."""
    ids = _class_ids(out)
    if ids is None or not class_weight:
        return []
    classes, counts = np.unique(ids, return_counts=True)
    unmatched = [key for key in class_weight
                 if not (isinstance(key, (int, np.integer))
                         and int(key) in classes)]
    if not unmatched:
        return []
    shown = ", ".join(repr(key) for key in unmatched[:5])
    none = len(unmatched) == len(class_weight)
    message = (f"`class_weight` has keys that are not class ids of "
               f"{out.label}{data.where} ({shown}; its classes are "
               f"{_counts(classes, counts)}): `fit` "
               "looks each row's weight up by its class id, so "
               + ("no weight applies and training is unweighted."
                  if none else "these weights never apply."))
    fix = ("key `class_weight` by the class id each row of y holds, e.g. "
           "`{0: 1.0, 1: 19.0}`; for string labels, encode them first and "
           "key the weights by the encoded ids.")
    return [make_finding("class_imbalance", message, fix,
                         layer=out.layer_name)]


def _fills_nonfinite(model, data, rows):
    """Whether the model gives finite outputs on rows with NaN/inf inputs."""
    rows = rows[:data.forward or 32]
    try:
        batch = keras.tree.map_structure(lambda a: a[rows], data.x)
        outputs = model(as_input_structure(model, batch), training=False)
        return all(np.isfinite(keras.ops.convert_to_numpy(o)).all()
                   for o in keras.tree.flatten(outputs))
    except Exception:  # noqa: BLE001 - cannot tell: report the values
        return False


def _nonfinite_one(label, a, data, layer, is_x=False, columns=None):
    """`([finding] or [], indices of the rows with NaN/inf)`."""
    none = ([], np.zeros(0, "int64"))
    values = floats(a, integers=False)
    if values is None or values.size == 0:
        return none
    rows = data.scan_rows(values)
    scanned = values if rows is None else values[rows]
    bad = ~np.isfinite(scanned)
    if not bad.any():
        return none
    nan = int(np.isnan(scanned).sum())
    inf = int(bad.sum()) - nan
    per_row = bad.reshape(len(bad), -1).any(axis=1)
    where = data.where or (
        "" if rows is None else
        f" (in a random sample of {len(rows)} of {len(values)} rows)")
    message = (f"{label} holds {nan} NaN and {inf} inf values in "
               f"{int(per_row.sum())} of {len(scanned)} rows{where}")
    if scanned.ndim == 2:
        per_col = bad.sum(axis=0)
        cols = np.flatnonzero(per_col)
        shown = ", ".join(f"{_column(columns, c)} ({int(per_col[c])})"
                          for c in cols[:5])
        more = f" and {len(cols) - 5} more" if len(cols) > 5 else ""
        message += f", in columns {shown}{more}"
    if is_x or scanned.ndim > 1:
        fix = (f"drop or fill those rows before fit: keep "
               f"`mask = np.isfinite({label}).reshape(len({label}), -1)"
               f".all(axis=1)` and index every array with it, or fill them "
               f"(`np.nan_to_num`, `df.fillna(df.median())`).")
    else:
        fix = (f"drop those rows before fit: `mask = np.isfinite({label})`, "
               "then index x, y and any sample_weight with `mask`.")
    where_bad = np.flatnonzero(per_row)
    return ([make_finding("nonfinite_data", message + ".", fix, layer=layer)],
            where_bad if rows is None else rows[where_bad])


def _class_ids(out):
    """One class id per row, or None where the targets are not classes."""
    y = floats(out.y)
    family = None if out.loss is None else out.loss["family"]
    if y is None or family not in (None,) + CROSSENTROPY or y.ndim > 2:
        return None
    if y.size == 0 or not np.isfinite(y).all():
        return None  # NaN labels are reported as such; rows stay aligned
    if y.ndim == 2 and y.shape[1] > 1:
        if family in (None, "categorical") and _is_one_hot(y, y.shape[1]):
            return np.argmax(y, axis=1)
        return None
    y = y.ravel()
    if not np.all(y == np.round(y)):
        return None
    binary = y.min() >= 0 and y.max() <= 1
    if family == "binary" or (family is None and out.units == 1):
        return y.astype("int64") if binary else None
    if family == "sparse" or (family is None and y.min() >= 0
                              and y.max() <= out.units - 1):
        return y.astype("int64")
    return None


def _offset_columns(values, least=10.0, ratio=20.0):
    """Columns whose mean is at least `least` and `ratio` times their
    spread: a large offset that hides a small variation."""
    if values.ndim != 2:
        return np.zeros(1, bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mean = np.abs(np.nanmean(values, axis=0))
        std = np.nanstd(values, axis=0)
    return (mean >= least) & (std > 0) & (mean >= ratio * std)


def _is_one_hot(y, units):
    return (y.ndim >= 2 and y.shape[-1] == units
            and bool(np.all((y == 0) | (y == 1)))
            and bool(np.all(y.sum(axis=-1) == 1)))


def _column(columns, index):
    return (repr(columns[index]) if columns and index < len(columns)
            else f"column {index}")


def _counts(classes, counts, most=10):
    pairs = ", ".join(f"{_fmt(c)}: {int(n)}" for c, n in
                      list(zip(classes, counts))[:most])
    more = f", ... {len(classes) - most} more" if len(classes) > most else ""
    return f"counts {{{pairs}{more}}}"


def _fmt(value):
    value = float(value)
    if np.isfinite(value) and value == round(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"
