"""`build_image_model`: a compiled small CNN for a problem type."""

import keras

from kerasnn._random import derived_seed
from kerasnn._validation import check_bool
from kerasnn._validation import check_float
from kerasnn._validation import check_input_shape
from kerasnn._validation import check_int
from kerasnn.builders.blocks import check_filters
from kerasnn.builders.blocks import conv_block
from kerasnn.builders.blocks import dropout_layer
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import make_regularizer
from kerasnn.builders.blocks import output_layer
from kerasnn.builders.blocks import strategy_scope
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import optimizer_factory
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import output_spec

#: Layer index (for `derived_seed`) of the augmentation layers, past any
#: conv or head layer's.
AUGMENT_LAYER = 50


def build_image_model(problem, input_shape, *, n_classes=None, n_outputs=None,
                      n_labels=None, blocks=2, filters=32, convs_per_block=2, dropout=0.25,
                      head_units=128, head_dropout=0.5, l2=0.0, augment=False,
                      translation=0.1, rotation=0.05, zoom=0.1, rescale=None,
                      optimizer="adam", learning_rate=None, momentum=0.9,
                      clipnorm=None, clipvalue=None, weight_decay=None,
                      output_activation=None,
                      metrics=None, one_hot=False, seed=None, strategy=None,
                      name=None):
    """Builds and compiles a small CNN for images of any size, channels last.

    Each block is `convs_per_block` times Conv2D (3x3, no bias) -> BatchNorm ->
    ReLU, then 2x2 max pooling and dropout; block `b` has `filters * 2**b`
    filters. The head is Flatten -> Dense(`head_units`, ReLU) -> dropout ->
    the output layer of the problem type (see `kerasnn.build_model`).

    Args:
        problem: `"binary"`, `"multiclass"`, `"regression"` or
            `"multilabel"`.
        input_shape: Tuple `(height, width, channels)`, e.g. `(28, 28, 1)`;
            `(height, width)` is read as one channel.
        n_classes: Integer >= 3. Number of classes, for `"multiclass"`.
        n_outputs: Integer. Number of regression targets. Defaults to `1`.
        n_labels: Integer >= 2. Number of labels, for `"multilabel"`.
        blocks: Integer >= 1. Number of conv blocks (each halves the image).
            Defaults to `2`.
        filters: Integer, a power of 2. Filters of the first block.
            Defaults to `32`.
        convs_per_block: Integer >= 1. Defaults to `2`.
        dropout: Float in [0, 1). Dropout after each block. Defaults to `0.25`.
        head_units: Integer >= 1, or `0` for no hidden Dense layer in the head.
            Defaults to `128`.
        head_dropout: Float in [0, 1). Dropout in the head. Defaults to `0.5`.
        l2: Float >= 0. L2 penalty (weight decay) on kernels. Defaults to `0`.
        augment: Boolean. Adds random translation, rotation and zoom layers,
            active only in training. Defaults to `False`.
        translation: Float in [0, 1). Largest shift, as a fraction of the size.
        rotation: Float in [0, 1). Largest rotation, as a fraction of 2*pi.
        zoom: Float in [0, 1). Largest zoom in or out, as a fraction.
        rescale: Float or `None`. Multiplies the input first, e.g. `1 / 255`
            for raw `uint8` pixels, so the saved model takes raw images.
        optimizer, learning_rate, momentum, clipnorm, clipvalue, weight_decay,
        output_activation, metrics, one_hot, seed, strategy, name: As in
            `kerasnn.build_model`.

    Returns:
        A compiled `keras.Model`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            model is built.

    Example:

    >>> model = build_image_model("multiclass", (28, 28, 1), n_classes=10)
    >>> model.output_shape
    (None, 10)
    """
    spec = output_spec(problem, n_classes=n_classes, n_outputs=n_outputs,
                       n_labels=n_labels, output_activation=output_activation, one_hot=one_hot,
                       metrics=metrics)
    shape = check_input_shape(input_shape, min_rank=2, max_rank=3,
                              what="height, width and channels")
    if len(shape) == 2:
        shape = shape + (1,)
    blocks = check_int("blocks", blocks, minimum=1)
    filters = check_filters(filters)
    convs_per_block = check_int("convs_per_block", convs_per_block, minimum=1)
    if min(shape[:2]) < 2 ** blocks:
        raise KerasnnValueError(
            f"`blocks` must be at most {max(min(shape[:2]).bit_length() - 1, 0)} "
            f"for images of {shape[0]}x{shape[1]}: each block halves the image. "
            f"Received: blocks={blocks}."
        )
    dropout = check_float("dropout", dropout, low=0.0, high=1.0)
    head_units = check_int("head_units", head_units, minimum=0)
    head_dropout = check_float("head_dropout", head_dropout, low=0.0, high=1.0)
    l2 = check_float("l2", l2, low=0.0)
    check_bool("augment", augment)
    translation = check_float("translation", translation, low=0.0, high=1.0)
    rotation = check_float("rotation", rotation, low=0.0, high=1.0)
    zoom = check_float("zoom", zoom, low=0.0, high=1.0)
    rescale = check_float("rescale", rescale, low=0.0, low_inclusive=False,
                          allow_none=True)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    opt = optimizer_factory(optimizer, learning_rate=learning_rate,
                            momentum=momentum, clipnorm=clipnorm,
                            clipvalue=clipvalue, weight_decay=weight_decay)

    with strategy_scope(strategy):
        inputs = keras.Input(shape=shape, name="image")
        x = inputs
        if rescale is not None:
            x = keras.layers.Rescaling(rescale, name="rescale")(x)
        if augment:
            x = _augmentation(x, translation, rotation, zoom, seed)
        regularizer = make_regularizer(0.0, l2)
        x, index = _conv_blocks(x, blocks, filters, convs_per_block, dropout,
                                regularizer, seed)
        x, index = _dense_head(x, head_units, head_dropout, regularizer, seed,
                               index)
        outputs = output_layer(spec, seed=seed, index=index + 2)(x)
        model = keras.Model(inputs, outputs, name=name or f"{spec['problem']}_cnn")
        compile_model(model, spec, opt)
    return model


