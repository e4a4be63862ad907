"""CTGAN's conditional vector and training-by-sampling batches."""

import keras
import numpy as np

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.extras._ctgan_columns import _Categorical
from kerasnn.extras._ctgan_columns import _key


class _Conditions:
    """The conditional vector and training-by-sampling."""

    def __init__(self, categorical, columns, X=None):
        """`X`, the training rows, is needed for `training_sample` only."""
        self.columns = categorical
        self.spans, offset, data_offset = [], 0, 0
        self.data_offsets = {}
        for column in columns:
            if isinstance(column, _Categorical):
                self.data_offsets[column.name] = data_offset
            data_offset += sum(size for size, _ in column.spans)
        for column in categorical:
            size = len(column.values)
            # (offset in the condition, size, offset in the data)
            self.spans.append((offset, size, self.data_offsets[column.name]))
            offset += size
        self.size = offset
        self.rows = None if X is None else [
            [np.flatnonzero(column.index_of(X[column.name]) == i)
             for i in range(len(column.values))]
            for column in categorical]

    def training_sample(self, n, rng):
        """Condition vectors, their column masks and real rows that match."""
        cond = np.zeros((n, self.size), dtype="float32")
        mask = np.zeros((n, len(self.columns)), dtype="float32")
        rows = np.zeros(n, dtype="int64")
        which = rng.integers(0, len(self.columns), n)
        for j, column in enumerate(self.columns):
            chosen = np.flatnonzero(which == j)
            weights = np.log(column.frequencies + 1)
            values = rng.choice(len(column.values), len(chosen),
                                p=weights / weights.sum())
            cond[chosen, self.spans[j][0] + values] = 1.0
            mask[chosen, j] = 1.0
            for i in np.unique(values):
                at = chosen[values == i]
                rows[at] = rng.choice(self.rows[j][i], len(at))
        return cond, mask, rows

    def sample_vectors(self, n, rng, condition):
        """Conditions at the data's frequencies, or all on one value."""
        cond = np.zeros((n, self.size), dtype="float32")
        if condition is not None:
            column, value = condition
            j = [c.name for c in self.columns].index(column)
            i = self.columns[j].index_of([value])[0]
            cond[:, self.spans[j][0] + i] = 1.0
            return cond
        which = rng.integers(0, len(self.columns), n)
        for j, column in enumerate(self.columns):
            chosen = np.flatnonzero(which == j)
            p = column.frequencies / column.frequencies.sum()
            values = rng.choice(len(column.values), len(chosen), p=p)
            cond[chosen, self.spans[j][0] + values] = 1.0
        return cond

    def check(self, condition):
        if not isinstance(condition, dict) or len(condition) != 1:
            raise KerasnnTypeError(
                "`condition` must be a dict of one categorical column and a "
                f"value, e.g. {{'sex': 'Female'}}. Received: {condition!r}.")
        (column, value), = condition.items()
        names = [c.name for c in self.columns]
        if column not in names:
            raise KerasnnValueError(
                f"`condition` must name a categorical column: one of {names}. "
                f"Received: {column!r}.")
        known = self.columns[names.index(column)].values
        if _key(value) not in {_key(v) for v in known}:
            raise KerasnnValueError(
                f"`condition` value {value!r} never occurs in column "
                f"{column!r}; its values are {known[:10]}.")
        return column, value


class _Batches(keras.utils.PyDataset):
    """Training-by-sampling batches, drawn afresh for each epoch."""

    def __init__(self, conditions, data, batch_size, steps, rng):
        super().__init__()
        self.conditions, self.data = conditions, data
        self.batch_size, self.steps, self.rng = batch_size, steps, rng
        self.on_epoch_end()

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {"real": self.real[part], "cond": self.cond[part],
                "mask": self.mask[part]}

    def on_epoch_end(self):
        cond, mask, rows = self.conditions.training_sample(
            self.steps * self.batch_size, self.rng)
        self.real, self.cond, self.mask = self.data[rows], cond, mask
