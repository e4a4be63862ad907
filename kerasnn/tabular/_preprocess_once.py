"""Training on rows encoded once: the preprocessing layers run before `fit`,
not in every step of every epoch.

The layers of a tabular model up to the first one with weights to train
(lookups, filling, bins, standardization) give the same output in every
epoch, yet `fit` runs them, and feeds them the raw columns (strings
included), in every step. `encoded_trainer` splits the model there: a model
of those layers encodes the rows once, and a second model of the remaining
layers, sharing their weights and the optimizer, trains on the encoded
rows. The trained weights are the model's own, so the model saved after
training still takes raw rows.
"""

import keras
import pandas as pd

from kerasnn.tabular._tabular_model import TabularModel

#: Fewest training rows encoded once: below, the second model's tracing
#: costs more than the preprocessing it saves (penguins' 275 rows).
MIN_ROWS = 2_000

#: Largest encoded table (float32 values, training and validation rows)
#: kept in memory; a larger one trains the model on its raw rows.
MAX_ENCODED_VALUES = 250_000_000


def split_preprocessing(model):
    """`(preprocessing model, network model)` of a functional `model`: the
    layers up to the first with weights to train, and the rest (a
    `TabularModel` sharing the weights, not compiled). `None` when no layer
    qualifies."""
    fixed = {}
    for layer in model.layers:
        parents = [tensor._keras_history.operation for tensor in
                   keras.tree.flatten(layer._inbound_nodes[0].input_tensors)]
        fixed[layer.name] = (not layer.weights or not layer.trainable_weights
                             ) and all(fixed[p.name] for p in parents)
    ends, seen = [], set()
    for layer in model.layers:
        if fixed[layer.name]:
            continue
        for tensor in keras.tree.flatten(layer._inbound_nodes[0].input_tensors):
            if fixed[tensor._keras_history.operation.name] and (
                    id(tensor) not in seen):
                seen.add(id(tensor))
                ends.append(tensor)
    if all(t._keras_history.operation.__class__.__name__ == "InputLayer"
           for t in ends):
        return None
    preprocessing = keras.Model(model.inputs, ends)
    network = TabularModel(ends, model.outputs, tabular=model._tabular)
    return preprocessing, network


def encoded_trainer(model, x, validation, batch_size=4096):
    """`(network, encoded x, encoded validation)` to train `model` on, or
    `None` when the model has no preprocessing to take out, or for fewer
    than `MIN_ROWS` rows or more encoded values than `MAX_ENCODED_VALUES`.

    The network is compiled with `model`'s optimizer (so its state is the
    model's), loss and metrics, so `fit` logs the same names.
    """
    n = len(x[next(iter(x))])
    if n < MIN_ROWS:
        return None
    parts = split_preprocessing(model)
    if parts is None:
        return None
    preprocessing, network = parts
    width = sum(int(t.shape[-1] or 0) for t in preprocessing.outputs)
    rows = n + (0 if validation is None
                                    else len(validation[1]))
    if width * rows > MAX_ENCODED_VALUES:
        return None
    config = model.get_compile_config() or {}
    deserialize = keras.saving.deserialize_keras_object
    network.compile(
        optimizer=model.optimizer,
        loss=deserialize(config.get("loss")),
        metrics=deserialize(config.get("metrics")),
        weighted_metrics=deserialize(config.get("weighted_metrics")))

    def encode(rows):
        encoded = preprocessing.predict(model.prepare_inputs(rows),
                                        batch_size=batch_size, verbose=0)
        return list(encoded) if isinstance(encoded, (list, tuple)) else [
            encoded]

    if validation is None:
        return network, encode(x), None
    if isinstance(x, pd.DataFrame) and isinstance(validation[0],
                                                  pd.DataFrame):
        # One pass (one traced function) for both parts.
        both = encode(pd.concat([x, validation[0][list(x.columns)]],
                                ignore_index=True))
        train, val = [e[:n] for e in both], [e[n:] for e in both]
    else:
        train, val = encode(x), encode(validation[0])
    return network, train, (val, *validation[1:])
