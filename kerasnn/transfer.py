"""Transfer learning: swap a trained model's head, freeze, unfreeze, fine-tune.

`swap_head` reuses the body of a trained model (its layers up to a cut point,
with their weights) under a fresh head for a new problem, "re-purposing a car
detector for trucks". The caller's model is never changed: the body is a copy.
`unfreeze` and `freeze` move the boundary between the frozen and the trainable
layers and recompile; `fine_tune` runs the usual two-phase schedule.

BatchNormalization layers stay frozen throughout. In Keras 3 a frozen
BatchNormalization layer runs in inference mode (it normalises with the moving
statistics learned on the original data and does not update them); unfreezing
them on a small data set would overwrite those statistics with noisy ones.

Only `keras` APIs are used here, so this runs on every backend.
"""

import numbers

import keras
import numpy as np

from kerasnn._blocks import dropout_layer
from kerasnn._blocks import hidden_widths
from kerasnn._blocks import make_initializer
from kerasnn._blocks import unique_name
from kerasnn._fine_tune import AugmentedBatches
from kerasnn._fine_tune import with_rate_factors
from kerasnn._validation import check_bool
from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean
from kerasnn.heads import CosineClassifier
from kerasnn.optimizers import compile_built
from kerasnn.optimizers import compile_model
from kerasnn.optimizers import optimizer_factory
from kerasnn.problems import output_spec
from kerasnn.results import FineTuneResult


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
            `"multiclass"` only) is a `kerasnn.heads.CosineClassifier`,
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
    _check_model(model)
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
    x = body.outputs[0]
    rank = len(x.shape)
    if rank in (3, 4, 5):
        pool = {3: keras.layers.GlobalAveragePooling1D,
                4: keras.layers.GlobalAveragePooling2D,
                5: keras.layers.GlobalAveragePooling3D}[rank]
        x = pool(name=unique_name("swap_pool", taken))(x)
    elif rank != 2:
        x = keras.layers.Flatten(name=unique_name("swap_flatten", taken))(x)
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
        model: A model whose last `kerasnn.heads.CosineClassifier` is the
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
    _check_model(model)
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


def unfreeze(model, *, from_layer=None, learning_rate=1e-5,
             train_batchnorm=False):
    """Makes the layers from `from_layer` on trainable and recompiles, in place.

    BatchNormalization layers stay frozen unless `train_batchnorm`, so they
    keep running in inference mode with the statistics of the original data.
    The optimizer is a fresh one of the same kind at `learning_rate`: a low
    rate moves the pretrained weights only a little.

    Args:
        model: A compiled functional or Sequential `keras.Model`, e.g. from
            `swap_head`. Modified in place.
        from_layer: Layer name or index of the first layer to unfreeze.
            Defaults to `None`: every layer.
        learning_rate: Float > 0. Defaults to `1e-5`.
        train_batchnorm: Boolean. Whether the BatchNormalization layers from
            `from_layer` on train too. `False` (the default) keeps them in
            inference mode, as Keras's transfer-learning guide advises: the
            statistics of the original data are kept, and the small batches
            of the new task cannot shift the features under the head. `True`
            runs them in training mode: each batch is normalised with its own
            statistics, the moving statistics follow the new data and their
            scale and offset learn at `learning_rate`. Worth it when the new
            data's statistics differ from the old and batches are not tiny
            (the transfer recipe: digits 5-9 on a body of the digits 0-4,
            batches of 25). Split the data into batches of equal size: a
            last batch of a few rows is normalised by their statistics
            alone, and ends each epoch with the largest weight in the
            moving statistics.

    Returns:
        `model`, recompiled.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a model that is not compiled
            or a `from_layer` that names no layer.

    Example:

    >>> model = swap_head(trained, "binary")
    >>> model.fit(x, y, epochs=5)  # the head alone
    >>> unfreeze(model, from_layer="block2_conv1").fit(x, y, epochs=5)
    """
    _check_compiled(model)
    start = 0 if from_layer is None else _layer_index(model, from_layer,
                                                       "from_layer")
    learning_rate = check_float("learning_rate", learning_rate, low=0.0,
                                low_inclusive=False)
    check_bool("train_batchnorm", train_batchnorm)
    for layer in model.layers[start:]:
        _set_trainable(layer, True, batchnorm=train_batchnorm)
    return _recompile(model, learning_rate)


