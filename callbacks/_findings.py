"""The findings vocabulary shared by `check_setup` and `GradientMonitor`.

A finding is a plain, JSON-serialisable dict:

- `kind`: one of `KINDS` below (a stable vocabulary);
- `message`: what was seen, with the numbers;
- `fix`: what to change, in code terms;
- `layer`: the layer concerned, or `None` where no single layer applies;
- `step`: the training step where it was seen, or `None` for a setup check.
"""

# Kind -> one-line meaning. Setup kinds first (seen before training), then
# training kinds (seen while training). The order is also the priority of the
# kinds when one has to be named first: a cause before its symptoms.
SETUP_KINDS = {
    "nonfinite_data": "NaN or inf in the inputs or the targets",
    "nothing_to_train": "no trainable weight that the loss depends on (every "
                        "layer frozen, or the trainable ones cut off from "
                        "the loss)",
    "loss_activation_mismatch": "the loss does not fit the output layer's "
                                "activation (from_logits, softmax over one "
                                "unit, ReLU under cross-entropy)",
    "label_mismatch": "the targets do not fit the output layer or the loss "
                      "(a range the output cannot reach, multi-hot under "
                      "softmax, one-hot vs sparse, classes under a "
                      "regression loss)",
    "unscaled_targets": "regression targets far from unit scale (mean or "
                        "spread in the thousands)",
    "unscaled_inputs": "inputs far from unit scale and not rescaled by the "
                       "model",
    "target_leak": "an input column that alone predicts the target almost "
                   "perfectly",
    "sorted_validation_split": "the tail that validation_split takes holds "
                               "other classes than the rest",
    "class_imbalance": "a class so rare that accuracy misleads, or "
                       "predictions that collapse onto the majority class, "
                       "with no class or sample weights",
}
TRAINING_KINDS = {
    "nan": "the loss or the gradients became NaN/Inf without prior growth",
    "exploding": "gradient norms grew by orders of magnitude (then often NaN)",
    "batchnorm_statistics": "BatchNormalization's moving statistics not yet "
                            "warmed up: the model in inference mode differs "
                            "from the model in training mode",
    "dead_units": "ReLU units that output zero on every probe row, and "
                  "cost the model (most of a layer, or a stalled loss)",
    "saturated_units": "sigmoid/tanh units stuck at their limits",
    "vanishing": "early layers get a vanishing share of the gradient",
    "unchanged_weights": "a trainable layer whose weights never move",
    "constant_predictions": "the model outputs the same thing for every row",
    "no_signal": "the training loss stays at the no-information level "
                 "(labels misaligned with the inputs, inputs wiped out)",
    "oscillating_loss": "the loss jumps up and down without diverging (rate "
                        "too high)",
    "loss_not_decreasing": "the loss does not fall (rate too low, or stuck)",
}
KINDS = {**SETUP_KINDS, **TRAINING_KINDS}


def make_finding(kind, message, fix, *, layer=None, step=None):
    """Returns a finding dict; `kind` must be one of `KINDS`."""
    if kind not in KINDS:
        raise KeyError(f"Unknown finding kind {kind!r}; known: {sorted(KINDS)}")
    return {"kind": kind, "message": str(message), "fix": str(fix),
            "layer": None if layer is None else str(layer),
            "step": None if step is None else int(step)}
