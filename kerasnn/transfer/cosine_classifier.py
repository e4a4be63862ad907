"""The cosine classifier head of few-shot transfer: `CosineClassifier`.

Registered with Keras (`kerasnn>CosineClassifier`), so a `.keras` file that
holds it loads with `keras.saving.load_model` in safe mode once `kerasnn` is
imported. Only `keras.ops`: every backend.
"""

import keras

from kerasnn._validation import check_float
from kerasnn._validation import check_int


@keras.saving.register_keras_serializable(package="kerasnn")
class CosineClassifier(keras.layers.Layer):
    """Scores each class by the cosine of the features and the class's weights.

    `outputs = activation(scale * cos(x, w_c))` for each class `c`: the
    features and every column of the kernel are L2-normalised, so a class
    is a direction in feature space and its score does not grow with the
    length of the feature vector. This is the head of few-shot learning
    with imprinted weights (Qi et al., 2018) and of Baseline++ (Chen et
    al., 2019): set a column to the normalised mean feature of a class's
    few images (`kerasnn.imprint`) and the class is recognised before any
    training. `scale` sets how peaked the softmax can get, since a cosine
    lies in [-1, 1].

    Args:
        units: Integer >= 1. Number of classes.
        scale: Float > 0. Multiplies the cosines. Defaults to `10.0`.
        activation: Activation of the scores, e.g. `"softmax"`. Defaults to
            `None`: the scaled cosines, as logits.
        kernel_initializer: Initializer of the `(features, units)` kernel.
            Defaults to `"glorot_uniform"`.

    Example:

    >>> layer = CosineClassifier(5, scale=10.0, activation="softmax")
    >>> layer(keras.ops.ones((2, 8))).shape
    (2, 5)
    """

    def __init__(self, units, *, scale=10.0, activation=None,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, minimum=1)
        self.scale = check_float("scale", scale, low=0.0, low_inclusive=False)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer, trainable=True)

    def call(self, inputs):
        features = _normalise(inputs, axis=-1)
        kernel = _normalise(keras.ops.cast(self.kernel, inputs.dtype), axis=0)
        return self.activation(self.scale * keras.ops.matmul(features, kernel))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "scale": self.scale,
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer),
        }


def _normalise(x, axis):
    # The epsilon keeps an all-zero feature vector (a dead ReLU) finite.
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(x), axis=axis,
                                        keepdims=True) + 1e-12)
    return x / norm
