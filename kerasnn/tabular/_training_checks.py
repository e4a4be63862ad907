"""Checks of `train_tabular`'s arguments, run before any training."""

import pandas as pd

from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.oversampling import OVERSAMPLERS
from kerasnn.tabular.tables import check_label_table
from kerasnn.tabular.tables import check_target


def check_validation_split(validation_split, auto):
    """A fraction in [0, 1), or "auto", which gives `auto`."""
    if isinstance(validation_split, str) and validation_split == "auto":
        validation_split = auto
    elif isinstance(validation_split, str):
        raise KerasnnValueError(
            "`validation_split` must be a number in [0, 1) or 'auto'. "
            f"Received: validation_split={validation_split!r}.")
    return check_float("validation_split", validation_split, low=0.0,
                       high=1.0)


def check_oversample(oversample, problem):
    oversample = check_choice("oversample", oversample, OVERSAMPLERS,
                              allow_none=True)
    if oversample is not None:
        if problem == "multilabel":
            raise KerasnnValueError(
                "`oversample` makes rows of a class, and a multi-label row "
                f"has several. Received: oversample={oversample!r} with "
                "problem='multilabel'. Use oversample=None.")
        if problem == "regression":
            raise KerasnnValueError(
                "`oversample` applies to classification only. Received: "
                f"oversample={oversample!r} with problem={problem!r}."
            )
    return oversample


def check_validation_data(validation_data, X, y):
    if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
        raise KerasnnTypeError(
            "`validation_data` must be a tuple (X_val, y_val). Received: "
            + (f"a tuple of {len(validation_data)} item(s)."
               if isinstance(validation_data, tuple)
               else f"{type(validation_data).__name__}."))
    X_val = validation_data[0]
    if not isinstance(X_val, pd.DataFrame) or not len(X_val):
        raise KerasnnTypeError(
            "`validation_data[0]` must be a pandas DataFrame of rows with the "
            f"columns of `X`. Received: {type(X_val).__name__}"
            + (" with no rows." if isinstance(X_val, pd.DataFrame) else "."))
    missing = [c for c in X.columns if c not in X_val.columns]
    if missing:
        raise KerasnnValueError(
            "`validation_data[0]` must have the columns of `X`. Received: "
            f"columns {missing} missing.")
    if isinstance(y, pd.DataFrame):  # multi-label: the same label columns
        return X_val, check_label_table(validation_data[1], len(X_val),
                                        list(y.columns))
    return X_val, check_target(validation_data[1], len(X_val))


def check_class_weight(class_weight, classification, multilabel=False):
    if class_weight is None:
        return
    if multilabel:
        raise KerasnnValueError(
            "`class_weight` weights the classes of one label; a multi-label "
            f"target has several labels. Received: class_weight="
            f"{class_weight!r} with problem='multilabel'. Use "
            "class_weight=None.")
    if not classification:
        raise KerasnnValueError(
            "`class_weight` applies to classification only. Received: "
            f"class_weight={class_weight!r} with problem='regression'."
        )
    if isinstance(class_weight, str):
        check_choice("class_weight", class_weight, ("balanced",))
    elif not isinstance(class_weight, dict):
        raise KerasnnTypeError(
            "`class_weight` must be None, 'balanced' or a dict {label: weight}. "
            f"Received: class_weight={class_weight!r}."
        )


def check_restarts(restarts, validation_split, validation_data):
    """`restarts` > 1 needs validation rows to pick the best run on."""
    if restarts > 1 and validation_split == 0 and validation_data is None:
        raise KerasnnValueError(
            "`restarts` > 1 keeps the best run on validation data, so it needs "
            f"validation_split > 0 or validation_data. Received: "
            f"restarts={restarts} and validation_split=0."
        )
