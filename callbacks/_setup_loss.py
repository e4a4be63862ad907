"""The setup rule about the loss against the output's activation.

`loss_activation_mismatch`: a loss that does not fit the output's
activation (softmax over one unit, a sigmoid under a categorical
cross-entropy, an activation applied twice with `from_logits=True`, ReLU
or no activation under a cross-entropy that expects probabilities,
independent units over one class per row under binary cross-entropy), or
a layer after the output that changes its values in training only. Like
the other rules of `check_setup` (`_setup_rules.py`), it reads the
model's outputs (`setup_checks._outputs`) and the data, and returns a list
of findings.
"""

import keras
import numpy as np

from ._findings import make_finding
from ._setup_data import floats
from ._setup_graph import CROSSENTROPY
from ._setup_graph import activation
from ._setup_graph import activation_from_values
from ._setup_graph import loss_text
from ._setup_rules import _fmt
from ._setup_rules import _is_one_hot

_SOFTMAX = ("softmax", "sparsemax")
_SIGMOID = ("sigmoid", "hard_sigmoid")
_RELU = ("relu", "relu6")
# The built-in losses that, on TensorFlow, read the logits under a Keras
# softmax or sigmoid output told `from_logits=True`.
_RECOVERING_LOSSES = ("binary_crossentropy", "categorical_crossentropy",
                      "sparse_categorical_crossentropy")


def loss_activation_mismatch(out, data=None):
    """A loss that does not fit the activation of the output `out`."""
    found = _noise_after(out) if out.noise is not None else []
    return found + _mismatch(out, data)


def _mismatch(out, data):
    act = activation(out.layer)
    if act in _SOFTMAX and out.units == 1:
        return [make_finding(
            "loss_activation_mismatch",
            f"{out.where} applies {act} over 1 unit: it always outputs 1.0, "
            "so its loss and gradients do not depend on the input.",
            "for two classes use `Dense(1, activation=\"sigmoid\")` with "
            "`loss=\"binary_crossentropy\"`, or `Dense(2, activation="
            "\"softmax\")` with `loss=\"sparse_categorical_crossentropy\"`.",
            layer=out.layer_name)]
    spec = out.loss
    if spec is None or spec["family"] not in CROSSENTROPY:
        return []
    if (spec["family"] == "categorical" and out.units == 1
            and not spec["from_logits"]):
        return [make_finding(
            "loss_activation_mismatch",
            f"{out.where} has 1 unit under {loss_text(spec)}, which divides "
            "each row by its sum: one output is always 1.0 of its row, so "
            "the loss cannot tell a right prediction from a wrong one.",
            "for two classes use `loss=\"binary_crossentropy\"` with "
            "`Dense(1, activation=\"sigmoid\")`; for K classes use "
            "`Dense(K, activation=\"softmax\")`.", layer=out.layer_name)]
    span = _span(out.pred)
    if act is None and span is not None:
        act = activation_from_values(out.pred, out.units, span)
    if act is None:
        return []
    return _activation_vs_loss(out, act, spec, data, span)


def _noise_after(out):
    """A layer that acts in training only (`out.noise`) after the output
    layer: the loss is computed on outputs the activation never gives."""
    noise = out.noise
    kind = type(noise).__name__
    effect = ("adds random noise to the outputs" if kind == "GaussianNoise"
              else "multiplies the outputs by random noise"
              if kind == "GaussianDropout"
              else "zeroes outputs at random and scales the rest up")
    return [make_finding(
        "loss_activation_mismatch",
        f"{kind} '{noise.name}' comes after {out.where}: in training it "
        f"{effect}, so the loss compares the targets with values the "
        "output never gives at inference (a softmax row no longer sums to "
        "1, a sigmoid exceeds 1) and the model learns flatter outputs; at "
        "inference the layer does nothing.",
        f"move `{kind}` before {out.where}: regularise the hidden layers, "
        "and let the output layer's activation be the model's last step.",
        layer=noise.name)]


