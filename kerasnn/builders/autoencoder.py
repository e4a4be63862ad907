"""`build_autoencoder`: an encoder and a decoder trained to copy their input.

Two uses follow from the reconstruction error and from the code:

- **anomaly scores**: an autoencoder trained on normal rows reconstructs them
  well and the rest badly; `reconstruction_error` gives one score per row;
- **pretraining**: the encoder, trained on unlabelled rows, is the body of a
  classifier for the labelled ones: `kerasnn.swap_head(encoder, ...)`.
"""

import math

import keras
import numpy as np

from kerasnn._random import derived_seed
from kerasnn._validation import check_choice
from kerasnn._validation import check_input_shape
from kerasnn._validation import check_int
from kerasnn.builders.blocks import check_filters
from kerasnn.builders.blocks import check_hidden_options
from kerasnn.builders.blocks import conv_block
from kerasnn.builders.blocks import hidden_stack
from kerasnn.builders.blocks import hidden_widths
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import make_regularizer
from kerasnn.builders.blocks import strategy_scope
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import optimizer_factory
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import check_metrics

KINDS = ("dense", "conv")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid")


def build_autoencoder(input_shape, *, kind="dense", code_size="auto",
                      hidden="auto", filters=16, blocks=2, activation="relu",
                      dropout=0.0, l1=0.0, l2=0.0, batchnorm=False,
                      output_activation="linear", optimizer="adam",
                      learning_rate=None, momentum=0.9, clipnorm=None,
                      clipvalue=None, weight_decay=None, metrics=None,
                      seed=None, strategy=None, name=None):
    """Builds and compiles an autoencoder; its encoder is a layer of it.

    The model is `decoder(encoder(x))` trained with mean squared error to give
    back `x`. Both halves are models of their own, nested as the layers
    `"encoder"` and `"decoder"`: `model.get_layer("encoder")` maps an input to
    its code, and is what `kerasnn.swap_head` takes as a body.

    `kind="dense"`: the input is flattened, passes the `hidden` Dense layers
    (the rules of `kerasnn.build_model`: BatchNorm, dropout, L1/L2, the
    initializer matched to the activation) down to `code_size` units; the
    decoder mirrors them. `kind="conv"`, for images: `blocks` blocks of
    `kerasnn.build_image_model` (two Conv2D 3x3 -> BatchNorm -> ReLU, then
    2x2 max pooling; block `b` has `filters * 2**b` filters), then a Dense
    code; the decoder upsamples back through the same blocks, reversed.

    Args:
        input_shape: Integer or tuple: the shape of one sample; for
            `kind="conv"`, `(height, width, channels)` or `(height, width)`.
        kind: `"dense"` or `"conv"`. Defaults to `"dense"`.
        code_size: Integer >= 1 or `"auto"`: the width of the code. `"auto"`
            is the input size / 16 rounded down to a power of 2, between 2
            and 64 (784 pixels -> 32).
        hidden: For `kind="dense"`: `"auto"` (one layer, a power of 2 between
            input and code sizes) or a list of widths from the input down,
            e.g. `[256, 64]`.
        filters: For `kind="conv"`: integer, a power of 2. Filters of the
            first block. Defaults to `16`.
        blocks: For `kind="conv"`: integer >= 1; each halves the image.
            Defaults to `2`.
        activation, dropout, l1, l2, batchnorm: As in `kerasnn.build_model`,
            for the Dense layers; the code layer uses `activation` too.
        output_activation: `"linear"` (any real inputs, e.g. standardized
            columns) or `"sigmoid"` (inputs in [0, 1], e.g. pixels / 255).
            Defaults to `"linear"`.
        optimizer, learning_rate, momentum, clipnorm, clipvalue,
        weight_decay: As in `kerasnn.build_model`.
        metrics: List of metric names or `keras.metrics.Metric` objects to
            report beside the loss, e.g. `["mae"]`, or `None` (the loss
            only). Defaults to `None`.
        seed, strategy, name: As in `kerasnn.build_model`.

    Returns:
        A compiled `keras.Model` (loss `"mean_squared_error"`).

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            model is built.

    Example:

    >>> autoencoder = build_autoencoder(30, code_size=4)
    >>> autoencoder.get_layer("encoder").output_shape
    (None, 4)
    """
    kind = check_choice("kind", kind, KINDS)
    if kind == "conv":
        shape = check_input_shape(input_shape, min_rank=2, max_rank=3,
                                  what="height, width and channels")
        shape = shape + (1,) if len(shape) == 2 else shape
    else:
        shape = check_input_shape(input_shape)
    n_inputs = math.prod(shape)
    code_size = _code_size(code_size, n_inputs)
    options = check_hidden_options(activation, dropout, l1, l2, batchnorm,
                                   None, seed)
    output_activation = check_choice("output_activation", output_activation,
                                     OUTPUT_ACTIVATIONS)
    opt = optimizer_factory(optimizer, learning_rate=learning_rate,
                            momentum=momentum, clipnorm=clipnorm,
                            clipvalue=clipvalue, weight_decay=weight_decay)
    spec = {"loss": "mean_squared_error",
            "metrics": None if metrics is None else check_metrics(metrics)}
    if kind == "dense":
        widths = _dense_widths(hidden, n_inputs, code_size)
    elif not (isinstance(hidden, str) and hidden == "auto"):
        raise KerasnnValueError(
            "`hidden` applies to kind='dense' only. Received: "
            f"hidden={hidden!r} with kind='conv'. Set `filters` and "
            "`blocks` instead.")
    with strategy_scope(strategy):
        if kind == "dense":
            encoder, decoder = _dense_halves(shape, widths, code_size, options,
                                             output_activation)
        else:
            encoder, decoder = _conv_halves(shape, code_size, filters, blocks,
                                            options, output_activation)
        inputs = keras.Input(shape=shape, name="input")
        outputs = decoder(encoder(inputs))
        model = keras.Model(inputs, outputs, name=name or f"{kind}_autoencoder")
        compile_model(model, spec, opt)
    return model


