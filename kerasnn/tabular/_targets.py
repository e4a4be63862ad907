"""Checks of a table's target: its problem type and its transform."""

import numpy as np
import pandas as pd

from kerasnn._validation import check_choice
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.tabular.tables import as_1d
from kerasnn.tabular.tables import check_label_table
from kerasnn.tabular.tables import check_target
from kerasnn.tabular.tables import is_label_table

#: A target of numbers >= 0 whose skewness exceeds this is fitted as
#: `log1p(y)` by `build_tabular_model(target_transform="auto")`.
SKEW_TARGET_LOG = 2.0


def check_tabular_target(y, n_rows, problem):
    """Checks a table's target and resolves its problem type.

    `y` is one label per row, or, for `problem="multilabel"`, one 0/1 column
    per label (a DataFrame, whose column names name the labels, or a 2-D
    array). Returns `(y, problem)`: `y` as a 1-D array, or as a float32
    DataFrame of the labels.
    """
    problem = None if problem is None else check_problem(problem)
    if not is_label_table(y):
        if problem == "multilabel":
            raise KerasnnValueError(
                "problem='multilabel' needs one 0/1 column per label in `y` "
                "(a DataFrame such as df[['tag_a', 'tag_b']], or a 2-D "
                f"array). Received: y of shape {np.shape(y)}.")
        y = check_target(y, n_rows)
        return y, infer_problem(y) if problem is None else problem
    y = check_label_table(y, n_rows)
    if problem is None and (y.to_numpy().sum(axis=1) == 1).all():
        raise KerasnnValueError(
            "Every row of `y` holds exactly one 1: that reads as one-hot "
            "classes, not several labels per row. Pass the class column "
            "instead (e.g. y.idxmax(axis=1)), or problem='multilabel' if a "
            "row could hold several labels.")
    if problem not in (None, "multilabel"):
        raise KerasnnValueError(
            f"A `y` of {y.shape[1]} columns is one 0/1 column per label, "
            f"which is problem='multilabel'. Received: problem={problem!r}. "
            "Pass problem='multilabel', or a single target column.")
    return y, "multilabel"


def check_target_transform(target_transform, y, problem):
    """Resolves `target_transform` to `None` or `"log"` for the target `y`.

    `"auto"` picks `"log"` for a regression target of numbers >= 0 whose
    skewness exceeds `SKEW_TARGET_LOG` (`train_tabular`'s `"compare"`
    instead trains both and compares them on its validation rows).
    """
    target_transform = check_choice("target_transform", target_transform,
                                    ("auto", "log"), allow_none=True)
    if problem != "regression":
        if target_transform == "log":
            raise KerasnnValueError(
                "`target_transform` applies to problem='regression' only. "
                f"Received: target_transform='log' with problem={problem!r}."
            )
        return None
    if target_transform is None:
        return None
    values = _finite(y)
    positive = bool(len(values)) and float(values.min()) >= 0
    if target_transform == "log":
        if not positive:
            raise KerasnnValueError(
                "target_transform='log' fits log1p(y), so it needs a target "
                f">= 0. Received: y with minimum {float(values.min())!r}. "
                "Use target_transform=None."
            )
        return "log"
    return "log" if positive and values.skew() > SKEW_TARGET_LOG else None


def target_skewness(y):
    """The skewness of a regression target's finite values (`NaN` for
    fewer than three), the signal of `target_transform="auto"`."""
    return float(_finite(y).skew())


def _finite(y):
    values = pd.to_numeric(pd.Series(as_1d(y, "y")), errors="coerce")
    return values[np.isfinite(values)]


def fitted_target(y, transform):
    """The regression target in the space it is fitted in."""
    values = pd.to_numeric(pd.Series(as_1d(y, "y")), errors="coerce")
    values = values.to_numpy("float64")
    return np.log1p(values) if transform == "log" else values