def _activation_vs_loss(out, act, spec, data, span):
    """What the activation `act` of `out` means under the cross-entropy
    loss `spec`: a `loss_activation_mismatch` finding, or none."""
    loss = loss_text(spec)
    prob = "sigmoid" if spec["family"] == "binary" else "softmax"
    logits_fix = (f"`keras.losses.{spec['class']}(from_logits=True)`")
    seen = "" if span is None else f" (outputs {span} on {len(out.pred)} rows)"
    if (act in _SIGMOID and spec["family"] != "binary" and out.units > 1
            and not spec["from_logits"]):
        message, fix = _sigmoids_under_categorical(out, act, loss, data,
                                                   logits_fix)
    elif (act in _SOFTMAX and spec["family"] == "binary" and out.units > 2
          and data is not None and _single_label(data.scanned(out.y),
                                                 out.units)):
        message = (f"{out.where} applies {act} over {out.units} classes "
                   f"with one class per row, but {loss} scores each of the "
                   f"{out.units} outputs as a yes/no question of its own, "
                   "and the accuracy Keras reports beside it is binary "
                   "accuracy: answering 'no' everywhere already scores "
                   f"{1 - 1 / out.units:.0%}.")
        fix = ("use `loss=\"categorical_crossentropy\"` (or "
               "\"sparse_categorical_crossentropy\" with "
               "`np.argmax(y, axis=-1)`) with the softmax output.")
    elif (spec["family"] == "binary" and out.units > 2
          and (act in _SIGMOID and not spec["from_logits"]
               or act == "linear" and spec["from_logits"])
          and data is not None
          and _single_label(data.scanned(out.y), out.units)):
        message = (f"{out.label} holds one class per row (one-hot over "
                   f"{out.units} classes), but {out.where} under {loss} "
                   f"scores each of the {out.units} outputs as a yes/no "
                   "question of its own: the outputs do not compete, most "
                   "answers are 'no', so the right class is slow to become "
                   "the highest output, and the accuracy Keras reports "
                   "beside this loss is per column: answering 'no' "
                   f"everywhere already scores {1 - 1 / out.units:.0%}.")
        fix = (f"use `activation=\"softmax\"` on {out.where} with "
               "`loss=\"categorical_crossentropy\"` (or "
               "\"sparse_categorical_crossentropy\" with "
               "`np.argmax(y, axis=-1)`); keep sigmoids for multi-label "
               "targets.")
    elif (act in _SOFTMAX + _SIGMOID and spec["from_logits"]
          and not logits_recovered(out, act, spec)):
        message = (f"{out.where} applies {act}, and {loss} applies it "
                   "again: the loss reads probabilities as logits, so its "
                   "gradients are weak and training stalls.")
        fix = (f"remove the activation from {out.where} (e.g. "
               f"`Dense({out.units})`) and keep from_logits=True, or keep "
               f"{act} and use `keras.losses.{spec['class']}()`.")
    elif act in _RELU:
        message = (f"{out.where} uses {act} under {loss}{seen}: ReLU outputs "
                   "are neither probabilities (they exceed 1 and hit 0) nor "
                   "logits (they cannot go negative).")
        fix = (f"use `activation=\"{prob}\"` with from_logits=False, or no "
               f"activation with {logits_fix}.")
    elif act not in _SOFTMAX + _SIGMOID and not spec["from_logits"]:
        what = {"linear": "has no activation",
                "logits": "gives values outside [0, 1]"}.get(
                    act, f"uses {act}")
        message = (f"{out.where} {what}{seen}, but {loss} expects "
                   "probabilities in [0, 1]: it clips the outputs, and "
                   "the clipped ones get no gradient.")
        fix = (f"use {logits_fix} and keep the outputs as logits, or set "
               f"`activation=\"{prob}\"` on {out.where}.")
    else:
        return []
    return [make_finding("loss_activation_mismatch", message, fix,
                         layer=out.layer_name)]


def _sigmoids_under_categorical(out, act, loss, data, logits_fix):
    """`(message, fix)` for independent sigmoids under a categorical
    cross-entropy: right for multi-label targets with another loss, wrong
    for single-label ones with this activation."""
    if data is not None and _multi_label(data.scanned(out.y)):
        return (f"{out.label} is multi-label (rows with several 1s) and "
                f"{out.where} applies {act}, but {loss} reads each row as "
                "one class: it rescales the outputs to sum to 1 and trains "
                "them against each other.",
                "keep the sigmoid and use `loss=\"binary_crossentropy\"` "
                "for multi-label targets.")
    return (f"{out.where} applies {act} to each of its {out.units} units "
            f"independently, but {loss} expects one distribution over the "
            "classes (rows summing to 1): it rescales the outputs, and the "
            "units do not compete as classes should.",
            f"use `activation=\"softmax\"` on {out.where} for single-label "
            f"classes (or no activation with {logits_fix}).")


def logits_recovered(out, act, spec):
    """Whether Keras computes the loss `spec`, told `from_logits=True`, from
    the logits under the output's declared `act` anyway. On TensorFlow the
    built-in cross-entropies find the input of a Keras softmax or sigmoid
    (and warn that they did), so the model trains as if it had none. On
    other backends, after a cast to another dtype (mixed precision) or for
    an activation read from the outputs' values, the loss applies it a
    second time."""
    return (keras.backend.backend() == "tensorflow"
            and act in ("softmax", "sigmoid")
            and spec["name"] in _RECOVERING_LOSSES
            and activation(out.layer) == act
            and getattr(out.layer, "compute_dtype", None) == "float32")


def _span(pred):
    if pred is None or not np.isfinite(pred).any():
        return None
    kept = pred[np.isfinite(pred)]
    return f"{_fmt(kept.min())}..{_fmt(kept.max())}"


def _multi_label(y):
    y = floats(y)
    return (y is not None and y.ndim == 2 and y.shape[1] > 1
            and bool(np.all((y == 0) | (y == 1)))
            and bool(np.any(y.sum(axis=1) > 1)))


def _single_label(y, units):
    y = floats(y)
    return y is not None and _is_one_hot(y, units)
