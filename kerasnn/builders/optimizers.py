"""Optimizer choice and compilation shared by every builder."""

import keras

from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError

#: optimizer name -> (class, default learning rate)
OPTIMIZERS = {
    "adam": (keras.optimizers.Adam, 1e-3),
    "adamw": (keras.optimizers.AdamW, 1e-3),
    "sgd": (keras.optimizers.SGD, 1e-2),
    "rmsprop": (keras.optimizers.RMSprop, 1e-3),
}


def make_optimizer(optimizer="adam", *, learning_rate=None, momentum=0.9,
                   clipnorm=None, clipvalue=None, weight_decay=None):
    """Returns a fresh Keras optimizer (see `optimizer_factory` for the args)."""
    return optimizer_factory(optimizer, learning_rate=learning_rate,
                             momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue, weight_decay=weight_decay)()


def optimizer_factory(optimizer="adam", *, learning_rate=None, momentum=0.9,
                      clipnorm=None, clipvalue=None, weight_decay=None):
    """Checks the optimizer arguments and returns a function that makes it.

    The builders check their arguments before building anything, but create
    the optimizer inside a distribution strategy's scope: hence a factory.

    Args:
        optimizer: `"adam"`, `"adamw"`, `"sgd"` (with `momentum`), `"rmsprop"`,
            or a `keras.optimizers.Optimizer` instance (then `learning_rate`,
            `momentum` and clipping must be left at their defaults: set them on
            the instance).
        learning_rate: Float > 0. Defaults to `1e-2` for SGD and `1e-3` for
            the others.
        momentum: Float in [0, 1). Momentum of SGD (also used by RMSprop).
            Defaults to `0.9`.
        clipnorm: Float > 0 or `None`. Clips each gradient to this norm.
        clipvalue: Float > 0 or `None`. Clips each gradient element.
        weight_decay: Float >= 0 or `None`. Decoupled weight decay of
            `"adamw"` (`None`: Keras's default, `0.004`); other optimizers
            take `l2` on the layers instead.

    Returns:
        A function of no arguments that returns a `keras.optimizers.Optimizer`.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        changed = [
            name for name, value, default in (
                ("learning_rate", learning_rate, None),
                ("clipnorm", clipnorm, None),
                ("clipvalue", clipvalue, None),
                ("weight_decay", weight_decay, None),
            ) if value is not default
        ]
        if changed:
            raise KerasnnValueError(
                f"`{changed[0]}` cannot be combined with an optimizer instance. "
                f"Received: optimizer={type(optimizer).__name__}(...) and "
                f"{changed[0]}={locals()[changed[0]]!r}. Set it on the optimizer "
                "instead, or pass the optimizer by name."
            )
        return lambda: optimizer
    if not isinstance(optimizer, str):
        raise KerasnnTypeError(
            f"`optimizer` must be one of {', '.join(repr(o) for o in OPTIMIZERS)} "
            "or a keras.optimizers.Optimizer instance. Received: "
            f"optimizer={optimizer!r} (of type {type(optimizer).__name__})."
        )
    name = check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    cls, default_lr = OPTIMIZERS[name]
    lr = check_float(
        "learning_rate", default_lr if learning_rate is None else learning_rate,
        low=0.0, low_inclusive=False,
    )
    momentum = check_float("momentum", momentum, low=0.0, high=1.0)
    options = {}
    if clipnorm is not None:
        options["clipnorm"] = check_float("clipnorm", clipnorm, low=0.0,
                                       low_inclusive=False)
    if clipvalue is not None:
        options["clipvalue"] = check_float("clipvalue", clipvalue, low=0.0,
                                        low_inclusive=False)
    if weight_decay is not None:
        if name != "adamw":
            raise KerasnnValueError(
                "`weight_decay` applies to optimizer='adamw' only. Received: "
                f"weight_decay={weight_decay!r} with optimizer={name!r}. Use "
                "optimizer='adamw', or `l2` for weight decay on the layers."
            )
        options["weight_decay"] = check_float("weight_decay", weight_decay,
                                              low=0.0)
    if name == "sgd":
        options.update(momentum=momentum, nesterov=momentum > 0)
    return lambda: cls(learning_rate=lr, **options)


def compile_model(model, spec, optimizer):
    """Compiles `model` with the loss and metrics of an `output_spec`
    (`metrics` may be `None`: the loss only).

    `optimizer` is an optimizer or a factory from `optimizer_factory`. Call it
    inside a distribution strategy's scope: the optimizer and fresh copies of
    the metrics are created here so that their variables live in that scope.
    """
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        optimizer = optimizer()
    metrics = None if spec["metrics"] is None else [
        m.__class__.from_config(m.get_config())
        if isinstance(m, keras.metrics.Metric) else m
        for m in spec["metrics"]
    ]
    return compile_built(model, optimizer=optimizer, loss=spec["loss"],
                         metrics=metrics)


def compile_built(model, **compile_args):
    """`model.compile(**compile_args)`, the optimizer's variables made now.

    Keras makes them inside the first training step, and TensorFlow then
    traces that step twice: once to create the variables and once more to
    run it. Made here, the step is traced once, which saves about 2 s of each
    `fit` on a small table (nearly half of a short run). A model not built yet
    keeps Keras's way: its variables are not known.
    """
    model.compile(**compile_args)
    if model.built and model.optimizer is not None:
        model.optimizer.build(model.trainable_variables)
    return model