def reconstruction_error(autoencoder, x, *, batch_size=256):
    """Mean squared reconstruction error of each row: an anomaly score.

    Args:
        autoencoder: A model from `build_autoencoder` (or any model whose
            output has the shape of its input).
        x: Array of inputs, as the model takes them. Not modified.
        batch_size: Integer >= 1. Defaults to `256`.

    Returns:
        A 1-D float NumPy array, one score per row: higher is less like the
        rows the autoencoder was trained on.
    """
    if not isinstance(autoencoder, keras.Model):
        raise KerasnnTypeError(
            "`autoencoder` must be a keras.Model, e.g. from "
            f"kerasnn.build_autoencoder. Received: {type(autoencoder).__name__}.")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    x = np.asarray(x)
    expected = tuple(autoencoder.input_shape[1:])
    if x.shape[1:] != expected:
        raise KerasnnValueError(
            f"`x` must have rows of shape {expected}, the autoencoder's input. "
            f"Received: x with shape {x.shape}.")
    reconstructed = autoencoder.predict(x, batch_size=batch_size, verbose=0)
    if reconstructed.shape != x.shape:
        raise KerasnnValueError(
            "`autoencoder` must give back outputs of its input's shape. "
            f"Received: outputs of shape {reconstructed.shape} for x of shape "
            f"{x.shape}.")
    error = (reconstructed.astype("float64") - x.astype("float64")) ** 2
    return error.reshape(len(x), -1).mean(axis=1)


def _code_size(code_size, n_inputs):
    if isinstance(code_size, str):
        if code_size != "auto":
            raise KerasnnValueError(
                "`code_size` must be 'auto' or a positive integer. Received: "
                f"code_size={code_size!r}.")
        return int(min(64, max(2, 2 ** math.floor(math.log2(
            max(n_inputs / 16, 1))))))
    code_size = check_int("code_size", code_size, minimum=1)
    if code_size >= n_inputs:
        raise KerasnnValueError(
            f"`code_size` must be smaller than the input size ({n_inputs}), or "
            "the autoencoder can learn to copy. Received: "
            f"code_size={code_size}.")
    return code_size