def freeze(model, *, to_layer, learning_rate=None):
    """Freezes the layers up to and including `to_layer`; recompiles in place.

    The inverse of `unfreeze`: frozen layers keep their weights (and
    BatchNormalization layers their statistics) while the rest trains.

    Args:
        model: A compiled functional or Sequential `keras.Model`. Modified
            in place.
        to_layer: Layer name or index (negative counts from the end) of the
            last layer to freeze (the counterpart of `unfreeze`'s
            `from_layer`).
        learning_rate: Float > 0 or `None`. Defaults to the current learning
            rate of the model's optimizer.

    Returns:
        `model`, recompiled with a fresh optimizer of the same kind.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a model that is not compiled
            or a `to_layer` that names no layer.

    Example:

    >>> freeze(model, to_layer="block1_pool")  # keep the first block as is
    """
    _check_compiled(model)
    stop = _layer_index(model, to_layer, "to_layer")
    if learning_rate is None:
        learning_rate = float(keras.ops.convert_to_numpy(
            model.optimizer.learning_rate))
    learning_rate = check_float("learning_rate", learning_rate, low=0.0,
                                low_inclusive=False)
    for layer in model.layers[:stop + 1]:
        layer.trainable = False
    return _recompile(model, learning_rate)


def fine_tune(model, x, y=None, *, head_epochs=5, epochs=5, learning_rate=1e-5,
              head_learning_rate=None, augment=None, from_layer=None,
              train_batchnorm=False, batch_size=32, validation_data=None,
              validation_split=0.0, callbacks=None, verbose=0):
    """Trains the head with the body frozen, then unfreezes and fine-tunes.

    Phase one fits `model` as it is (its body frozen, as `swap_head` leaves
    it) for `head_epochs`; phase two calls `unfreeze(model, from_layer=...,
    learning_rate=...)` and fits `epochs` more, numbered on from phase one.
    Training the head first matters: the gradients of a fresh random head
    would otherwise wreck the pretrained features.

    On a few dozen images two more things keep phase two from undoing the
    body. Discriminative rates (`head_learning_rate`, as fastai's
    `fine_tune`): the body moves at the low `learning_rate` while the head
    goes on learning at its own, higher rate. Augmentation (`augment`): each
    training batch is a new random variant of the few images, so that
    neither phase learns the images by heart.

    Args:
        model: A compiled model with some frozen layers, e.g. from
            `swap_head(..., freeze=True)`. Trained in place.
        x, y: Training data, as for `Model.fit`. With `augment`, arrays
            (`x` a NumPy array or a tensor, `y` its labels).
        head_epochs: Integer >= 0. Epochs of phase one. Defaults to `5`.
        epochs: Integer >= 0. Epochs of phase two. Defaults to `5`.
        learning_rate: Float > 0. Learning rate of phase two: of every layer
            when `head_learning_rate` is `None`, else of the body (the layers
            frozen when `fine_tune` is called). Defaults to `1e-5`.
        head_learning_rate: Float > 0 or `None`. Learning rate in phase two
            of the layers that are trainable when `fine_tune` is called (the
            head). Defaults to `None`: `learning_rate`, one rate for all, as
            before this option existed; the rates that pay off depend on the
            data (the transfer recipe, on 25-100 digits, uses `1e-3` for the
            head and `3e-4` for the body). After phase two the model is
            recompiled with a plain optimizer of the same kind at
            `learning_rate`, so it saves and loads like any Keras model.
        augment: A Keras layer (e.g. a `keras.Sequential` of
            `keras.layers.RandomRotation`, `RandomTranslation`, `RandomZoom`)
            or `None`. Called with `training=True` on every training batch of
            both phases; validation data is never augmented, and the model
            itself is not changed. Defaults to `None`: no augmentation, since
            which transforms keep the label (a flipped "6" is not a "9")
            depends on the data.
        from_layer: As in `unfreeze`. Defaults to `None`: every layer.
        train_batchnorm: As in `unfreeze`: whether phase two trains the
            BatchNormalization layers of the body too (training mode, the
            moving statistics following the new data). Defaults to `False`.
            The transfer recipe passes `True`: on the digit splits its
            defaults were chosen on, fine-tuning then gained more over the
            head alone, most on 25 images (docs/images.md).
        batch_size: Integer >= 1. Defaults to `32`.
        validation_data, validation_split, callbacks, verbose: As in
            `Model.fit`, for both phases.

    Returns:
        A `kerasnn.results.FineTuneResult`: `.head` and `.fine_tune`, the
        `History` of each phase (`None` for a phase of zero epochs).

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, a model with
            no frozen layer, or integer labels outside the classes of the
            model's head, before any training.

    Example:

    >>> model = swap_head(trained, "multiclass", n_classes=5)
    >>> augment = keras.Sequential([keras.layers.RandomRotation(0.05)])
    >>> result = fine_tune(model, x, y, head_epochs=10, epochs=5,
    ...                    learning_rate=1e-4, head_learning_rate=1e-3,
    ...                    augment=augment)
    >>> result.fine_tune.history["loss"]
    """
    _check_compiled(model)
    head_epochs = check_int("head_epochs", head_epochs, minimum=0)
    epochs = check_int("epochs", epochs, minimum=0)
    if head_epochs + epochs == 0:
        raise KerasnnValueError(
            "`head_epochs` and `epochs` must not both be 0. Received: "
            "head_epochs=0, epochs=0."
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0,
                                low_inclusive=False)
    head_learning_rate = check_float("head_learning_rate", head_learning_rate,
                                     low=0.0, low_inclusive=False,
                                     allow_none=True)
    if head_learning_rate is not None and isinstance(
        model.optimizer, keras.optimizers.LossScaleOptimizer
    ):
        raise KerasnnValueError(
            "`head_learning_rate` needs a plain optimizer. Received: a model "
            "compiled with a LossScaleOptimizer (mixed_float16). Use "
            "mixed_bfloat16, which needs no loss scaling, or pass "
            "head_learning_rate=None."
        )
    if from_layer is not None:
        _layer_index(model, from_layer, "from_layer")
    check_bool("train_batchnorm", train_batchnorm)
    if head_epochs and not any(
        not layer.trainable and layer.weights for layer in model.layers
    ):
        raise KerasnnValueError(
            "`model` must have a frozen body for the head-only phase, but every "
            "layer is trainable. Use kerasnn.swap_head(..., freeze=True) or "
            "kerasnn.freeze(model, to_layer=...) first, or pass head_epochs=0."
        )
    _check_labels(model, y)
    fit = dict(validation_data=validation_data, callbacks=callbacks,
               verbose=verbose)
    if augment is None:
        fit.update(x=x, y=y, batch_size=batch_size,
                   validation_split=validation_split)
    else:
        fit.update(_augmented(augment, x, y, batch_size, validation_data,
                              validation_split))
    head_variables = {id(v) for v in model.trainable_variables}
    head = model.fit(epochs=head_epochs, **fit) if head_epochs else None
    done = len(head.epoch) if head is not None else 0
    tuned = None
    if epochs:
        unfreeze(model, from_layer=from_layer, learning_rate=learning_rate,
                 train_batchnorm=train_batchnorm)
        if head_learning_rate is None:
            tuned = model.fit(initial_epoch=done, epochs=done + epochs, **fit)
        else:
            factor = head_learning_rate / learning_rate
            _recompile(model, learning_rate,
                       rate_factors=dict.fromkeys(head_variables, factor))
            try:
                tuned = model.fit(initial_epoch=done, epochs=done + epochs,
                                  **fit)
            finally:
                _recompile(model, learning_rate)
    return FineTuneResult(head=head, fine_tune=tuned)


