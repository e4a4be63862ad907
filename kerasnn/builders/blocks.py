"""Layer blocks shared by the builders: hidden Dense blocks and the output head.

The rules of thumb live here: BatchNorm goes between the Dense layer and its
activation (and the Dense layer then drops its bias, which BatchNorm's shift
replaces); the weight initializer follows the activation (He for the ReLU
family, Glorot for tanh/sigmoid, LeCun for SELU); SELU gets AlphaDropout so
the self-normalising property survives dropout.

Every builder also shares the resolution of `hidden` to layer widths
(`hidden_widths`), the stack of hidden blocks (`hidden_stack`) and building
under a distribution strategy (`strategy_scope`).
"""

import contextlib
import math
from typing import NamedTuple

import keras

from kerasnn._random import derived_seed
from kerasnn._validation import check_bool
from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError

ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "gelu", "tanh", "sigmoid")

#: activation -> initializer that keeps the variance of activations steady.
DEFAULT_INITIALIZERS = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "elu": "he_normal",
    "gelu": "he_normal",
    "selu": "lecun_normal",
    "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
}

INITIALIZERS = (
    "he_normal", "he_uniform", "glorot_normal", "glorot_uniform",
    "lecun_normal", "lecun_uniform", "orthogonal",
)

_INITIALIZER_CLASSES = {
    "he_normal": keras.initializers.HeNormal,
    "he_uniform": keras.initializers.HeUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "glorot_uniform": keras.initializers.GlorotUniform,
    "lecun_normal": keras.initializers.LecunNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "orthogonal": keras.initializers.Orthogonal,
}


class HiddenOptions(NamedTuple):
    """The checked options every builder's hidden layers share."""

    activation: str
    dropout: float
    l1: float
    l2: float
    batchnorm: bool
    initializer: object  # a name or a keras.initializers.Initializer
    seed: object  # an int or None


def check_hidden_options(activation, dropout, l1, l2, batchnorm, initializer, seed):
    """Checks the options every builder shares; returns a `HiddenOptions`."""
    activation = check_choice("activation", activation, ACTIVATIONS)
    dropout = check_float("dropout", dropout, low=0.0, high=1.0)
    l1 = check_float("l1", l1, low=0.0)
    l2 = check_float("l2", l2, low=0.0)
    check_bool("batchnorm", batchnorm)
    if initializer is None:
        initializer = DEFAULT_INITIALIZERS[activation]
    elif isinstance(initializer, str):
        initializer = check_choice("initializer", initializer, INITIALIZERS)
    elif not isinstance(initializer, keras.initializers.Initializer):
        raise KerasnnTypeError(
            f"`initializer` must be one of {', '.join(INITIALIZERS)} or a "
            "keras.initializers.Initializer instance. Received: "
            f"initializer={initializer!r}."
        )
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    return HiddenOptions(activation, dropout, l1, l2, batchnorm, initializer,
                         seed)


def make_initializer(initializer, seed, index):
    """A fresh initializer; layer `index` gets its own seed derived from `seed`."""
    if not isinstance(initializer, str):
        return initializer.__class__.from_config(initializer.get_config())
    return _INITIALIZER_CLASSES[initializer](
        seed=derived_seed(seed, layer=index))


def make_regularizer(l1, l2):
    """L1, L2 (weight decay) or both (elastic net); `None` when both are 0."""
    if l1 and l2:
        return keras.regularizers.L1L2(l1=l1, l2=l2)
    if l1:
        return keras.regularizers.L1(l1)
    if l2:
        return keras.regularizers.L2(l2)
    return None


def dense_block(x, units, *, index, activation, dropout, l1, l2, batchnorm,
                initializer, seed):
    """Dense -> [BatchNorm] -> activation -> [dropout], named `hidden_{index}`."""
    name = f"hidden_{index}"
    x = keras.layers.Dense(
        units,
        use_bias=not batchnorm,
        kernel_initializer=make_initializer(initializer, seed, index),
        kernel_regularizer=make_regularizer(l1, l2),
        name=f"{name}_dense",
    )(x)
    if batchnorm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_{activation}")(x)
    if dropout:
        x = dropout_layer(activation, dropout, seed, index, name=f"{name}_dropout")(x)
    return x


