"""`TabularModel`: a functional model whose `fit`/`evaluate`/`predict` take
raw tables (made by `kerasnn.build_tabular_model`)."""

import keras
import numpy as np
import pandas as pd
from keras import ops

from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.tables import as_1d
from kerasnn.tabular.tables import category_strings
from kerasnn.tabular.tables import check_label_table
from kerasnn.tabular.tables import numeric_values
from kerasnn.tabular.tables import plain as _plain
from kerasnn.tabular.tables import string_tensor


@keras.saving.register_keras_serializable(package="kerasnn")
class TabularModel(keras.Model):
    """A functional model whose `fit`/`evaluate`/`predict` take raw tables.

    Made by `build_tabular_model`; saved and reloaded with the usual
    `model.save("m.keras")` / `keras.saving.load_model("m.keras")` (safe
    mode) once `kerasnn` is imported. `X` may be a DataFrame or a dict of
    columns keyed by column or input name; extra columns are ignored. `y`
    may hold the original labels. Tensors and `tf.data` datasets are passed
    through unchanged (then categorical columns must be string tensors).

    Attributes:
        problem: The problem type.
        classes: List of the class labels (index `i` is output `i`), the
            label names for multi-label, or `None` for regression.
        columns: Dict mapping each column to `"numeric"`/`"categorical"`.
    """

    def __init__(self, *args, tabular=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A plain JSON dict, kept out of Keras's attribute tracking.
        object.__setattr__(self, "_tabular", _plain(tabular or {}))

    @property
    def problem(self):
        return self._tabular.get("problem")

    @property
    def classes(self):
        classes = self._tabular.get("classes")
        return None if classes is None else list(classes)

    @property
    def columns(self):
        return {c["name"]: c["kind"] for c in self._tabular.get("columns", [])}

    @property
    def backbone(self):
        return self._tabular.get("backbone", "mlp")

    @property
    def k(self):
        return self._tabular.get("k", 1)

    @property
    def target_transform(self):
        return self._tabular.get("target_transform")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        """The mean of the members' losses, in the space the target is fitted.

        In training the model gives every member's prediction
        (`(batch, k, outputs)`, see `kerasnn.tabular.ensemble.MeanPrediction`): they
        are scored as `k` rows each, so the loss is the mean of the member
        losses, not the loss of their mean. With `target_transform="log"`
        the loss compares `log1p` values.
        """
        members = y_pred is not None and self._members_in(y_pred)
        y, y_pred, sample_weight = self._members_as_rows(y, y_pred,
                                                         sample_weight)
        if self.target_transform == "log" and y is not None:
            y = ops.log1p(ops.maximum(ops.cast(y, "float32"), 0.0))
            if not members:  # the ensemble's prediction, in target units
                y_pred = ops.log1p(ops.maximum(y_pred, 0.0))
        return super().compute_loss(x, y, y_pred, sample_weight, training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self.target_transform == "log" and self._members_in(y_pred):
            y_pred = ops.expm1(ops.clip(y_pred, -30.0, 30.0))
        y, y_pred, sample_weight = self._members_as_rows(y, y_pred,
                                                         sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    @staticmethod
    def _members_in(y_pred):
        # Only `MeanPrediction` in training gives 3-D predictions.
        return len(y_pred.shape) == 3

    def _members_as_rows(self, y, y_pred, sample_weight):
        """`(batch, k, outputs)` members -> `k` rows per example."""
        if y_pred is None or not self._members_in(y_pred):
            return y, y_pred, sample_weight
        k = y_pred.shape[1]
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[2]))
        if y is not None:
            y = _repeat_rows(y, k)
        if sample_weight is not None:
            sample_weight = _repeat_rows(sample_weight, k)
        return y, y_pred, sample_weight

    def get_config(self):
        return {**super().get_config(), "tabular": _plain(self._tabular)}

    def prepare_inputs(self, x):
        """Raw columns -> the dict of arrays the model's inputs take."""
        if not isinstance(x, (pd.DataFrame, dict)):
            return x
        columns = self._tabular["columns"]
        missing = [c["name"] for c in columns
                   if c["name"] not in x and c["input"] not in x]
        if missing:
            raise KerasnnValueError(
                f"`x` is missing column(s) {missing} that the model was built "
                f"with. Received: columns {list(x.keys())}."
            )
        prepared = {}
        for column in columns:
            key = column["name"] if column["name"] in x else column["input"]
            values = x[key]
            if keras.ops.is_tensor(values) and not isinstance(values, np.ndarray):
                prepared[column["input"]] = values
            elif column["kind"] == "numeric":
                prepared[column["input"]] = numeric_values(values, key)
            else:
                prepared[column["input"]] = string_tensor(
                    category_strings(values))
        return prepared

    def prepare_labels(self, y):
        """Original labels -> class indices (regression: float32 values;
        multi-label: the 0/1 columns, in the model's label order)."""
        if y is None or (keras.ops.is_tensor(y) and not isinstance(y, np.ndarray)):
            return y
        if self.problem == "multilabel":
            return check_label_table(y, len(y), self.classes).to_numpy()
        values = as_1d(y, "y")
        if self.classes is None:
            return pd.to_numeric(pd.Series(values)).to_numpy("float32")
        index = pd.Index(self.classes).get_indexer(pd.Series(values))
        if (index < 0).any():
            unknown = sorted({str(v) for v in values[index < 0]})[:5]
            raise KerasnnValueError(
                f"`y` holds labels the model was not built with: {unknown}. "
                f"Received labels outside the model's classes {self.classes}."
            )
        return index.astype("int32")

    def fit(self, x=None, y=None, *args, validation_data=None, class_weight=None,
            **kwargs):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) >= 2:
            validation_data = (self.prepare_inputs(validation_data[0]),
                               self.prepare_labels(validation_data[1]),
                               *validation_data[2:])
        return super().fit(self.prepare_inputs(x), self.prepare_labels(y), *args,
                           validation_data=validation_data,
                           class_weight=class_weight, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if kwargs.get("_use_cached_eval_dataset"):
            # Validation inside `fit`: the data was prepared there already.
            return super().evaluate(x, y, *args, **kwargs)
        return super().evaluate(self.prepare_inputs(x), self.prepare_labels(y),
                                *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self.prepare_inputs(x), *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        return super().train_on_batch(self.prepare_inputs(x),
                                      self.prepare_labels(y), *args, **kwargs)

    def test_on_batch(self, x, y=None, *args, **kwargs):
        return super().test_on_batch(self.prepare_inputs(x),
                                     self.prepare_labels(y), *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(self.prepare_inputs(x))


def _repeat_rows(values, k):
    """Each row `k` times in a row: `[a, b] -> [a, a, b, b]` for `k=2`."""
    values = ops.convert_to_tensor(values)
    repeated = ops.repeat(ops.expand_dims(values, 1), k, axis=1)
    return ops.reshape(repeated, (-1, *values.shape[1:]))