def _check_model(model):
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
    index = _layer_index(model, cut, "cut")
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


def _layer_index(model, key, argument):
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


def _set_trainable(layer, trainable, batchnorm=False):
    """Sets `trainable`; BatchNormalization layers to `trainable and batchnorm`."""
    if isinstance(layer, keras.layers.BatchNormalization):
        layer.trainable = trainable and batchnorm
        return
    layer.trainable = trainable
    for inner in getattr(layer, "layers", None) or ():
        _set_trainable(inner, trainable, batchnorm)


def _check_compiled(model):
    _check_model(model)
    if not model.compiled or model.optimizer is None:
        raise KerasnnValueError(
            f"`model` must be compiled (with an optimizer and a loss). "
            f"Received: model {model.name!r}, not compiled. Models from "
            "kerasnn.swap_head are; otherwise call model.compile(...) first."
        )


def _recompile(model, learning_rate, rate_factors=None):
    """Recompiles with the same loss and metrics and a fresh optimizer.

    Keras reads the trainable flags when it compiles, and the optimizer's
    slots belong to the old set of trainable weights, so both are renewed.
    The optimizer is of the same kind as before (the plain kind, after a
    phase with per-variable rates), scaled by `rate_factors` if given.
    """
    # The optimizer is made anew below; its class may be a per-variable
    # one, which is not registered for deserialization.
    config = dict(model.get_compile_config())
    config.pop("optimizer", None)
    config = keras.saving.deserialize_keras_object(config)
    old = model.optimizer
    optimizer_config = old.get_config()
    optimizer_config["learning_rate"] = learning_rate
    kind = getattr(old, "plain_kind", type(old))
    optimizer = kind.from_config(optimizer_config)
    if rate_factors is not None:
        optimizer = with_rate_factors(optimizer, rate_factors)
    config["optimizer"] = optimizer
    return compile_built(model, **config)


