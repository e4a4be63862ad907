"""Oversampling for `train_tabular`: synthetic rows of the smaller classes.

`oversample="smote"` interpolates between neighbours (imbalanced-learn's
SMOTE, SMOTE-NC with categorical columns); `oversample="sample"` draws rows
with `kerasnn.extras.synthetic.sample_rows`, imported only when asked for.
Only the training rows are oversampled; the originals are kept as they were.
"""

import numpy as np
import pandas as pd

from kerasnn._random import derived_seed
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.tables import category_strings

OVERSAMPLERS = ("smote", "sample")


def oversample_smote(X, y, kinds, *, seed=None):
    """Appends SMOTE (SMOTE-NC with categorical columns) rows to `X`, `y`.

    Missing values are filled for the neighbour search only (numeric with the
    median, categorical as their own category); the original rows are kept
    as they were, and only the synthetic rows are appended.
    """
    try:
        from imblearn.over_sampling import SMOTE
        from imblearn.over_sampling import SMOTENC
    except ImportError:
        raise KerasnnValueError(
            "oversample='smote' needs imbalanced-learn. Received: no module "
            "'imblearn'. Install it with: pip install 'kerasnn[imbalanced]'."
        ) from None
    labels = pd.Series(y).astype(str).to_numpy()
    counts = pd.Series(labels).value_counts()
    if counts.min() < 2:
        raise KerasnnValueError(
            "oversample='smote' needs at least 2 training rows of each class. "
            f"Received: class {counts.index[-1]!r} with {counts.iloc[-1]} row."
        )
    filled = pd.DataFrame(index=range(len(X)))
    categorical = []
    for i, (column, kind) in enumerate(kinds.items()):
        values = X[column].reset_index(drop=True)
        if kind == "categorical":
            filled[column] = category_strings(values).reshape(-1)
            categorical.append(i)
        else:
            numbers_ = pd.to_numeric(values).astype("float64")
            filled[column] = numbers_.fillna(numbers_.median()).fillna(0.0)
    k = int(min(5, counts.min() - 1))
    if len(categorical) == len(kinds):
        raise KerasnnValueError(
            "oversample='smote' needs at least one numeric column to "
            "interpolate. Received: only categorical columns "
            f"{list(kinds)}. Use class_weight='balanced' instead."
        )
    sampler = (SMOTENC(categorical_features=categorical, k_neighbors=k,
                       random_state=seed) if categorical
               else SMOTE(k_neighbors=k, random_state=seed))
    X_res, y_res = sampler.fit_resample(filled, labels)
    synthetic = X_res.iloc[len(X):]
    original = np.asarray(y, dtype=object)
    to_label = {str(v): v for v in original}
    new_y = np.array([to_label[v] for v in np.asarray(y_res)[len(X):]],
                     dtype=object)
    X_out = pd.concat([X.reset_index(drop=True),
                       synthetic.astype({c: object for c in synthetic.columns
                                         if kinds[c] == "categorical"})],
                      ignore_index=True)
    y_out = np.concatenate([original, new_y])
    if not np.asarray(y).dtype == object:
        y_out = y_out.astype(np.asarray(y).dtype)
    return X_out, y_out


def oversample_sampling(X, y, kinds, *, seed=None):
    """Appends `sample_rows` rows of each smaller class up to the largest."""
    from kerasnn.extras.synthetic import sample_rows

    counts = pd.Series(np.asarray(y, dtype=object)).value_counts()
    parts_X, parts_y = [X.reset_index(drop=True)], [np.asarray(y)]
    categorical = [c for c, kind in kinds.items() if kind == "categorical"]
    numeric = [c for c, kind in kinds.items() if kind != "categorical"]
    for i, (label, count) in enumerate(counts.items()):
        missing = int(counts.iloc[0] - count)
        if not missing:
            continue
        rows, labels = sample_rows(
            X, missing, y=y, classes=[label], categorical=categorical,
            numeric=numeric, seed=derived_seed(seed, offset=i))
        parts_X.append(rows)
        parts_y.append(labels)
    return pd.concat(parts_X, ignore_index=True), np.concatenate(parts_y)
