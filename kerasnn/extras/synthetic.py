"""Synthetic table rows by sampling: jittered numbers, resampled categories.

The cheapest way to more rows: draw real rows at random, move each numeric
value by Gaussian noise scaled to its column's spread, and draw each
categorical value from the column's observed frequencies. With labels, rows
are drawn class by class, so the new rows of a class look like that class.
"""

import numpy as np
import pandas as pd

from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.model import column_kinds
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_target
from kerasnn.tabular.tables import is_whole


def sample_rows(X, n, *, y=None, classes=None, noise=0.1, categorical=None,
                numeric=None, seed=None):
    """New rows like those of `X`: drawn, jittered and resampled.

    Each new row starts from a row of `X` drawn at random. Its numeric
    values move by Gaussian noise of `noise` times the column's standard
    deviation (whole-number columns are rounded back, and values stay within
    the column's observed range); a missing value stays missing, and so does
    a value that a tenth or more of the column holds (the 0 of a column of
    mostly-zero amounts is not jittered into small amounts). Its
    categorical values are drawn afresh from each column's observed
    frequencies (missing included). With `y`, rows are drawn within each
    class, and the categorical frequencies are the class's own.

    Args:
        X: pandas DataFrame of rows. Not modified.
        n: Integer >= 1 (with `classes`, per class): rows to make.
        y: Labels of `X`, or `None`.
        classes: With `y`: the labels to make rows of, e.g. the minority
            class; `None` makes `n` rows in the classes' proportions.
        noise: Float >= 0. Standard deviation of the jitter, as a share of
            each numeric column's. Defaults to `0.1`.
        categorical, numeric: Column kinds, as in
            `kerasnn.build_tabular_model`; inferred from the dtypes otherwise.
        seed: Integer or `None`. The same seed gives the same rows.

    Returns:
        A DataFrame of the new rows with the columns and dtypes of `X`; with
        `y`, a tuple `(rows, labels)`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument.

    Example:

    >>> rows, labels = sample_rows(X, 100, y=y, classes=["yes"],
    ...                            seed=0)  # doctest: +SKIP
    """
    X = check_frame(X)
    n = check_int("n", n, minimum=1)
    noise = check_float("noise", noise, low=0.0)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    kinds = column_kinds(X, categorical=categorical, numeric=numeric)
    rng = np.random.default_rng(seed)
    if y is None:
        if classes is not None:
            raise KerasnnValueError(
                "`classes` needs the labels `y`. Received: classes="
                f"{classes!r} with y=None.")
        return _sample(X, n, kinds, _numeric_stats(X, kinds), rng, noise)
    labels = check_target(y, len(X))
    present = pd.unique(pd.Series(labels, dtype=object))
    if classes is None:
        counts = pd.Series(labels, dtype=object).value_counts()
        per_class = rng.multinomial(n, (counts / counts.sum()).to_numpy())
        plan = dict(zip(counts.index, per_class))
    else:
        if isinstance(classes, (str, bytes)) or not hasattr(classes,
                                                            "__iter__"):
            raise KerasnnTypeError(
                "`classes` must be a list of labels, e.g. ['yes']. Received: "
                f"classes={classes!r}.")
        unknown = [c for c in classes if c not in set(present)]
        if unknown:
            raise KerasnnValueError(
                f"`classes` names labels that are not in `y`: {unknown}. "
                f"The labels are {sorted(map(str, present))}.")
        plan = {c: n for c in classes}
    stats = _numeric_stats(X, kinds)
    parts, made = [], []
    for label, count in plan.items():
        if not count:
            continue
        rows = X[np.asarray(labels == label)]
        parts.append(_sample(rows, int(count), kinds, stats, rng, noise))
        made.append(np.full(int(count), label, dtype=object))
    new_X = pd.concat(parts, ignore_index=True)
    new_y = np.concatenate(made)
    if np.asarray(labels).dtype != object:
        new_y = new_y.astype(np.asarray(labels).dtype)
    return new_X, new_y


def _numeric_stats(X, kinds):
    """Per numeric column of all of `X`: spread, spikes, range, rounding."""
    stats = {}
    for column, kind in kinds.items():
        if kind == "categorical":
            continue
        numbers_ = pd.to_numeric(X[column]).astype("float64")
        spread = float(numbers_.std()) if numbers_.notna().sum() > 1 else 0.0
        shares = numbers_.value_counts(normalize=True)
        dtype = X[column].dtype
        stats[column] = {
            "spread": spread if np.isfinite(spread) else 0.0,
            "spikes": shares.index[shares >= 0.1].to_numpy(),
            "low": numbers_.min(), "high": numbers_.max(),
            "round": dtype.kind in "iu" or (dtype.kind == "f"
                                            and is_whole(numbers_)),
            "dtype": dtype if dtype.kind in "iuf" else "float64",
        }
    return stats


def _sample(rows, n, kinds, stats, rng, noise):
    """`n` rows from `rows`; numeric spreads and ranges from `stats`."""
    picks = rng.integers(0, len(rows), n)
    out = {}
    for column, kind in kinds.items():
        values = rows[column].to_numpy()[picks]
        if kind == "categorical":
            frequencies = rows[column].value_counts(dropna=False,
                                                    normalize=True)
            drawn = rng.choice(len(frequencies), n, p=frequencies.to_numpy())
            out[column] = pd.Series(frequencies.index.to_numpy()[drawn],
                                    dtype=rows[column].dtype)
            continue
        s = stats[column]
        values = values.astype("float64")
        jitter = rng.normal(0.0, noise * s["spread"], n)
        values = np.where(np.isin(values, s["spikes"]), values, values + jitter)
        values = np.clip(values, s["low"], s["high"])
        if s["round"]:
            values = np.round(values)
        out[column] = pd.Series(values).astype(s["dtype"])
    return pd.DataFrame(out, columns=list(rows.columns))