def _check_labels(model, y):
    """Integer labels must be classes of a sparse-categorical head."""
    if y is None or model.loss != "sparse_categorical_crossentropy":
        return
    labels = np.asarray(y)
    if labels.dtype.kind not in "iu" or labels.size == 0:
        return
    n_classes = model.outputs[0].shape[-1]
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= n_classes:
        raise KerasnnValueError(
            f"`y` must hold class labels in [0, {n_classes - 1}] for a head with "
            f"{n_classes} classes. Received: labels from {low} to {high}. Pass "
            f"n_classes={max(high + 1, 3)} to swap_head, or relabel y to "
            f"0..{n_classes - 1}."
        )


def _augmented(augment, x, y, batch_size, validation_data, validation_split):
    """`fit`'s data arguments with `augment` applied to the training batches."""
    if not isinstance(augment, keras.layers.Layer):
        raise KerasnnTypeError(
            "`augment` must be a Keras layer (e.g. keras.Sequential([keras."
            "layers.RandomRotation(0.05)])) or None. Received: "
            f"augment={augment!r} (of type {type(augment).__name__})."
        )
    if y is None or not all(hasattr(a, "shape") and hasattr(a, "__getitem__")
                            for a in (x, y)):
        raise KerasnnTypeError(
            "`augment` needs `x` and `y` as arrays, so that fine_tune can "
            f"batch them. Received: x of type {type(x).__name__} and y of type "
            f"{type(y).__name__}. Augment inside your tf.data pipeline or "
            "generator instead, and pass augment=None."
        )
    x, y = np.asarray(x), np.asarray(y)
    validation_split = check_float("validation_split", validation_split,
                                   low=0.0, high=1.0)
    if validation_split and validation_data is None:
        # As Keras does: the last rows, before any shuffling.
        keep = int(len(x) * (1.0 - validation_split))
        validation_data = (x[keep:], y[keep:])
        x, y = x[:keep], y[:keep]
    return dict(x=AugmentedBatches(x, y, augment, batch_size),
                validation_data=validation_data)
