"""CTGAN's encoding of columns: mode-specific normalization of numbers, one-hot
categories, and back."""

import numpy as np
import pandas as pd

from kerasnn.tabular.tables import is_whole
from kerasnn.tabular.tables import plain as _plain


class _Numeric:
    """Mode-specific normalization of one numeric column."""

    def __init__(self, name, values, max_modes, seed):
        from sklearn.mixture import BayesianGaussianMixture

        self.name = name
        numbers_ = pd.to_numeric(values).astype("float64")
        finite = numbers_.dropna().to_numpy()
        self.has_missing = bool(numbers_.isna().any())
        self.whole = is_whole(numbers_)
        self.low, self.high = (float(finite.min()), float(finite.max())) \
            if len(finite) else (0.0, 0.0)
        modes = int(min(max_modes, max(1, len(np.unique(finite)))))
        self.mixture = BayesianGaussianMixture(
            n_components=modes, weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=0.001, max_iter=100, n_init=1,
            random_state=seed)
        sample = finite if len(finite) <= 20_000 else np.random.default_rng(
            seed).choice(finite, 20_000, replace=False)
        self.mixture.fit(sample.reshape(-1, 1))
        self.active = self.mixture.weights_ > 1e-3
        self.means = self.mixture.means_.reshape(-1)[self.active]
        self.stds = np.sqrt(self.mixture.covariances_.reshape(-1))[self.active]
        self._set_modes()

    def _set_modes(self):
        self.n_modes = len(self.means) + int(self.has_missing)
        self.spans = [(1, "tanh"), (self.n_modes, "softmax")]

    def get_config(self):
        """What `decode` needs, as plain JSON (the mixture is for `fit`)."""
        return {"kind": "numeric", "name": _plain(self.name),
                "means": self.means.tolist(), "stds": self.stds.tolist(),
                "low": self.low, "high": self.high, "whole": self.whole,
                "has_missing": self.has_missing}

    @classmethod
    def from_config(cls, config):
        column = cls.__new__(cls)
        column.name, column.low, column.high = (config["name"], config["low"],
                                                config["high"])
        column.whole, column.has_missing = (config["whole"],
                                            config["has_missing"])
        column.means = np.asarray(config["means"], dtype="float64")
        column.stds = np.asarray(config["stds"], dtype="float64")
        column.mixture = column.active = None
        column._set_modes()
        return column

    def encode(self, values, rng):
        numbers_ = pd.to_numeric(values).astype("float64").to_numpy()
        out = np.zeros((len(numbers_), 1 + self.n_modes))
        present = ~np.isnan(numbers_)
        if present.any():
            probs = self.mixture.predict_proba(
                numbers_[present].reshape(-1, 1))[:, self.active]
            probs = probs + 1e-6
            probs /= probs.sum(axis=1, keepdims=True)
            draws = rng.random((len(probs), 1))
            picks = np.minimum((probs.cumsum(axis=1) < draws).sum(axis=1),
                               probs.shape[1] - 1)
            offset = (numbers_[present] - self.means[picks]) / (
                4 * self.stds[picks])
            rows = np.flatnonzero(present)
            out[rows, 0] = np.clip(offset, -0.99, 0.99)
            out[rows, 1 + picks] = 1.0
        if self.has_missing:
            out[~present, self.n_modes] = 1.0
        return out

    def decode(self, block):
        offset = np.clip(block[:, 0], -1, 1)
        mode = block[:, 1:].argmax(axis=1)
        n_active = len(self.means)
        picked = np.minimum(mode, n_active - 1)
        values = offset * 4 * self.stds[picked] + self.means[picked]
        values = np.clip(values, self.low, self.high)
        if self.whole:
            values = np.round(values)
        if self.has_missing:
            values = np.where(mode == n_active, np.nan, values)
        return values


class _Categorical:
    """One-hot of one categorical column; missing values a category."""

    def __init__(self, name, values):
        self.name = name
        counts = values.value_counts(dropna=False)
        self.values = list(counts.index)
        self.frequencies = counts.to_numpy().astype("float64")
        self.spans = [(len(self.values), "softmax")]

    def get_config(self):
        return {"kind": "categorical", "name": _plain(self.name),
                # A missing value is saved as None (JSON has no NaN).
                "values": [None if pd.isna(v) else _plain(v)
                           for v in self.values],
                "frequencies": self.frequencies.tolist()}

    @classmethod
    def from_config(cls, config):
        column = cls.__new__(cls)
        column.name = config["name"]
        column.values = list(config["values"])
        column.frequencies = np.asarray(config["frequencies"], "float64")
        column.spans = [(len(column.values), "softmax")]
        return column

    def index_of(self, values):
        lookup = {_key(v): i for i, v in enumerate(self.values)}
        return np.array([lookup[_key(v)] for v in values])

    def encode(self, values, rng):
        out = np.zeros((len(values), len(self.values)))
        out[np.arange(len(values)), self.index_of(values)] = 1.0
        return out

    def decode(self, block):
        return np.asarray(self.values, dtype=object)[block.argmax(axis=1)]


def _key(value):
    return "__missing__" if pd.isna(value) else value
