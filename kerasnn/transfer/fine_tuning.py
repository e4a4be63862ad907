"""Fine-tuning a reused body: `unfreeze`, `freeze` and `fine_tune`.

`unfreeze` and `freeze` move the boundary between the frozen and the trainable
layers and recompile; `fine_tune` runs the usual two-phase schedule (the new
head alone, then the top of the body at a small learning rate).

BatchNormalization layers stay frozen throughout. In Keras 3 a frozen
BatchNormalization layer runs in inference mode (it normalises with the moving
statistics learned on the original data and does not update them); unfreezing
them on a small data set would overwrite those statistics with noisy ones.

Only `keras` APIs are used here, so this runs on every backend.
"""

import keras
import numpy as np

from kerasnn._validation import check_bool
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.builders.optimizers import compile_built
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.results import FineTuneResult
from kerasnn.transfer.fit_additions import AugmentedBatches
from kerasnn.transfer.fit_additions import with_rate_factors
from kerasnn.transfer.heads import check_model
from kerasnn.transfer.heads import layer_index
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
    start = 0 if from_layer is None else layer_index(model, from_layer,
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
    stop = layer_index(model, to_layer, "to_layer")
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
    head_learning_rate = _check_head_learning_rate(model, head_learning_rate)
    if from_layer is not None:
        layer_index(model, from_layer, "from_layer")
    check_bool("train_batchnorm", train_batchnorm)
    if head_epochs:
        _check_frozen_body(model)
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
        tuned = _fit_unfrozen(model, fit, done, epochs, learning_rate,
                              head_learning_rate, head_variables)
    return FineTuneResult(head=head, fine_tune=tuned)


def _fit_unfrozen(model, fit, done, epochs, learning_rate, head_learning_rate,
                  head_variables):
    """The second phase; the head's variables at `head_learning_rate`, if set."""
    if head_learning_rate is None:
        return model.fit(initial_epoch=done, epochs=done + epochs, **fit)
    factor = head_learning_rate / learning_rate
    _recompile(model, learning_rate,
               rate_factors=dict.fromkeys(head_variables, factor))
    try:
        return model.fit(initial_epoch=done, epochs=done + epochs, **fit)
    finally:
        _recompile(model, learning_rate)


def _check_head_learning_rate(model, head_learning_rate):
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
    return head_learning_rate


def _check_frozen_body(model):
    """The head-only phase needs some frozen layer with weights."""
    if not any(not layer.trainable and layer.weights for layer in model.layers):
        raise KerasnnValueError(
            "`model` must have a frozen body for the head-only phase, but every "
            "layer is trainable. Use kerasnn.swap_head(..., freeze=True) or "
            "kerasnn.freeze(model, to_layer=...) first, or pass head_epochs=0."
        )


def _set_trainable(layer, trainable, batchnorm=False):
    """Sets `trainable`; BatchNormalization layers to `trainable and batchnorm`."""
    if isinstance(layer, keras.layers.BatchNormalization):
        layer.trainable = trainable and batchnorm
        return
    layer.trainable = trainable
    for inner in getattr(layer, "layers", None) or ():
        _set_trainable(inner, trainable, batchnorm)


def _check_compiled(model):
    check_model(model)
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