def _dense_widths(hidden, n_inputs, code_size):
    if isinstance(hidden, str) and hidden == "auto":
        # One layer, a power of 2 halfway (in log scale) from input to code.
        middle = math.sqrt(n_inputs * code_size)
        width = 2 ** round(math.log2(max(middle, code_size + 1)))
        return [width] if code_size < width < n_inputs else []
    return hidden_widths(hidden, n_inputs, code_size)


def _dense_halves(shape, widths, code_size, options, output_activation):
    activation, l1, l2 = options.activation, options.l1, options.l2
    initializer, seed = options.initializer, options.seed
    n_inputs = math.prod(shape)
    inputs = keras.Input(shape=shape, name="encoder_input")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
    x = hidden_stack(x, widths, options)
    code = keras.layers.Dense(
        code_size, activation=activation,
        kernel_initializer=make_initializer(initializer, seed, len(widths) + 1),
        kernel_regularizer=make_regularizer(l1, l2), name="code",
    )(x)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(code_size,), name="decoder_input")
    mirrored = options._replace(seed=derived_seed(seed, offset=500))
    x = hidden_stack(code_in, widths[::-1], mirrored)
    x = keras.layers.Dense(
        n_inputs, activation=output_activation, dtype="float32",
        kernel_initializer=make_initializer("glorot_uniform", seed, 999),
        name="reconstruction",
    )(x)
    if len(shape) > 1:
        x = keras.layers.Reshape(shape, name="reshape")(x)
    return encoder, keras.Model(code_in, x, name="decoder")


def _conv_halves(shape, code_size, filters, blocks, options,
                 output_activation):
    activation, l1, l2 = options.activation, options.l1, options.l2
    initializer, seed = options.initializer, options.seed
    filters = check_filters(filters)
    blocks = check_int("blocks", blocks, minimum=1)
    height, width, channels = shape
    if height % 2 ** blocks or width % 2 ** blocks:
        raise KerasnnValueError(
            f"`blocks` must halve the image exactly each time: {height}x{width} "
            f"is not divisible by 2**blocks = {2 ** blocks}. Received: "
            f"blocks={blocks}. Use fewer blocks or pad the images.")
    regularizer = make_regularizer(l1, l2)
    inputs = keras.Input(shape=shape, name="encoder_input")
    x, index = inputs, 0
    for block in range(blocks):
        x, index = conv_block(x, filters * 2 ** block, 2,
                              name=f"encoder_block{block + 1}",
                              regularizer=regularizer, seed=seed, index=index)
        x = keras.layers.MaxPooling2D(name=f"encoder_block{block + 1}_pool")(x)
    small = tuple(x.shape[1:])
    x = keras.layers.Flatten(name="flatten")(x)
    code = keras.layers.Dense(
        code_size, activation=activation,
        kernel_initializer=make_initializer(initializer, seed, index + 1),
        kernel_regularizer=regularizer, name="code",
    )(x)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(code_size,), name="decoder_input")
    index += 1
    x = keras.layers.Dense(
        math.prod(small), activation="relu",
        kernel_initializer=make_initializer("he_normal", seed, index + 1),
        kernel_regularizer=regularizer, name="expand",
    )(code_in)
    x = keras.layers.Reshape(small, name="unflatten")(x)
    for block in reversed(range(blocks)):
        x = keras.layers.UpSampling2D(name=f"decoder_block{block + 1}_up")(x)
        x, index = conv_block(x, filters * 2 ** block, 2,
                              name=f"decoder_block{block + 1}",
                              regularizer=regularizer, seed=seed,
                              index=index + 1)
    x = keras.layers.Conv2D(
        channels, 3, padding="same", activation=output_activation,
        dtype="float32",
        kernel_initializer=make_initializer("glorot_uniform", seed, index + 2),
        name="reconstruction",
    )(x)
    return encoder, keras.Model(code_in, x, name="decoder")
