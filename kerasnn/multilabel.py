"""Multi-label classification: per-label thresholds and scores.

A multi-label model (`problem="multilabel"`) has one sigmoid unit per label,
and each row may hold several labels or none. Keras's compiled metrics
average over the labels; `label_scores` reports each label on its own, which
is where a rare label that the model never predicts shows.
"""

import numpy as np
import pandas as pd

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError


def check_thresholds(threshold, n_labels, labels=None):
    """`threshold` as a float array of `n_labels` values in (0, 1).

    Accepts one float for every label, or one per label: a list, array or
    pandas Series taken in label order, or, given the label names `labels`,
    a dict `{label: threshold}` (or a Series indexed by label).
    """
    threshold = _by_label(threshold, labels)
    values = np.asarray(
        threshold.to_numpy() if hasattr(threshold, "to_numpy") else threshold,
        dtype=object)
    if values.ndim == 0:
        values = np.full(n_labels, threshold, dtype=object)
    if values.ndim != 1 or len(values) != n_labels:
        raise KerasnnValueError(
            "`threshold` must be one float or one float per label "
            f"({n_labels} labels). Received: threshold with shape "
            f"{np.shape(values)}.")
    for value in values:
        if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise KerasnnTypeError(
                "`threshold` must hold floats in (0, 1). Received: "
                f"threshold={threshold!r}.")
        if not 0.0 < float(value) < 1.0:
            raise KerasnnValueError(
                "`threshold` must hold floats strictly between 0 and 1. "
                f"Received: {float(value)!r} in threshold={threshold!r}.")
    return values.astype("float64")


def label_scores(y_true, y_prob, *, threshold=0.5, labels=None):
    """Per-label scores of a multi-label prediction, and their mean.

    Args:
        y_true: 2-D array-like of 0/1 (rows x labels), or a DataFrame whose
            column names name the labels. Not modified.
        y_prob: 2-D array-like of predicted probabilities, the same shape,
            e.g. `model.predict(x)`.
        threshold: Float in (0, 1), or one per label: a probability at or
            above it predicts the label. Defaults to `0.5`.
        labels: List of label names, or `None` for the DataFrame's column
            names (else `0, 1, ...`).

    Returns:
        A DataFrame with one row per label and a last row `"mean"` (the
        unweighted mean over labels, i.e. macro averages), and the columns
        `positives` (rows holding the label), `auc` (ROC AUC; NaN for a label
        that holds a single value in `y_true`), `accuracy`, `precision`,
        `recall` and `f1` at the threshold.

    Raises:
        KerasnnValueError, KerasnnTypeError: For arrays of other shapes, labels
            other than 0/1, or probabilities outside [0, 1].

    Example:

    >>> scores = label_scores([[1, 0], [0, 1], [1, 1]],
    ...                       [[0.9, 0.2], [0.3, 0.8], [0.6, 0.4]])
    >>> scores.loc["mean", "recall"]
    0.75
    """
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.metrics import roc_auc_score

    if labels is None and hasattr(y_true, "columns"):
        labels = [str(c) for c in y_true.columns]
    truth = _matrix("y_true", y_true)
    prob = _matrix("y_prob", y_prob)
    if prob.shape != truth.shape:
        raise KerasnnValueError(
            "`y_prob` must have the shape of `y_true` (rows x labels). "
            f"Received: y_true with shape {truth.shape}, y_prob with shape "
            f"{prob.shape}.")
    if not np.isin(truth, (0, 1)).all():
        raise KerasnnValueError(
            "`y_true` must hold 0/1 (or booleans). Received: values "
            f"{np.unique(truth)[:6].tolist()}.")
    if not (np.isfinite(prob).all() and (prob >= 0).all()
            and (prob <= 1).all()):
        raise KerasnnValueError(
            "`y_prob` must hold probabilities in [0, 1], e.g. the outputs of "
            "the sigmoid layer. Received: values outside [0, 1] or NaN.")
    n_labels = truth.shape[1]
    if labels is None:
        labels = list(range(n_labels))
    elif len(labels) != n_labels:
        raise KerasnnValueError(
            f"`labels` must name each of the {n_labels} labels. Received: "
            f"{len(labels)} names.")
    predicted = (prob >= check_thresholds(threshold, n_labels)).astype(int)
    truth = truth.astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0)
    auc = [roc_auc_score(truth[:, i], prob[:, i])
           if len(np.unique(truth[:, i])) == 2 else np.nan
           for i in range(n_labels)]
    table = pd.DataFrame({
        "positives": truth.sum(axis=0),
        "auc": auc,
        "accuracy": (truth == predicted).mean(axis=0),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }, index=pd.Index(labels, name="label"))
    mean = table.mean(numeric_only=True)
    mean["positives"] = np.nan
    table.loc["mean"] = mean
    return table


def _matrix(name, values):
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise KerasnnTypeError(
            f"`{name}` must be a 2-D numeric array-like (rows x labels). "
            f"Received: {type(values).__name__}.") from None
    if array.ndim != 2 or array.shape[1] < 2 or not len(array):
        raise KerasnnValueError(
            f"`{name}` must be 2-D with at least one row and two labels "
            f"(rows x labels). Received: shape {array.shape}.")
    return array


def _by_label(threshold, labels):
    """A dict, or a Series indexed by the label names, in label order."""
    if isinstance(threshold, pd.Series) and labels is not None and set(
            threshold.index) == set(labels):
        return threshold.reindex(labels).to_list()
    if not isinstance(threshold, dict):
        return threshold
    if labels is None:
        raise KerasnnTypeError(
            "`threshold` as a dict needs a model that names its labels (a "
            "TabularModel). Received: a dict for a model whose labels are "
            "0, 1, ...; pass a list of one threshold per label.")
    if set(threshold) != set(labels):
        raise KerasnnValueError(
            "`threshold` as a dict must give one threshold for each label. "
            f"Received: keys {sorted(map(str, threshold))}; the labels are "
            f"{list(labels)}.")
    return [threshold[label] for label in labels]
