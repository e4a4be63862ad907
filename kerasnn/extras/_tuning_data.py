"""The data of a search or cross-validation, checked once, and how to build a
model for it with the builder given."""

import inspect

import numpy as np
import pandas as pd

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_target


class SearchData:
    """The data of a search, checked once, and how to build for it."""

    def __init__(self, builder, X, y, problem):
        if not callable(builder):
            raise KerasnnTypeError(
                "`builder` must be a kerasnn builder such as "
                "kerasnn.build_tabular_model, kerasnn.build_model or "
                f"kerasnn.build_image_model. Received: builder={builder!r}."
            )
        self.builder = builder
        self.table = _is_table_builder(builder)
        if self.table:
            self.X = check_frame(X)
            self.y = check_target(y, len(X))
        else:
            self.X = _as_features(X)
            self.y = check_target(y, len(self.X))
        self.problem = infer_problem(self.y) if problem is None else check_problem(
            problem)
        self.classification = self.problem != "regression"
        self.n_classes = None
        if not self.table:
            self.y = self._numeric_labels()

    def rows(self, index):
        return self.X.iloc[index] if self.table else self.X[index]

    def build(self, index, options, seed=None):
        if seed is not None and "seed" not in options:
            options = {**options, "seed": seed}
        if self.table:
            return self.builder(self.X.iloc[index], self.y[index],
                                problem=self.problem, **options)
        return self.builder(self.problem, self.X.shape[1:],
                            n_classes=self.n_classes, **options)

    def _numeric_labels(self):
        y = self.y
        if not self.classification:
            return np.asarray(y, dtype="float32")
        values = np.unique(y)
        k = 2 if self.problem == "binary" else len(values)
        is_codes = np.asarray(y).dtype.kind in "biu" or (
            np.asarray(y).dtype.kind == "f" and np.all(values == np.round(values)))
        if not is_codes or not set(values.tolist()) <= set(range(k)):
            raise KerasnnValueError(
                f"A {self.problem} `y` for {self.builder.__name__} must hold "
                f"class codes 0..{k - 1}. Received: labels "
                f"{values[:6].tolist()}. Encode them (e.g. with "
                "sklearn.preprocessing.LabelEncoder) or use "
                "build_tabular_model, which takes raw labels."
            )
        self.n_classes = k if self.problem == "multiclass" else None
        return np.asarray(y).astype("int32")


def _is_table_builder(builder):
    if builder is build_tabular_model:
        return True
    try:
        first = next(iter(inspect.signature(builder).parameters))
    except (TypeError, ValueError, StopIteration):
        return False
    return first == "X"


def _as_features(X):
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    try:
        X = np.asarray(X, dtype="float32")
    except (TypeError, ValueError):
        raise KerasnnTypeError(
            "`X` must be numeric features for this builder. Received: values "
            "that are not numbers. Use builder=kerasnn.build_tabular_model for "
            "tables with strings."
        ) from None
    if X.ndim < 2 or len(X) == 0:
        raise KerasnnValueError(
            "`X` must be an array of samples, shape (n_samples, ...). Received: "
            f"shape {X.shape}."
        )
    bad = int((~np.isfinite(X)).sum())
    if bad:
        raise KerasnnValueError(
            "`X` must hold finite numbers for this builder. Received: "
            f"{bad} NaN or infinite value(s). Impute them first, or use "
            "builder=kerasnn.build_tabular_model, which fills and flags "
            "missing values."
        )
    return X
