"""The preprocessing plan of a table, and the model inputs that carry it out.

`make_plan` reads the training table once and records, per column, what the
model's preprocessing layers need (fill values, bin edges, vocabularies);
`encoded_inputs` turns a plan into Keras inputs and the encoded features.
"""

import dataclasses
import re

import keras
import numpy as np
import pandas as pd

from kerasnn._random import derived_seed
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import unique_name
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.layers import FillMissing
from kerasnn.tabular.layers import PiecewiseLinear
from kerasnn.tabular.layers import SignedLog
from kerasnn.tabular.tables import category_strings
from kerasnn.tabular.tables import numeric_values

ENCODINGS = ("auto", "one_hot", "embedding")
NUMERIC_EMBEDDINGS = ("bins",)
#: Layer index (for `derived_seed`) of the first column's own layers, past any
#: hidden layer's.
COLUMN_LAYERS = 100
#: Numeric columns whose training skewness exceeds this are log-scaled.
SKEW_LOG = 2.0


@dataclasses.dataclass(frozen=True)
class NumericColumn:
    """A numeric column: its fill value, missing flag and bin edges, and
    the units of the Dense layer after its bins (`None`: none)."""

    kind = "numeric"
    name: object
    input: str
    fill: float
    flagged: bool
    bins: tuple = ()
    bin_units: int = None

    @property
    def width(self):
        """Features of its own (its bins, or the Dense layer after them)."""
        if not self.bins:
            return 0
        return self.bin_units or len(self.bins) - 1


@dataclasses.dataclass(frozen=True)
class CategoricalColumn:
    """A categorical column: its vocabulary and encoding."""

    kind = "categorical"
    name: object
    input: str
    vocabulary: tuple
    one_hot: bool
    width: int


@dataclasses.dataclass(frozen=True)
class NumericStats:
    """What the numeric block (every numeric column together) is set from.

    Lists are in the order of the numeric columns; `mean` and `variance`
    cover the filled (and log-scaled) columns, then one 0/1 flag per entry
    of `flags`.
    """

    fills: tuple
    flags: tuple
    skewed: tuple
    mean: tuple
    variance: tuple

    @property
    def width(self):
        return len(self.mean)


@dataclasses.dataclass(frozen=True)
class Plan:
    """One entry per column, in the table's order, and the numeric block."""

    columns: tuple
    numeric: NumericStats = None

    @property
    def n_features(self):
        """Width of the encoded features that the hidden layers read."""
        block = self.numeric.width if self.numeric is not None else 0
        return block + sum(column.width for column in self.columns)


def make_plan(X, kinds, *, encoding, one_hot_max, min_frequency, numeric_bins,
              bin_units=None):
    """Reads the training table `X` once; returns its `Plan`."""
    columns, used = [], set()
    for column, kind in kinds.items():
        name = input_name(column, used)
        if kind == "numeric":
            values = numeric_values(X[column], column).reshape(-1)
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise KerasnnValueError(
                    f"Numeric column {column!r} has no finite values in `X`. "
                    "Received: a column that is all missing. Drop it."
                )
            bins = ()
            if numeric_bins > 1:
                edges = bin_edges(finite, numeric_bins)
                if len(edges) > 2:
                    bins = tuple(edges.tolist())
            columns.append(NumericColumn(column, name, float(finite.mean()),
                                         bool(finite.size < values.size), bins,
                                         bin_units))
            continue
        strings = pd.Series(category_strings(X[column]).reshape(-1))
        counts = strings.value_counts()
        vocabulary = [str(v) for v, n in counts.items() if n >= min_frequency]
        if not vocabulary:
            # Keep the commonest category, so the lookup is not empty.
            vocabulary = [str(counts.index[0])]
        n = len(vocabulary) + 1
        one_hot = encoding == "one_hot" or (encoding == "auto" and n <= one_hot_max)
        columns.append(CategoricalColumn(column, name, tuple(vocabulary), one_hot,
                                         n if one_hot else embedding_size(n)))
    numeric = [c for c in columns if c.kind == "numeric"]
    return Plan(tuple(columns), _numeric_stats(X, numeric) if numeric else None)