def _conv_blocks(x, blocks, filters, convs_per_block, dropout, regularizer,
                 seed):
    """The convolutional blocks, each followed by pooling and dropout; returns
    the last block's output and the index of its last layer."""
    index = 0
    for block in range(blocks):
        x, index = conv_block(
            x, filters * 2 ** block, convs_per_block,
            name=f"block{block + 1}", regularizer=regularizer, seed=seed,
            index=index)
        x = keras.layers.MaxPooling2D(name=f"block{block + 1}_pool")(x)
        if dropout:
            x = dropout_layer("relu", dropout, seed, index,
                              name=f"block{block + 1}_dropout")(x)
    return x, index


def _dense_head(x, head_units, head_dropout, regularizer, seed, index):
    """Flatten, an optional Dense -> BatchNorm -> ReLU layer, and dropout."""
    x = keras.layers.Flatten(name="flatten")(x)
    if head_units:
        index += 1
        x = keras.layers.Dense(
            head_units, use_bias=False,
            kernel_initializer=make_initializer("he_normal", seed, index),
            kernel_regularizer=regularizer, name="head_dense",
        )(x)
        x = keras.layers.BatchNormalization(name="head_bn")(x)
        x = keras.layers.Activation("relu", name="head_relu")(x)
    if head_dropout:
        x = dropout_layer("relu", head_dropout, seed, index + 1,
                          name="head_dropout")(x)
    return x, index


def _augmentation(x, translation, rotation, zoom, seed):
    """Random translation, rotation and zoom; Keras runs them in training only."""
    seeds = [derived_seed(seed, layer=AUGMENT_LAYER, offset=n) for n in (1, 2, 3)]
    if translation:
        x = keras.layers.RandomTranslation(
            translation, translation, fill_mode="constant", seed=seeds[0],
            name="augment_translation")(x)
    if rotation:
        x = keras.layers.RandomRotation(
            rotation, fill_mode="constant", seed=seeds[1],
            name="augment_rotation")(x)
    if zoom:
        x = keras.layers.RandomZoom(
            zoom, fill_mode="constant", seed=seeds[2], name="augment_zoom")(x)
    return x
