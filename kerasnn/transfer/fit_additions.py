"""What `kerasnn.fine_tune` adds to `Model.fit`: augmented training batches
and a learning rate per variable. Only `keras` APIs, so every backend works.
"""

import math

import keras
import numpy as np

from kerasnn.callbacks import _keras_compat
from kerasnn.errors import KerasnnError


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled batches of `(x, y)` with `augment` applied to each `x` batch.

    The layer is called with `training=True`, so Keras's random preprocessing
    layers draw a new transform per batch. Validation data never comes here,
    so it is scored on the images as they are.
    """

    def __init__(self, x, y, augment, batch_size):
        super().__init__()
        self.x, self.y = x, y
        self.augment = augment
        self.batch_size = batch_size
        # The global NumPy generator, which keras.utils.set_random_seed seeds.
        self.order = np.random.permutation(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = self.augment(self.x[rows], training=True)
        return keras.ops.convert_to_numpy(images), self.y[rows]

    def on_epoch_end(self):
        self.order = np.random.permutation(len(self.x))


def with_rate_factors(optimizer, factors):
    """A copy of `optimizer` whose step for a variable is scaled by its factor.

    Keras 3 has one learning rate per optimizer. Scaling gradients instead
    would not work with Adam, whose steps do not depend on the gradient's
    scale, so the rate itself is scaled, in `update_step`, where every
    optimizer receives it. `factors` maps `id(variable)` to a float; other
    variables keep the optimizer's rate. Schedules and callbacks that change
    the rate scale every variable alike.
    """
    kind = type(optimizer)

    class PerVariableRates(kind):
        def build(self, variables):
            super().build(variables)
            if variables and _keras_compat.variable_index(
                    self, variables[0]) is None:
                raise KerasnnError(
                    "Per-layer learning rates need the optimizer's variable "
                    "index, which this Keras does not have. Use one rate "
                    "for the whole model (no per-layer factors).")
            self._rate_factors = [factors.get(id(v), 1.0) for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            factor = self._rate_factors[
                _keras_compat.variable_index(self, variable)]
            if factor != 1.0:
                learning_rate = learning_rate * factor
            return super().update_step(gradient, variable, learning_rate)

    PerVariableRates.__name__ = kind.__name__
    PerVariableRates.plain_kind = kind
    return PerVariableRates.from_config(optimizer.get_config())
