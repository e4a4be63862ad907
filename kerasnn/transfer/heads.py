"""New heads on a trained body: `swap_head` and `imprint`.

`swap_head` reuses the body of a trained model (its layers up to a cut point,
with their weights) under a fresh head for a new problem, "re-purposing a car
detector for trucks". The caller's model is never changed: the body is a copy.
`imprint` sets a cosine classifier head's weights from the mean features of
a few labelled examples per class.

Only `keras` APIs are used here, so this runs on every backend.
"""

import numbers

import keras
import numpy as np

from kerasnn._validation import check_bool
from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.builders.blocks import dropout_layer
from kerasnn.builders.blocks import hidden_widths
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import unique_name
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import optimizer_factory
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean
from kerasnn.problems import output_spec
from kerasnn.transfer.cosine_classifier import CosineClassifier


def swap_head(model, problem, *, n_classes=None, n_labels=None, cut=None,
              freeze=True, hidden=None, dropout=0.0, head="dense", scale=None,
              optimizer="adam", learning_rate=None, momentum=0.9,
              clipnorm=None, clipvalue=None, metrics=None, seed=None):
    """Returns a new compiled model: the body of `model` under a fresh head.

    The body is a copy of `model`'s layers from its inputs up to and including
    the layer `cut`, with their trained weights; `model` itself is not changed.
    The head is: global average pooling when the cut features are a feature
    map (rank 3 to 5; `Flatten` is not needed), then one Dense + ReLU layer per
    entry of `hidden`, dropout, and the output layer of the problem type
    (see `kerasnn.build_model`). New layers are named `swap_*` and `output`.

    Works on functional and Sequential models, built with kerasnn or not,
    including `keras.applications` models (with `include_top=False`, pass
    `cut=-1` to keep the whole network as the body).

    Args:
        model: A trained functional or Sequential `keras.Model` with defined
            inputs. Not modified.
        problem: `"binary"`, `"multiclass"`, `"regression"` or
            `"multilabel"`: the new task.
        n_classes: Integer >= 3. Number of classes of the new task, for
            `"multiclass"`.
        n_labels: Integer >= 2. Number of labels of the new task, for
            `"multilabel"`.
        cut: Layer name or index (negative counts from the end) of the last
            layer of the body. Defaults to the layer that feeds the output
            layer, i.e. the penultimate features.
        freeze: Boolean. Freezes every body layer, so that training moves
            only the head. Defaults to `True`. With `False` on an untrained
            model, `swap_head` builds a new architecture instead: e.g.
            `head="cosine"` on a CNN's conv features trains the source model
            of few-shot transfer as Baseline++ (Chen et al., 2019), whose
            features suit the cosine head that is later imprinted on them.
        hidden: `None` or a list of widths of Dense + ReLU layers in the head,
            e.g. `[64]`. Defaults to `None` (the output layer alone).
        dropout: Float in [0, 1). Dropout before each head layer. Defaults
            to `0.0`.
        head: `"dense"` or `"cosine"`: the output layer. `"cosine"` (for
            `"multiclass"` only) is a `CosineClassifier`,
            which scores `scale * cos(features, class weights)`; fill its
            weights from a few images per class with `kerasnn.imprint`
            before training, for few-shot learning. Defaults to `"dense"`.
        scale: Float > 0 or `None`, for `head="cosine"`: the factor of the
            cosines. Defaults to `None`: `10.0`.
        optimizer, learning_rate, momentum, clipnorm, clipvalue, metrics:
            As in `kerasnn.build_model`: the head trains with Adam at `1e-3`
            and the problem type's metrics unless told otherwise.
        seed: Integer or `None`. Seeds the initial weights of the head.

    Returns:
        A compiled `keras.Model` with the loss and metrics of `problem`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, a `cut` that
            names no layer or the input layer, or a model with no body to
            reuse (its output layer reads the input directly), before any
            model is built.

    Example:

    >>> digits = kerasnn.build_image_model("multiclass", (28, 28, 1),
    ...                                    n_classes=5)
    >>> # ... digits.fit(x_0_to_4, y_0_to_4) ...
    >>> letters = swap_head(digits, "multiclass", n_classes=26)
    >>> letters.output_shape
    (None, 26)
    >>> # Baseline++: train the source model with a cosine head too.
    >>> source = swap_head(digits_untrained, "multiclass", n_classes=5,
    ...                    cut="flatten", head="cosine", freeze=False)
    """
    spec = output_spec(problem, n_classes=n_classes, n_labels=n_labels,
                       metrics=metrics)
    check_model(model)
    head, scale = _check_head(head, scale, spec, problem)
    check_bool("freeze", freeze)
    widths = hidden_widths([] if hidden is None else hidden, 0, 0)
    dropout = check_float("dropout", dropout, low=0.0, high=1.0)
    make = optimizer_factory(optimizer, learning_rate=learning_rate,
                             momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    features = _cut_features(model, cut)
    body = _copy(keras.Model(model.inputs, features))

    taken = {layer.name for layer in body.layers}
    x = _flat_features(body.outputs[0], taken)
    x = _hidden_layers(x, widths, dropout, seed, taken)
    initializer = make_initializer("glorot_uniform", seed, len(widths) + 1)
    if head == "cosine":
        output_layer = CosineClassifier(
            spec["units"], scale=scale, activation=spec["activation"],
            kernel_initializer=initializer, dtype="float32",
            name=unique_name("output", taken))
    else:
        output_layer = keras.layers.Dense(
            spec["units"], activation=spec["activation"],
            kernel_initializer=initializer, dtype="float32",
            name=unique_name("output", taken))
    outputs = output_layer(x)
    swapped = keras.Model(body.inputs, outputs, name=f"{model.name}_swapped")
    if freeze:
        for layer in body.layers:
            layer.trainable = False
    return compile_model(swapped, spec, make)


def imprint(model, x, y, *, batch_size=256):
    """Sets a cosine head's weights to the mean feature of each class, in place.

    Weight imprinting (Qi et al., 2018): the features that the model's
    `CosineClassifier` reads are computed for `x` (in inference mode: no
    augmentation, no dropout), L2-normalised and averaged per class; the
    normalised mean becomes that class's weight vector. With a few images
    per class the head then classifies them before any training, and
    training starts from there instead of from random weights.

    Args:
        model: A model whose last `CosineClassifier` is the
            head, e.g. from `swap_head(..., head="cosine")`. Modified in
            place.
        x: Images (or features) the model takes, as a NumPy array or tensor.
        y: Integer class labels of `x`, one per row, with at least one row
            of every class of the head.
        batch_size: Integer >= 1. Batch size of the feature pass. Defaults
            to `256`.

    Returns:
        `model`, with the head's kernel replaced.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a model with no cosine
            head, labels that are not integers of the head's classes, a
            class with no row, or mismatched lengths, before any change.

    Example:

    >>> model = swap_head(trained, "multiclass", n_classes=5, head="cosine")
    >>> imprint(model, x_few, y_few)  # right on x_few before any training
    >>> model.fit(x_few, y_few, epochs=20)
    """
    check_model(model)
    heads = [layer for layer in model.layers
             if isinstance(layer, CosineClassifier)]
    if not heads:
        raise KerasnnValueError(
            f"`model` must have a CosineClassifier head to imprint. Received: "
            f"model {model.name!r} with layers "
            f"{[layer.name for layer in model.layers]}. Use "
            "kerasnn.swap_head(..., head='cosine')."
        )
    head = heads[-1]
    batch_size = check_int("batch_size", batch_size, minimum=1)
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise KerasnnTypeError(
            f"`y` must be integer class labels, one per row. Received: y of "
            f"dtype {labels.dtype} and shape {labels.shape}."
        )
    if len(labels) != len(x):
        raise KerasnnValueError(
            f"`x` and `y` must have one label per row. Received: {len(x)} "
            f"rows of x and {len(labels)} labels."
        )
    counts = np.bincount(labels[labels >= 0], minlength=head.units)
    if labels.min() < 0 or len(counts) > head.units or counts.min() == 0:
        raise KerasnnValueError(
            f"`y` must hold at least one row of every class 0-{head.units - 1} "
            f"of the head and no other label. Received: labels "
            f"{sorted(set(labels.tolist()))}."
        )
    reader = keras.Model(model.inputs, head.input)
    features = np.asarray(reader.predict(x, batch_size=batch_size, verbose=0),
                          dtype="float64")
    features /= np.sqrt((features ** 2).sum(axis=1, keepdims=True)) + 1e-12
    means = np.stack([features[labels == c].mean(axis=0)
                      for c in range(head.units)], axis=1)
    means /= np.sqrt((means ** 2).sum(axis=0, keepdims=True)) + 1e-12
    head.kernel.assign(means.astype(head.kernel.dtype))
    return model


def _check_head(head, scale, spec, problem):
    """`head` ("dense" or "cosine") and its `scale`, checked against the problem."""
    head = check_choice("head", head, ("dense", "cosine"))
    if head == "cosine" and spec["activation"] != "softmax":
        raise KerasnnValueError(
            f"`head='cosine'` needs problem 'multiclass': a cosine head scores "
            f"one direction per class. Received: head='cosine', "
            f"problem={problem!r}. Use head='dense'."
        )
    if head == "dense" and scale is not None:
        raise KerasnnValueError(
            f"`scale` applies to head='cosine' only. Received: scale={scale!r} "
            "with head='dense'. Pass head='cosine' or drop scale."
        )
    scale = check_float("scale", 10.0 if scale is None else scale, low=0.0,
                        low_inclusive=False)
    return head, scale


def _flat_features(x, taken):
    """The body's output as one vector per row: pooled over space, or flat."""
    rank = len(x.shape)
    if rank in (3, 4, 5):
        pool = {3: keras.layers.GlobalAveragePooling1D,
                4: keras.layers.GlobalAveragePooling2D,
                5: keras.layers.GlobalAveragePooling3D}[rank]
        return pool(name=unique_name("swap_pool", taken))(x)
    if rank != 2:
        return keras.layers.Flatten(name=unique_name("swap_flatten", taken))(x)
    return x


def _hidden_layers(x, widths, dropout, seed, taken):
    """The new head's hidden ReLU layers; dropout before each and before the
    output layer."""
    for index, units in enumerate(widths, start=1):
        if dropout:
            name = unique_name(f"swap_dropout_{index}", taken)
            x = dropout_layer("relu", dropout, seed, index, name=name)(x)
        x = keras.layers.Dense(
            units, activation="relu",
            kernel_initializer=make_initializer("he_normal", seed, index),
            name=unique_name(f"swap_dense_{index}", taken),
        )(x)
    if dropout:
        x = dropout_layer("relu", dropout, seed, len(widths) + 1,
                          name=unique_name("swap_dropout", taken))(x)
    return x


def check_model(model):
    if not isinstance(model, keras.Model):
        raise KerasnnTypeError(
            "`model` must be a keras.Model (functional or Sequential). "
            f"Received: model={model!r} (of type {type(model).__name__})."
        )
    try:
        inputs = model.inputs
        outputs = model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise KerasnnValueError(
            f"`model` must have defined inputs: a functional model, or a "
            f"Sequential model that starts with keras.Input(shape) or has been "
            f"built. Received: model {model.name!r} of type "
            f"{type(model).__name__} with no inputs. Subclassed models have no "
            "layer graph to cut: rebuild the body as a functional model."
        )


def _cut_features(model, cut):
    """The tensor of `model`'s graph that the new head reads."""
    layers = model.layers
    if cut is None:
        if len(model.outputs) != 1:
            raise KerasnnValueError(
                f"`cut` is required for a model with {len(model.outputs)} "
                "outputs: name the last layer of the body. Received: cut=None."
            )
        head = layers[-1]
        tensor = head.input
        if isinstance(tensor, (list, tuple)) or _is_model_input(model, tensor):
            raise KerasnnValueError(
                f"`model` has no body to reuse: its output layer {head.name!r} "
                "reads the model's input directly. Received: a model with "
                f"layers {[layer.name for layer in layers]}. Pass a model with "
                "hidden layers, or a `cut`."
            )
        return tensor
    index = layer_index(model, cut, "cut")
    layer = layers[index]
    if isinstance(layer, keras.layers.InputLayer):
        raise KerasnnValueError(
            f"`cut` must name a layer after the input, or the model has no body "
            f"to reuse. Received: cut={cut!r}, the input layer {layer.name!r}."
        )
    tensor = layer.output
    if isinstance(tensor, (list, tuple)):
        raise KerasnnValueError(
            f"`cut` must name a layer with a single output. Received: "
            f"cut={cut!r}, layer {layer.name!r} with {len(tensor)} outputs."
        )
    return tensor


def layer_index(model, key, argument):
    """Index in `model.layers` of a layer given by name or index."""
    layers = model.layers
    names = [layer.name for layer in layers]
    if isinstance(key, str):
        if key not in names:
            raise KerasnnValueError(
                f"`{argument}` must name a layer of model {model.name!r}. "
                f"Received: {argument}={key!r}.{did_you_mean(key, names)} "
                f"Layers: {', '.join(names)}."
            )
        return names.index(key)
    if isinstance(key, bool) or not isinstance(key, numbers.Integral):
        raise KerasnnTypeError(
            f"`{argument}` must be a layer name or an integer index. "
            f"Received: {argument}={key!r} (of type {type(key).__name__})."
        )
    if not -len(layers) <= key < len(layers):
        raise KerasnnValueError(
            f"`{argument}` must be a layer index in [{-len(layers)}, "
            f"{len(layers) - 1}] for model {model.name!r} with {len(layers)} "
            f"layers. Received: {argument}={key}."
        )
    return int(key) % len(layers)


def _is_model_input(model, tensor):
    return any(tensor is t for t in model.inputs)


def _copy(model):
    """A copy of a functional model with its own layers and the same weights."""
    # Fresh inputs named as the originals, so that dict inputs keep working.
    names = {id(layer.output): layer.name for layer in model.layers
             if isinstance(layer, keras.layers.InputLayer)}
    inputs = [
        keras.Input(batch_shape=t.shape, dtype=t.dtype, name=names.get(id(t)))
        for t in model.inputs
    ]
    copy = keras.models.clone_model(model, input_tensors=inputs)
    copy.set_weights(model.get_weights())
    return copy