def check_filters(filters):
    """Checks the first conv block's `filters`: a power of 2."""
    filters = check_int("filters", filters, minimum=1)
    if filters & (filters - 1):
        raise KerasnnValueError(
            "`filters` must be a power of 2 (8, 16, 32, 64, ...). "
            f"Received: filters={filters}."
        )
    return filters


def conv_block(x, filters, convs, *, name, regularizer, seed, index):
    """`convs` times Conv2D (3x3, same padding, no bias) -> BatchNorm -> ReLU.

    Layers are named `{name}_conv{i}`, `{name}_bn{i}`, `{name}_relu{i}`;
    `index` counts the layers with weights, for their seeds. Returns the
    output and the last index used.
    """
    for conv in range(1, convs + 1):
        index += 1
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False,
            kernel_initializer=make_initializer("he_normal", seed, index),
            kernel_regularizer=regularizer, name=f"{name}_conv{conv}",
        )(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn{conv}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{conv}")(x)
    return x, index


def dropout_layer(activation, rate, seed, index, *, name):
    """Dropout, or AlphaDropout for SELU networks."""
    cls = keras.layers.AlphaDropout if activation == "selu" else keras.layers.Dropout
    return cls(rate, seed=derived_seed(seed, layer=index, offset=1), name=name)


def output_layer(spec, *, seed, index):
    """The head from an `output_spec`, kept in float32 under mixed precision."""
    initializer = (
        "glorot_uniform" if spec["activation"] in ("sigmoid", "softmax", "tanh")
        else "he_normal" if spec["activation"] == "relu" else "glorot_uniform"
    )
    return keras.layers.Dense(
        spec["units"],
        activation=spec["activation"],
        kernel_initializer=make_initializer(initializer, seed, index),
        dtype="float32",
        name="output",
    )


def hidden_stack(x, widths, options):
    """Applies one `dense_block` per width with the `HiddenOptions`."""
    for index, units in enumerate(widths, start=1):
        x = dense_block(x, units, index=index, **options._asdict())
    return x


def auto_width(n_inputs, n_outputs):
    """Mean of input and output sizes, rounded up to a power of 2, at least 8."""
    mean = (n_inputs + n_outputs) / 2
    return max(8, 2 ** math.ceil(math.log2(max(mean, 1))))


def hidden_widths(hidden, n_inputs, n_outputs):
    """Resolves the `hidden` argument to a list of layer widths."""
    if isinstance(hidden, str):
        if hidden != "auto":
            raise KerasnnValueError(
                "`hidden` must be 'auto' or a list of positive layer widths. "
                f"Received: hidden={hidden!r}."
            )
        return [auto_width(n_inputs, n_outputs)]
    if not isinstance(hidden, (list, tuple)):
        raise KerasnnTypeError(
            "`hidden` must be 'auto' or a list of positive layer widths, e.g. "
            f"[64, 32]. Received: hidden={hidden!r}."
        )
    widths = []
    for i, width in enumerate(hidden):
        try:
            widths.append(check_int(f"hidden[{i}]", width, minimum=1))
        except (KerasnnValueError, KerasnnTypeError) as error:
            raise type(error)(
                f"{error} Every entry of `hidden` is the width of one layer and "
                f"must be a positive integer. Received: hidden={list(hidden)!r}."
            ) from None
    return widths


def strategy_scope(strategy):
    """`strategy.scope()`, or a no-op context when `strategy` is `None`."""
    if strategy is None:
        return contextlib.nullcontext()
    if not callable(getattr(strategy, "scope", None)):
        raise KerasnnTypeError(
            "`strategy` must be a tf.distribute.Strategy (e.g. "
            "tf.distribute.MirroredStrategy()) or None. Received: "
            f"strategy={strategy!r}."
        )
    return strategy.scope()


def unique_name(name, taken):
    """`name`, or `name_2`, `name_3`... if `taken` has it; adds it to `taken`."""
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate
