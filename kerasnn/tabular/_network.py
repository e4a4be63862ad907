"""The network of a tabular model: encoded inputs, the hidden part (one MLP
or a TabM-style ensemble) and the head."""

import keras

from kerasnn.builders.blocks import hidden_stack
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import output_layer
from kerasnn.tabular.ensemble import EnsembleHead
from kerasnn.tabular.ensemble import MeanPrediction
from kerasnn.tabular.ensemble import ensemble_stack
from kerasnn.tabular.plan import encoded_inputs


def tabular_network(plan, spec, widths, options, *, backbone, k, target,
                    target_transform):
    """Returns the model's `(inputs, outputs)`: a dict of inputs, one per
    column of `plan`, and the head's output (in the target's units)."""
    inputs, features = encoded_inputs(plan, options.seed)
    if backbone == "mlp":
        x = hidden_stack(features, widths, options)
        outputs = output_layer(spec, seed=options.seed,
                               index=len(widths) + 1)(x)
    else:
        x = ensemble_stack(features, widths, k, arch=backbone,
                           activation=options.activation,
                           dropout=options.dropout, l1=options.l1,
                           l2=options.l2, initializer=options.initializer,
                           seed=options.seed)
        outputs = EnsembleHead(
            spec["units"], k, activation=spec["activation"],
            kernel_initializer=make_initializer(
                "glorot_uniform", options.seed, len(widths) + 1),
            dtype="float32", name="output",
        )(x)
    if target is not None:
        outputs = keras.layers.Rescaling(
            target["std"], offset=target["mean"], dtype="float32",
            name="target_scale",
        )(outputs)
    if backbone == "mlp" and target_transform is not None:
        outputs = keras.layers.Reshape((1, spec["units"]),
                                       name="one_member")(outputs)
    if backbone != "mlp" or target_transform is not None:
        outputs = MeanPrediction(target_transform, dtype="float32",
                                 name="mean_prediction")(outputs)
    return inputs, outputs