def encoded_inputs(plan, seed=None):
    """Keras inputs named after the columns, and the encoded features.

    The starting weights of a column's own layers (its embedding, the Dense
    layer after its bins) come from `seed`, with the column's position in
    the plan: the same seed gives the same model.
    """
    inputs, numeric, encoded = {}, [], []
    for position, column in enumerate(plan.columns):
        name = column.input
        if column.kind == "numeric":
            inputs[name] = keras.Input(shape=(1,), dtype="float32", name=name)
            numeric.append(inputs[name])
            if column.bins:
                x = FillMissing([column.fill], name=f"{name}_fill")(inputs[name])
                x = PiecewiseLinear(list(column.bins), name=f"{name}_bins")(x)
                if column.bin_units:
                    x = keras.layers.Dense(
                        column.bin_units, name=f"{name}_bins_dense",
                        kernel_initializer=make_initializer(
                            "glorot_uniform", seed, COLUMN_LAYERS + position))(x)
                encoded.append(x)
            continue
        inputs[name] = keras.Input(shape=(1,), dtype="string", name=name)
        size = len(column.vocabulary) + 1
        lookup = keras.layers.StringLookup(
            vocabulary=list(column.vocabulary), num_oov_indices=1,
            output_mode="one_hot" if column.one_hot else "int",
            name=f"{name}_lookup",
        )(inputs[name])
        if column.one_hot:
            encoded.append(keras.layers.Reshape((size,),
                                                name=f"{name}_one_hot")(lookup))
        else:
            x = keras.layers.Embedding(
                size, column.width, name=f"{name}_embedding",
                # Keras's default ("uniform"), seeded.
                embeddings_initializer=keras.initializers.RandomUniform(
                    -0.05, 0.05,
                    seed=derived_seed(seed, layer=COLUMN_LAYERS + position)))(lookup)
            encoded.append(keras.layers.Flatten(name=f"{name}_flat")(x))
    if numeric:
        stats = plan.numeric
        x = numeric[0] if len(numeric) == 1 else keras.layers.Concatenate(
            name="numeric")(numeric)
        x = FillMissing(list(stats.fills), list(stats.flags),
                        name="fill_missing")(x)
        if stats.skewed:
            x = SignedLog(list(stats.skewed), name="log_skewed")(x)
        x = keras.layers.Normalization(mean=list(stats.mean),
                                       variance=list(stats.variance),
                                       name="normalize")(x)
        encoded.insert(0, x)
    features = encoded[0] if len(encoded) == 1 else keras.layers.Concatenate(
        name="features")(encoded)
    return inputs, features


def bin_edges(values, n_bins):
    """Training-quantile bin edges; bins lost to ties go to the distinct values.

    A column that is mostly one value (a count that is usually 0) keeps few
    quantile edges; the spare bins are spread over the quantiles of its
    distinct values, so its rare large values still get bins of their own.
    """
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)))
    spare = n_bins + 1 - len(edges)
    if spare > 0:
        distinct = np.unique(values)
        edges = np.unique(np.concatenate([edges, np.quantile(
            distinct, np.linspace(0, 1, min(spare, len(distinct)) + 2),
            method="nearest")]))
    return edges


def embedding_size(n_categories):
    """fastai's rule: `min(600, round(1.6 * n ** 0.56))` dimensions."""
    return int(min(600, round(1.6 * n_categories ** 0.56)))


def input_name(column, used):
    """A Keras input name for `column`, unique among `used` (updated)."""
    name = re.sub(r"\W", "_", str(column)).strip("_") or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    return unique_name(name, used)


def _numeric_stats(X, numeric):
    matrix = np.column_stack(
        [numeric_values(X[c.name], c.name).reshape(-1) for c in numeric])
    bad = ~np.isfinite(matrix)
    fills = np.array([c.fill for c in numeric])
    filled = np.where(bad, fills, matrix)
    flags = [i for i, c in enumerate(numeric) if c.flagged]
    skewed = [i for i in range(filled.shape[1])
              if abs(pd.Series(filled[:, i]).skew()) > SKEW_LOG]
    filled[:, skewed] = np.sign(filled[:, skewed]) * np.log1p(
        np.abs(filled[:, skewed]))
    stats = np.column_stack([filled, bad[:, flags].astype("float64")])
    variance = stats.var(axis=0)
    variance[variance == 0] = 1.0  # a constant column stays at 0
    return NumericStats(fills=tuple(fills.tolist()), flags=tuple(flags),
                        skewed=tuple(skewed),
                        mean=tuple(stats.mean(axis=0).tolist()),
                        variance=tuple(variance.tolist()))
