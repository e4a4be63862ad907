"""Preprocessing layers of the tabular model, registered for safe-mode loading.

They are saved by name (`kerasnn>FillMissing`, `kerasnn>SignedLog`,
`kerasnn>PiecewiseLinear`): a `.keras` file that holds them loads with
`keras.saving.load_model(path)` once `kerasnn` is imported.
"""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="kerasnn")
class FillMissing(keras.layers.Layer):
    """Fills NaN and infinite values per feature and appends missing flags.

    Args:
        fill_values: List of floats, one per input feature.
        indicators: List of feature indices that get a 0/1 "was missing"
            feature appended, in this order.
    """

    def __init__(self, fill_values, indicators=(), **kwargs):
        super().__init__(**kwargs)
        self.fill_values = [float(v) for v in fill_values]
        self.indicators = [int(i) for i in indicators]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        missing = ops.logical_not(ops.isfinite(x))
        fill = ops.convert_to_tensor(np.asarray(self.fill_values, "float32"),
                                     dtype=self.compute_dtype)
        filled = ops.where(missing, ops.broadcast_to(fill, ops.shape(x)), x)
        if not self.indicators:
            return filled
        flags = ops.take(missing, self.indicators, axis=-1)
        return ops.concatenate([filled, ops.cast(flags, self.compute_dtype)], -1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + len(self.indicators))

    def get_config(self):
        return {**super().get_config(), "fill_values": self.fill_values,
                "indicators": self.indicators}


@keras.saving.register_keras_serializable(package="kerasnn")
class SignedLog(keras.layers.Layer):
    """`sign(x) * log1p(|x|)` on the features listed in `indices`.

    Tames long-tailed columns (counts, money) before standardization.

    Args:
        indices: List of feature indices to transform; the rest pass through.
    """

    def __init__(self, indices, **kwargs):
        super().__init__(**kwargs)
        self.indices = [int(i) for i in indices]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        logged = ops.sign(x) * ops.log1p(ops.abs(x))
        mask = np.zeros(x.shape[-1], dtype=bool)
        mask[self.indices] = True
        return ops.where(ops.convert_to_tensor(mask), logged, x)

    def get_config(self):
        return {**super().get_config(), "indices": self.indices}


@keras.saving.register_keras_serializable(package="kerasnn")
class PiecewiseLinear(keras.layers.Layer):
    """Piecewise-linear encoding of one numeric feature over fixed bins.

    Feature `t` is `clip((x - edges[t]) / (edges[t + 1] - edges[t]), 0, 1)`:
    1 for bins wholly below `x`, the fraction inside `x`'s bin, 0 above
    (Gorishniy et al., 2022, "On Embeddings for Numerical Features in
    Tabular Deep Learning"), so an MLP can bend its response per bin.

    Args:
        edges: Sorted list of at least 2 bin edges (training quantiles).
    """

    def __init__(self, edges, **kwargs):
        super().__init__(**kwargs)
        self.edges = [float(e) for e in edges]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        edges = np.asarray(self.edges, dtype="float32")
        low = ops.convert_to_tensor(edges[:-1], dtype=self.compute_dtype)
        width = ops.convert_to_tensor(np.maximum(np.diff(edges), 1e-12),
                                      dtype=self.compute_dtype)
        return ops.clip((x - low) / width, 0.0, 1.0)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.edges) - 1)

    def get_config(self):
        return {**super().get_config(), "edges": self.edges}
