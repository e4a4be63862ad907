"""What `find_lr` and `LRFinder` do to a model around the sweep.

`_snapshot` copies the weights, the optimizer's variables and the learning
rate that `LRFinder.restore` puts back (`_model_vars`, `_to_numpy`);
`_is_built` and `_first_inputs` let `find_lr` build a model that is not
built yet on one batch (the swap of a `LearningRateSchedule` for the
sweep's float rate is `_keras_compat.swap_out_schedule`).
"""

import keras
import numpy as np


def _model_vars(model):
    return list(model.trainable_variables) + list(model.non_trainable_variables)


def _is_built(model):
    return bool(model.built) and all(layer.built for layer in model.layers)


def _first_inputs(x, batch_size, is_dataset):
    """The inputs of the first batch, or `None` if they cannot be peeked."""
    if is_dataset:
        for batch in x.take(1):
            inputs = keras.utils.unpack_x_y_sample_weight(batch)[0]
            return keras.tree.map_structure(keras.ops.convert_to_numpy, inputs)
        return None
    leaves = keras.tree.flatten(x)
    if not leaves or not all(hasattr(a, "shape") for a in leaves):
        return None  # A generator or a PyDataset: fit builds the model.
    return keras.tree.map_structure(lambda a: a[:batch_size], x)


def _snapshot(model, lr):
    return (
        model,
        [_to_numpy(v) for v in _model_vars(model)],
        [_to_numpy(v) for v in model.optimizer.variables],
        lr,
    )


def _to_numpy(variable):
    return np.array(keras.ops.convert_to_numpy(variable.value), copy=True)
