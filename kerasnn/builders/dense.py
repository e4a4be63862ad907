"""`build_model`: a compiled multilayer perceptron for a problem type."""

import math

import keras

from kerasnn._validation import check_input_shape
from kerasnn.builders.blocks import check_hidden_options
from kerasnn.builders.blocks import hidden_stack
from kerasnn.builders.blocks import hidden_widths
from kerasnn.builders.blocks import output_layer
from kerasnn.builders.blocks import strategy_scope
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import optimizer_factory
from kerasnn.problems import output_spec


def build_model(problem, input_shape, *, n_classes=None, n_outputs=None,
                n_labels=None, hidden="auto", activation="relu", dropout=0.0, l1=0.0, l2=0.0,
                batchnorm=False, initializer=None, optimizer="adam",
                learning_rate=None, momentum=0.9, clipnorm=None, clipvalue=None,
                weight_decay=None, output_activation=None, metrics=None, one_hot=False, seed=None,
                strategy=None, name=None):
    """Builds and compiles an MLP whose head follows from the problem type.

    The output layer, its activation and the loss come from the problem type
    (`kerasnn.problems.PROBLEMS`): binary -> 1 sigmoid unit and binary
    cross-entropy; multiclass -> `n_classes` softmax units and (sparse)
    categorical cross-entropy; regression -> linear units and mean squared
    error; multilabel -> `n_labels` sigmoid units and binary cross-entropy
    (each row may hold several labels). The hidden part follows the rules of thumb: one hidden layer to
    start, as wide as the mean of the input and output sizes rounded up to a
    power of 2 (at least 8); BatchNorm before the activation with no bias in
    the Dense layer before it; the initializer matched to the activation.

    Args:
        problem: `"binary"`, `"multiclass"`, `"regression"` or
            `"multilabel"` (see `kerasnn.infer_problem`).
        input_shape: Integer or tuple. Shape of one sample; inputs of rank > 1
            are flattened first.
        n_classes: Integer >= 3. Number of classes, for `"multiclass"`.
        n_outputs: Integer. Number of regression targets. Defaults to `1`.
        n_labels: Integer >= 2. Number of labels, for `"multilabel"`.
        hidden: `"auto"` (one layer, width by the rule above) or a list of
            layer widths, e.g. `[64, 32]`; `[]` gives a linear/logistic model.
        activation: One of `"relu"`, `"leaky_relu"`, `"elu"`, `"selu"`,
            `"gelu"`, `"tanh"`, `"sigmoid"`. Defaults to `"relu"`.
        dropout: Float in [0, 1). Dropout rate after each hidden layer
            (AlphaDropout for SELU). Defaults to `0.0`.
        l1: Float >= 0. L1 penalty on hidden kernels. Defaults to `0.0`.
        l2: Float >= 0. L2 penalty (weight decay) on hidden kernels; both `l1`
            and `l2` give the elastic net. Defaults to `0.0`.
        batchnorm: Boolean. BatchNorm between each Dense layer and its
            activation. Defaults to `False`.
        initializer: Kernel initializer name or instance. Defaults to He for
            the ReLU family, Glorot for tanh/sigmoid, LeCun for SELU.
        optimizer: `"adam"`, `"adamw"`, `"sgd"` (Nesterov momentum),
            `"rmsprop"` or an optimizer instance. Defaults to `"adam"`.
        learning_rate: Float. Defaults to `1e-2` for SGD, `1e-3` otherwise.
        momentum: Float in [0, 1). SGD momentum. Defaults to `0.9`.
        clipnorm: Float or `None`. Gradient clipping by norm.
        clipvalue: Float or `None`. Gradient clipping by value.
        weight_decay: Float >= 0 or `None`. Decoupled weight decay, for
            `optimizer="adamw"` only (`None`: Keras's default, `0.004`);
            `l2` puts the penalty on the layers instead, for any optimizer.
        output_activation: Overrides the output activation, e.g. `"relu"` for
            regression targets that cannot be negative.
        metrics: List overriding the default metrics of the problem type.
        one_hot: Boolean. `True` when multiclass labels are one-hot rows.
        seed: Integer or `None`. The same seed gives the same initial weights.
        strategy: A `tf.distribute.Strategy` (or `None`): the model is built
            and compiled under its scope.
        name: String or `None`. Name of the model.

    Returns:
        A compiled `keras.Model`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            model is built.

    Example:

    >>> model = build_model("binary", input_shape=30)
    >>> model.layers[-1].units, model.loss
    (1, 'binary_crossentropy')
    """
    spec = output_spec(problem, n_classes=n_classes, n_outputs=n_outputs,
                       n_labels=n_labels, output_activation=output_activation, one_hot=one_hot,
                       metrics=metrics)
    shape = check_input_shape(input_shape)
    options = check_hidden_options(activation, dropout, l1, l2, batchnorm,
                                   initializer, seed)
    widths = hidden_widths(hidden, math.prod(shape), spec["units"])
    opt = optimizer_factory(optimizer, learning_rate=learning_rate,
                            momentum=momentum, clipnorm=clipnorm,
                            clipvalue=clipvalue, weight_decay=weight_decay)
    with strategy_scope(strategy):
        inputs = keras.Input(shape=shape, name="features")
        x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
        x = hidden_stack(x, widths, options)
        outputs = output_layer(spec, seed=options.seed, index=len(widths) + 1)(x)
        model = keras.Model(inputs, outputs, name=name or f"{spec['problem']}_mlp")
        compile_model(model, spec, opt)
    return model
